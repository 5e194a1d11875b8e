# Separation reference for tests/test_reliability_glm.py: does a Poisson GLM's maximum-likelihood
# estimate exist? Independent of vrueval: R's glm is fitted twice, at the default convergence
# (epsilon 1e-8, 25 iterations) and much tighter (epsilon 1e-15, 200 iterations). Where the MLE
# does not exist (separation), some coefficients keep growing as the fit is tightened and fitted
# rates go to 0; where it exists, both fits agree. Each case's design, outcome, both coefficient
# vectors, R's warnings and the divergence verdict (largest coefficient change > 1) are written to
# separation_reference.json.
# Run from the repo root:  Rscript tests/reference/separation_reference.R
suppressPackageStartupMessages(library(jsonlite))

its_design <- function(n, t0) {
  t <- seq_len(n)
  cbind(intercept = 1, time = t, level = as.numeric(t >= t0), slope = pmax(0, t - t0))
}
month_dummies <- function(n) {
  m <- ((seq_len(n) - 1) %% 12) + 1
  sapply(2:12, function(j) as.numeric(m == j), simplify = TRUE) |>
    `colnames<-`(paste0("month", 2:12))
}

set.seed(20191003)
n <- 48; t0 <- 25
X <- its_design(n, t0)
Xs <- cbind(X, month_dummies(n))
cases <- list(
  step_zero_before = list(X = X, y = c(rep(0, 24), rpois(24, 6) + 1)),
  zero_after = list(X = X, y = c(rpois(24, 6) + 1, rep(0, 24))),
  zero_before_but_last = list(X = X, y = c(rep(0, 23), 4, rpois(24, 6) + 1)),
  zero_before_but_middle = list(X = X, y = c(rep(0, 11), 4, rep(0, 12), rpois(24, 6) + 1)),
  one_month_always_zero = list(X = Xs, y = ifelse(((seq_len(n) - 1) %% 12) == 6, 0, rpois(n, 5) + 1)),
  sparse_counts = list(X = X, y = rpois(n, 0.7)),
  moderate_counts = list(X = Xs, y = rpois(n, 5)),
  large_counts = list(X = Xs, y = rpois(n, 80))
)

fit_at <- function(X, y, epsilon, maxit) {
  warns <- character()
  f <- withCallingHandlers(
    glm.fit(X, y, family = poisson(), control = glm.control(epsilon = epsilon, maxit = maxit)),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") }
  )
  list(coef = unname(f$coefficients), min_fitted = min(f$fitted.values), warnings = warns)
}

out <- lapply(names(cases), function(name) {
  cs <- cases[[name]]
  loose <- fit_at(cs$X, cs$y, 1e-8, 25)
  tight <- fit_at(cs$X, cs$y, 1e-15, 200)
  change <- max(abs(tight$coef - loose$coef), na.rm = TRUE)
  list(
    name = name, columns = colnames(cs$X), X = unname(cs$X), y = cs$y,
    coef_default = loose$coef, coef_tight = tight$coef,
    min_fitted_tight = tight$min_fitted,
    warnings = unique(c(loose$warnings, tight$warnings)),
    max_coef_change = change, diverges = change > 1
  )
})
names(out) <- names(cases)
writeLines(
  toJSON(list(r_version = R.version.string, cases = out), auto_unbox = TRUE, digits = NA, pretty = TRUE),
  "tests/reference/separation_reference.json"
)
