# Reference values for vrueval's ITS (tests/test_its_reference.py compares against its_reference.json).
# Run from the repo root:  Rscript tests/reference/its_reference.R
# Inputs: tests/reference/its_inputs.csv (written by its_make_inputs.py from the bundled panels).
# Regressors are built here from the periods: t = 0..n-1, level = 1[t >= T0], slope = max(0, t - T0),
# seasonal dummies with the first season (January / Q1) as reference, a lockdown indicator.
suppressPackageStartupMessages({library(sandwich); library(nlme); library(jsonlite)})

inputs <- read.csv("tests/reference/its_inputs.csv", stringsAsFactors = FALSE)

make_data <- function(name, start, lock_from = NA, lock_to = NA) {
  d <- inputs[inputs$series == name, ]
  d$t <- seq_len(nrow(d)) - 1
  t0 <- which(d$period == start) - 1
  d$level <- as.numeric(d$t >= t0)
  d$slope <- pmax(0, d$t - t0)
  d$season <- factor(d$season, levels = sort(unique(d$season)))
  d$lockdown <- if (is.na(lock_from)) 0 else as.numeric(d$period >= lock_from & d$period <= lock_to)
  d
}

pick <- function(est, se, extra = list()) {
  c(list(level_change = unname(est["level"]), slope_change = unname(est["slope"]),
         se_level_change = unname(se["level"]), se_slope_change = unname(se["slope"])), extra)
}

run_case <- function(d, lockdown) {
  f <- if (lockdown) value ~ t + season + lockdown + level + slope else value ~ t + season + level + slope
  ols <- lm(f, data = d)
  nw <- function(fit, lag, adjust) sqrt(diag(NeweyWest(fit, lag = lag, prewhite = FALSE, adjust = adjust)))
  n <- nrow(d); lag_nw <- floor(4 * (n / 100)^(2 / 9))
  qp <- glm(update(f, . ~ . + offset(log(population))), family = quasipoisson, data = d,
            control = glm.control(epsilon = 1e-14, maxit = 100))
  ctrl <- glsControl(tolerance = 1e-12, msTol = 1e-12, msMaxIter = 500, maxIter = 500,
                     returnObject = TRUE)
  g_reml <- gls(f, data = d, correlation = corAR1(form = ~ t), method = "REML", control = ctrl)
  g_ml <- gls(f, data = d, correlation = corAR1(form = ~ t), method = "ML", control = ctrl)
  phi <- function(g) unname(coef(g$modelStruct$corStruct, unconstrained = FALSE))
  list(
    n = n, hac_lag = lag_nw,
    ols_classical = pick(coef(ols), sqrt(diag(vcov(ols)))),
    ols_hac_adjust = pick(coef(ols), nw(ols, lag_nw, TRUE)),
    ols_hac_noadjust = pick(coef(ols), nw(ols, lag_nw, FALSE)),
    ols_hac_lag12 = pick(coef(ols), nw(ols, 12, TRUE)),
    quasipoisson = pick(coef(qp), sqrt(diag(vcov(qp))), list(dispersion = summary(qp)$dispersion)),
    quasipoisson_hac = pick(coef(qp), nw(qp, lag_nw, TRUE)),
    gls_ar1_reml = pick(coef(g_reml), sqrt(diag(vcov(g_reml))), list(phi = phi(g_reml), sigma = g_reml$sigma)),
    gls_ar1_ml = pick(coef(g_ml), sqrt(diag(vcov(g_ml))), list(phi = phi(g_ml), sigma = g_ml$sigma))
  )
}

out <- list(
  hes_west_midlands = run_case(make_data("hes_west_midlands", "2019-10", "2020-03", "2020-06"), TRUE),
  hes_london = run_case(make_data("hes_london", "2019-10", "2020-03", "2020-06"), TRUE),
  knife_west_midlands = run_case(make_data("knife_west_midlands", "2014Q3"), FALSE),
  versions = list(R = R.version.string, sandwich = as.character(packageVersion("sandwich")),
                  nlme = as.character(packageVersion("nlme")))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "tests/reference/its_reference.json")
