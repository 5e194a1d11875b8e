# Negative binomial ITS reference (tests/test_its_reference.py compares against
# its_negbin_reference.json through vrueval.validation).
# Run from the repo root:  Rscript tests/reference/its_negbin_reference.R
# Same real series and design as its_reference.R's quasi-Poisson fit (tests/reference/its_inputs.csv:
# season dummies, lockdown indicator, log(population) offset), fitted by MASS::glm.nb: NB2 with the
# shape theta by maximum likelihood (vrueval: alpha = 1 / theta, also by ML).
suppressPackageStartupMessages(library(MASS))
source("tests/reference/its_common.R")

inputs <- read.csv("tests/reference/its_inputs.csv", stringsAsFactors = FALSE)
TERMS <- list(level_change = "level", slope_change = "slope")

# theta's score (d loglik / d theta) at the fit, to show it is a root to machine precision
theta_score <- function(fit) {
  y <- fit$y; mu <- fitted(fit); th <- fit$theta
  sum(digamma(th + y) - digamma(th) + log(th) + 1 - log(th + mu) - (y + th) / (mu + th))
}

run_case <- function(d, lockdown) {
  f <- if (lockdown) value ~ t + season + lockdown + level + slope else value ~ t + season + level + slope
  f <- update(f, . ~ . + offset(log(population)))
  nb <- glm.nb(f, data = d, control = glm.control(epsilon = 1e-10, maxit = 100))
  n <- nrow(d); lag <- lag_nw1994(n)
  pearson <- sum(residuals(nb, type = "pearson")^2) / nb$df.residual
  nw <- function(lag, adjust) sqrt(diag(NeweyWest(nb, lag = lag, prewhite = FALSE, adjust = adjust)))
  est <- coef(nb)
  list(
    n = n, hac_lag = lag,
    negbin_model = pick(est, sqrt(diag(vcov(nb))), TERMS, list(
      theta = nb$theta, alpha = 1 / nb$theta, theta_se = nb$SE.theta, theta_score = theta_score(nb),
      aic = nb$aic, loglik = as.numeric(logLik(nb)), pearson_dispersion = pearson)),
    negbin_quasi = pick(est, sqrt(diag(summary(nb, dispersion = pearson)$cov.scaled)), TERMS),
    negbin_hac_adjust = pick(est, nw(lag, TRUE), TERMS),
    negbin_hac_noadjust = pick(est, nw(lag, FALSE), TERMS),
    negbin_hac_lag12 = pick(est, nw(12, TRUE), TERMS)
  )
}

cases <- list(
  hes_west_midlands = list("hes_west_midlands", "2019-10", "2020-03", "2020-06"),
  hes_london = list("hes_london", "2019-10", "2020-03", "2020-06"),
  knife_west_midlands = list("knife_west_midlands", "2014Q3", NA, NA)
)
out <- list()
for (key in names(cases)) {
  a <- cases[[key]]
  d <- add_regressors(inputs[inputs$series == a[[1]], ], a[[2]], a[[3]], a[[4]])
  out[[key]] <- run_case(d, !is.na(a[[3]]))
}
out$versions <- versions("MASS")
write_json_out(out, "tests/reference/its_negbin_reference.json")
