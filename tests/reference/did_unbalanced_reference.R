# Reference values for vrueval's DiD on unbalanced panels (missing="unbalanced"): two-way fixed
# effects by lm() with explicit unit and period dummies on the observed cells only, clustered by
# unit (tests/test_did_reference.py). Inputs: did_unbalanced_inputs.csv, written from the bundled
# real data by did_unbalanced_make_inputs.py (missing values are empty, never zero):
#   hes_intensity: HES sharp-object admissions per 100,000 residents by English region, monthly
#                  Apr 2012-Mar 2022, D = VRU population share x (month >= Oct 2019); 3 cells
#                  suppressed (East of England 2020-04, South West 2019-06 and 2022-03);
#   knife_hsi:     knife homicide-and-serious-injury offences by force, quarterly 2008Q2-2019Q1,
#                  2019 VRU forces against never-funded forces, placebo start 2016Q2; 4 cells
#                  missing. Also an event study (leads binned at -4, lags at 3, reference -1) with
#                  the mean post-period contrast ("att").
# Run from the repository root:  Rscript tests/reference/did_unbalanced_reference.R
suppressPackageStartupMessages({
  library(sandwich); library(clubSandwich); library(estimatr); library(jsonlite)
})
inputs <- read.csv("tests/reference/did_unbalanced_inputs.csv", stringsAsFactors = FALSE)
out <- list(versions = list(R = R.version.string,
                            sandwich = as.character(packageVersion("sandwich")),
                            clubSandwich = as.character(packageVersion("clubSandwich")),
                            estimatr = as.character(packageVersion("estimatr"))))

cr2_row <- function(fit, d, term) {
  ct <- coef_test(fit, vcov = "CR2", cluster = d$unit, test = "Satterthwaite", coefs = term)
  list(estimate = ct$beta[1], se_cr2 = ct$SE[1], df_cr2 = ct$df_Satt[1], p_cr2 = ct$p_Satt[1])
}

twfe <- function(d) {
  fit <- lm(y ~ D + factor(unit) + factor(period), data = d)
  res <- cr2_row(fit, d, "D")
  res$se_cr0 <- unname(sqrt(diag(vcovCL(fit, cluster = ~unit, type = "HC0",
                                         cadjust = FALSE)))["D"])
  er <- lm_robust(y ~ D + factor(unit) + factor(period), data = d, clusters = unit,
                  se_type = "CR2")
  res$estimatr_se_cr2 <- unname(er$std.error["D"])
  res$estimatr_df_cr2 <- unname(er$df["D"])
  res$n_obs <- nobs(fit)
  res$n_clusters <- length(unique(d$unit))
  res$n_periods <- length(unique(d$period))
  res
}

for (case in c("hes_intensity", "knife_hsi")) {
  d <- inputs[inputs$case == case, ]
  n_missing <- sum(is.na(d$value))
  d <- d[!is.na(d$value), ]  # the unbalanced panel: only the observed cells
  start <- if (case == "hes_intensity") "2019-10" else "2016Q2"
  d$after <- as.numeric(d$period >= start)
  d$y <- if (case == "hes_intensity") d$value / d$population * 1e5 else d$value
  d$D <- d$intensity * d$after
  res <- list(n_missing = n_missing, twfe = twfe(d))
  if (case == "knife_hsi") {
    periods <- sort(unique(inputs$period[inputs$case == case]))
    e <- match(d$period, periods) - match(start, periods)
    d$e <- ifelse(d$treated == 1, pmin(pmax(e, -4), 3), NA)
    terms <- c()
    for (k in c(-4:-2, 0:3)) {
      nm <- paste0("e", ifelse(k < 0, paste0("m", -k), k))
      d[[nm]] <- as.numeric(!is.na(d$e) & d$e == k)
      terms <- c(terms, nm)
    }
    f <- as.formula(paste("y ~", paste(terms, collapse = " + "),
                          "+ factor(unit) + factor(period)"))
    fit <- lm(f, data = d)
    V <- vcovCR(fit, cluster = d$unit, type = "CR2")
    ct <- coef_test(fit, vcov = V, test = "Satterthwaite", coefs = terms)
    es <- list(coefficients = setNames(lapply(seq_along(terms), function(i) {
      list(estimate = ct$beta[i], std_error = ct$SE[i], df = ct$df_Satt[i], p_value = ct$p_Satt[i])
    }), terms))
    cf <- names(coef(fit))
    m <- matrix(0, nrow = 1, ncol = length(cf), dimnames = list("att", cf))
    m[1, c("e0", "e1", "e2", "e3")] <- 1 / 4
    lc <- linear_contrast(fit, vcov = V, contrasts = m, test = "Satterthwaite", p_values = TRUE)
    es$att <- list(estimate = lc$Est[1], std_error = lc$SE[1], df = lc$df[1], p_value = lc$p_val[1])
    es$se_cr0 <- setNames(as.list(unname(sqrt(diag(vcovCL(fit, cluster = ~unit, type = "HC0",
                                                           cadjust = FALSE)))[terms])), terms)
    res$event_study <- es
  }
  out[[case]] <- res
}
write_json(out, "tests/reference/did_unbalanced_reference.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
cat("wrote tests/reference/did_unbalanced_reference.json\n")
