# Reference values for the extended ITS (tests/test_its_extended.py compares against
# its_extended_reference.json). Run from the repo root:  Rscript tests/reference/its_extended_reference.R
# Inputs: tests/reference/its_extended_inputs.csv (its_extended_make_inputs.py: HES sharp-object
# admissions of the nine English regions, monthly 2012-04..2022-03, from the bundled panel).
#
# Regressors are built here from the periods: t = 0..119 on the calendar axis, level = 1[t >= T0],
# slope = max(0, t - T0) with T0 = 2019-10, month dummies (January the reference), Fourier pairs
# sin/cos(2 pi j month / 12), a lockdown indicator for 2020-03..2020-06.
#
# Cases
#   level_qp_fourier : glm(quasipoisson) with offset log(population), 2 harmonic pairs, lockdown
#                      indicator and a level change only (Bernal, Cummins and Gasparrini 2017), West
#                      Midlands; classical (dispersion-scaled) standard errors.
#   slope_ols        : lm with month dummies, lockdown, a slope change only; classical.
#   covariate_ols_nw : lm of West Midlands on trend, months, lockdown, London's admissions (a
#                      time-varying covariate) and level + slope; sandwich::NeweyWest(lag = 4,
#                      prewhite = FALSE, adjust = TRUE).
#   pooled_*         : the nine regions stacked (missing months dropped), unit dummies (and unit
#                      trends), months, lockdown, common level + slope; sandwich::vcovCL(cluster =
#                      ~unit, type = "HC1") (= vrueval small_sample = "stata"); CR1 with fixest's K
#                      (k - G + 1, written from the formula on vcovCL's HC0); Driscoll-Kraay
#                      sandwich::vcovPL(cluster = ~unit, order.by = ~t, lag = 4, adjust = TRUE,
#                      fix = FALSE); quasi-Poisson with offset and vcovCL HC1.
#   forecast_ols     : lm on the pre-period (t < T0) with months; predict.lm(interval =
#                      "prediction") over the 30 post months; the mean post gap's standard error
#                      sqrt(s^2 / m + cbar' V cbar) written from its formula.
#   forecast_qp      : quasi-Poisson on the pre-period; predict.glm(type = "link", se.fit = TRUE);
#                      prediction standard error sqrt(phi mu + mu^2 se_link^2) (delta method).
#   forecast_gls     : nlme::gls(corAR1, REML) on the pre-period; the best linear predictor given
#                      the pre-period residuals and its error variance (Goldberger 1962), written
#                      from the formula with nlme's phi and sigma.
suppressPackageStartupMessages({library(sandwich); library(nlme); library(jsonlite)})

inputs <- read.csv("tests/reference/its_extended_inputs.csv", stringsAsFactors = FALSE)
periods <- sort(unique(inputs$period))
inputs$t <- match(inputs$period, periods) - 1
T0 <- match("2019-10", periods) - 1
inputs$level <- as.numeric(inputs$t >= T0)
inputs$slope <- pmax(0, inputs$t - T0)
inputs$season <- factor(inputs$month, levels = 1:12)
inputs$lockdown <- as.numeric(inputs$period >= "2020-03" & inputs$period <= "2020-06")
for (j in 1:2) {
  inputs[[paste0("sin", j)]] <- sin(2 * pi * j * inputs$month / 12)
  inputs[[paste0("cos", j)]] <- cos(2 * pi * j * inputs$month / 12)
}
WM <- "E12000005"; LONDON <- "E12000007"
wm <- inputs[inputs$unit == WM, ]
wm$london <- inputs$value[inputs$unit == LONDON]

tab <- function(fit, v) list(term = names(coef(fit)), estimate = unname(coef(fit)),
                             std_error = unname(sqrt(diag(v))))
ctrl <- glm.control(epsilon = 1e-14, maxit = 100)

# -- level change only, quasi-Poisson with harmonics -------------------------------------------
qp <- glm(value ~ t + sin1 + cos1 + sin2 + cos2 + lockdown + level + offset(log(population)),
          family = quasipoisson, data = wm, control = ctrl)
level_qp_fourier <- c(tab(qp, vcov(qp)), list(dispersion = summary(qp)$dispersion))

# -- slope change only, OLS --------------------------------------------------------------------
so <- lm(value ~ t + season + lockdown + slope, data = wm)
slope_ols <- tab(so, vcov(so))

# -- covariate, OLS with Newey-West ------------------------------------------------------------
co <- lm(value ~ t + season + lockdown + london + level + slope, data = wm)
covariate_ols_nw <- tab(co, NeweyWest(co, lag = 4, prewhite = FALSE, adjust = TRUE))

# -- pooled ITS ----------------------------------------------------------------------------------
pool <- inputs[!is.na(inputs$value), ]
pool$unit <- factor(pool$unit)
po <- lm(value ~ unit + t + season + lockdown + level + slope, data = pool)
G <- nlevels(pool$unit); n <- nrow(pool); k <- length(coef(po))
cr0 <- vcovCL(po, cluster = ~unit, type = "HC0", cadjust = FALSE)
pooled_ols_stata <- tab(po, vcovCL(po, cluster = ~unit, type = "HC1"))
pooled_ols_fixest <- tab(po, cr0 * G / (G - 1) * (n - 1) / (n - (k - G + 1)))
pooled_ols_dk <- tab(po, vcovPL(po, cluster = ~unit, order.by = ~t, kernel = "Bartlett", lag = 4,
                                adjust = TRUE, fix = FALSE))
pt <- lm(value ~ unit + t + unit:t + season + lockdown + level + slope, data = pool)
pooled_trends_stata <- tab(pt, vcovCL(pt, cluster = ~unit, type = "HC1"))
pq <- glm(value ~ unit + t + season + lockdown + level + slope + offset(log(population)),
          family = quasipoisson, data = pool, control = ctrl)
pooled_qp_stata <- tab(pq, vcovCL(pq, cluster = ~unit, type = "HC1"))

# -- forecast mode -------------------------------------------------------------------------------
pre <- wm[wm$t < T0, ]; post <- wm[wm$t >= T0, ]
m <- nrow(post)
fo <- lm(value ~ t + season, data = pre)
pr <- predict(fo, newdata = post, interval = "prediction", level = 0.95, se.fit = TRUE)
Xp <- model.matrix(~ t + season, data = post)
cbar <- colMeans(Xp)
s2 <- summary(fo)$sigma^2
gap <- post$value - pr$fit[, "fit"]
forecast_ols <- list(
  coef = unname(coef(fo)), fit = unname(pr$fit[, "fit"]), lwr = unname(pr$fit[, "lwr"]),
  upr = unname(pr$fit[, "upr"]), se_fit = unname(pr$se.fit), df = pr$df,
  mean_gap = mean(gap), se_mean_gap = sqrt(s2 / m + drop(t(cbar) %*% vcov(fo) %*% cbar)),
  cumulative_gap = sum(gap), se_cumulative_gap = sqrt(s2 * m + drop(t(cbar * m) %*% vcov(fo) %*% (cbar * m)))
)

fq <- glm(value ~ t + sin1 + cos1 + sin2 + cos2 + offset(log(population)), family = quasipoisson,
          data = pre, control = ctrl)
pl <- predict(fq, newdata = post, type = "link", se.fit = TRUE)
mu <- exp(pl$fit); phi <- summary(fq)$dispersion
Xq <- model.matrix(~ t + sin1 + cos1 + sin2 + cos2, data = post)
gq <- colMeans(Xq * mu)
forecast_qp <- list(
  coef = unname(coef(fq)), dispersion = phi, mu = unname(mu),
  se_prediction = unname(sqrt(phi * mu + mu^2 * pl$se.fit^2)),
  mean_gap = mean(post$value - mu),
  se_mean_gap = sqrt(sum(phi * mu) / m^2 + drop(t(gq) %*% vcov(fq) %*% gq))
)

gctrl <- glsControl(tolerance = 1e-12, msTol = 1e-12, msMaxIter = 500, maxIter = 500,
                    returnObject = TRUE)
fg <- gls(value ~ t + season, data = pre, correlation = corAR1(form = ~ t), method = "REML",
          control = gctrl)
rho <- unname(coef(fg$modelStruct$corStruct, unconstrained = FALSE))
sig2 <- fg$sigma^2
tt <- c(pre$t, post$t); np <- nrow(pre)
S <- sig2 * rho^abs(outer(tt, tt, "-"))
A <- S[-(1:np), 1:np] %*% solve(S[1:np, 1:np])
Xpre <- model.matrix(~ t + season, data = pre)
e_pre <- pre$value - drop(Xpre %*% coef(fg))
mean_g <- drop(Xp %*% coef(fg) + A %*% e_pre)
G_ <- Xp - A %*% Xpre
noise <- S[-(1:np), -(1:np)] - A %*% S[1:np, -(1:np)]
Vb <- vcov(fg)
w <- rep(1 / m, m)
forecast_gls <- list(
  coef = unname(coef(fg)), phi = rho, sigma = fg$sigma, mean = mean_g,
  se_prediction = sqrt(diag(noise) + rowSums((G_ %*% Vb) * G_)),
  mean_gap = mean(post$value - mean_g),
  se_mean_gap = sqrt(drop(t(w) %*% noise %*% w + t(w) %*% G_ %*% Vb %*% t(G_) %*% w)),
  df = nrow(pre) - length(coef(fg))
)

out <- list(
  level_qp_fourier = level_qp_fourier, slope_ols = slope_ols, covariate_ols_nw = covariate_ols_nw,
  pooled_ols_stata = pooled_ols_stata, pooled_ols_fixest = pooled_ols_fixest,
  pooled_ols_dk = pooled_ols_dk, pooled_trends_stata = pooled_trends_stata,
  pooled_qp_stata = pooled_qp_stata, pooled_n = n, pooled_clusters = G,
  forecast_ols = forecast_ols, forecast_qp = forecast_qp, forecast_gls = forecast_gls,
  versions = list(R = R.version.string, sandwich = as.character(packageVersion("sandwich")),
                  nlme = as.character(packageVersion("nlme")))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/reference/its_extended_reference.json")
