# Comparative ITS reference (tests/test_its_reference.py compares against
# its_comparative_reference.json through vrueval.validation).
# Run from the repo root:  Rscript tests/reference/its_comparative_reference.R
# Inputs: tests/reference/its_comparative_inputs.csv (its_comparative_make_inputs.py).
#
# The stacked regression: treated and control series on one calendar axis t, every term interacted
# with the treated indicator, extra controls with their own intercept and trend; the coefficients
# on treated:level and treated:slope are the differences in level and slope change (vrueval's
# level_change, slope_change), those on level and slope the controls' own changes.
# HAC: scores summed by period then Bartlett-weighted (Driscoll and Kraay, 1998) is
# sandwich::vcovPL(fit, cluster = ~unit, order.by = ~t, kernel = "Bartlett", lag = L,
# adjust = TRUE/FALSE, fix = FALSE): weights 1 - j / (L + 1) and adjustment n / (n - k) with n the
# stacked rows, as vrueval. vcovPL makes consecutive *observed* periods neighbours, so for the case
# with an excluded lockdown window (a gap on the time axis) the reference is the kernel written
# over calendar positions (its_common.R: hac_kernel), which vrueval follows; where there is no gap
# the script checks that the two agree.
suppressPackageStartupMessages(library(MASS))
source("tests/reference/its_common.R")

inputs <- read.csv("tests/reference/its_comparative_inputs.csv", stringsAsFactors = FALSE)
TERMS <- list(level_change = "treated:level", slope_change = "treated:slope",
              control_level_change = "level", control_slope_change = "slope")

stacked <- function(data, treated, controls, start, lock_from, lock_to, exclude) {
  d <- inputs[inputs$data == data & inputs$unit %in% c(treated, controls), ]
  d <- add_regressors(d, start, lock_from, lock_to)
  d$treated <- as.numeric(d$unit == treated)
  d$extra <- as.numeric(d$unit %in% controls[-1])  # the first control is the reference
  d <- d[!is.na(d$value), ]
  if (exclude) d <- d[d$lockdown == 0, ]
  d[order(-d$treated, d$unit, d$t), ]
}

run_case <- function(data, treated, controls, start, lock_from = NA, lock_to = NA, exclude = FALSE) {
  d <- stacked(data, treated, controls, start, lock_from, lock_to, exclude)
  rhs <- c("treated", "t", "season", "level", "slope", "treated:t", "treated:season",
           "treated:level", "treated:slope")
  if (!is.na(lock_from) && !exclude) rhs <- c(rhs, "lockdown", "treated:lockdown")
  # treated first, so that R names the interactions treated:level, treated:slope
  if (length(controls) > 1) rhs <- c(rhs, "extra", "extra:t")
  f <- reformulate(rhs, "value")
  ols <- lm(f, data = d)
  qp <- glm(update(f, . ~ . + offset(log(population))), family = quasipoisson, data = d,
            control = glm.control(epsilon = 1e-14, maxit = 100))
  n_time <- length(unique(d$t)); lag <- lag_nw1994(n_time)
  pl <- function(fit, lag, adjust) {
    k <- hac_kernel(fit, kernel_matrix(d$t, "bartlett", lag), adjust)
    if (!exclude) {
      v <- vcovPL(fit, cluster = ~unit, order.by = ~t, kernel = "Bartlett", lag = lag,
                  adjust = adjust, fix = FALSE)
      stopifnot(max(abs(v - k)) <= 1e-12 * max(abs(v)))
    }
    sqrt(diag(k))
  }
  fb <- function(fit, kernel, lag) c(pick(coef(fit), NULL, TERMS)[names(TERMS)],
                                     fixed_b(fit, d$t, kernel, lag, TERMS))
  list(
    n = nrow(d), n_time = n_time, hac_lag = lag, bartlett_lag = lag_llsw(n_time),
    ewc_terms = ewc_llsw(n_time),
    hac_reference = if (exclude) "kernel over calendar positions" else "sandwich::vcovPL",
    ols_classical = pick(coef(ols), sqrt(diag(vcov(ols))), TERMS),
    ols_hac_adjust = pick(coef(ols), pl(ols, lag, TRUE), TERMS),
    ols_hac_noadjust = pick(coef(ols), pl(ols, lag, FALSE), TERMS),
    ols_hac_lag12 = pick(coef(ols), pl(ols, 12, TRUE), TERMS),
    quasipoisson = pick(coef(qp), sqrt(diag(vcov(qp))), TERMS,
                        list(dispersion = summary(qp)$dispersion)),
    quasipoisson_hac = pick(coef(qp), pl(qp, lag, TRUE), TERMS),
    ols_fixed_b_bartlett = fb(ols, "bartlett", lag_llsw(n_time)),
    ols_fixed_b_ewc = fb(ols, "ewc", ewc_llsw(n_time)),
    quasipoisson_fixed_b_bartlett = fb(qp, "bartlett", lag_llsw(n_time))
  )
}

out <- list(
  hes_wm_vs_south_west = run_case("hes", "West Midlands", "South West", "2019-10", "2020-03", "2020-06"),
  hes_wm_vs_east_midlands_south_west = run_case(
    "hes", "West Midlands", c("East Midlands", "South West"), "2019-10", "2020-03", "2020-06"),
  hes_wm_vs_south_west_lockdown_excluded = run_case(
    "hes", "West Midlands", "South West", "2019-10", "2020-03", "2021-03", exclude = TRUE),
  knife_wm_vs_staffordshire = run_case("knife", "West Midlands", "Staffordshire", "2014Q3"),
  versions = versions()
)
write_json_out(out, "tests/reference/its_comparative_reference.json")
