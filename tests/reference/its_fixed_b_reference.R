# Reference for vrueval's default ITS inference, the design-specific fixed-b HAC (Bartlett with
# the Lazarus et al. 2018 lag ceil(1.3 sqrt(T)), and EWC with B = round(0.4 T^(2/3)) cosine terms),
# and for plain (non-fixed-b) EWC. No R package implements the fixed-b adjustment, so this is an
# independent re-implementation of its stated formula (its_common.R: fixed_b) on lm / glm / glm.nb
# fits, checking vrueval's algebra (traces computed without forming M, n x n), not the method's
# coverage, which tests/test_its_coverage.py checks by simulation.
# Run from the repo root:  Rscript tests/reference/its_fixed_b_reference.R
suppressPackageStartupMessages(library(MASS))
source("tests/reference/its_common.R")

inputs <- read.csv("tests/reference/its_inputs.csv", stringsAsFactors = FALSE)
TERMS <- list(level_change = "level", slope_change = "slope")

run_case <- function(d, lockdown) {
  f <- if (lockdown) value ~ t + season + lockdown + level + slope else value ~ t + season + level + slope
  g <- update(f, . ~ . + offset(log(population)))
  ctrl <- glm.control(epsilon = 1e-14, maxit = 100)
  fits <- list(
    ols = lm(f, data = d),
    quasipoisson = glm(g, family = quasipoisson, data = d, control = ctrl),
    negbin = glm.nb(g, data = d, control = glm.control(epsilon = 1e-10, maxit = 100))
  )
  n <- nrow(d); lag <- lag_llsw(n); b <- ewc_llsw(n)
  out <- list(n = n, bartlett_lag = lag, ewc_terms = b)
  for (m in names(fits)) {
    fit <- fits[[m]]; est <- coef(fit)
    out[[paste0(m, "_fixed_b_bartlett")]] <- c(pick(est, NULL, TERMS)[names(TERMS)],
                                               fixed_b(fit, d$t, "bartlett", lag, TERMS))
    out[[paste0(m, "_fixed_b_ewc")]] <- c(pick(est, NULL, TERMS)[names(TERMS)],
                                          fixed_b(fit, d$t, "ewc", b, TERMS))
    se <- sqrt(diag(hac_kernel(fit, kernel_matrix(d$t, "ewc", b), TRUE)))
    out[[paste0(m, "_ewc_plain")]] <- pick(est, se, TERMS)
  }
  out
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
write_json_out(out, "tests/reference/its_fixed_b_reference.json")
