# Reference values for the CR2 (Bell-McCaffrey) degrees of freedom of linear contrasts in
# vrueval's event study (tests/test_did_reference.py): clubSandwich on the real data of
# did_css_reference.R. ONS crime severity score by PFA ("CSS data tool, YE Mar 2022 edition"),
# Violence against the person and Robbery; the 18 forces funded for a VRU in 2019 against the
# never-funded forces (City of London dropped); reference event time -1. Three designs:
#   event_study:           common start FY2019/20, leads binned at -6, lags unbinned (0..2);
#   weighted_event_study:  population (analytic) weights, FY2011/12..FY2021/22, leads binned at -5;
#   staggered_event_study: the first six 2019 VRU forces by ONS code given a start of FY2016/17
#                          (a hypothetical staggered timing), the rest FY2019/20; leads binned at
#                          -6, lags unbinned (0..5).
# In a balanced, unweighted panel with one start every event-time coefficient (and every contrast
# of them) has the same Bell-McCaffrey df; weights and staggered timing make them differ, which is
# where the contrast's own df matters. "att" is the mean of the post-period coefficients.
# Run from the repository root:  Rscript tests/reference/did_cr2_contrast_reference.R
suppressPackageStartupMessages({ library(clubSandwich); library(jsonlite) })
raw <- "data"  # run from the repository root
css <- read.csv(file.path(raw, "css_pfa_2003_2022", "css_by_offence_group_pfa_fy2003_2022.csv"))
reg <- read.csv(file.path(raw, "reference", "police_force_areas.csv"))
pop <- read.csv(file.path(raw, "population_pfa", "mid2011_2023", "population_by_pfa_mid2011_2023.csv"))
css <- css[css$vintage == "CSS data tool, YE Mar 2022 edition" & css$geo_level == "pfa", ]
treated <- reg$area_code[!is.na(reg$vru_cohort) & reg$vru_cohort == 2019]
never <- setdiff(reg$area_code[is.na(reg$vru_cohort)], "E23000034")
early <- sort(treated)[1:6]

out <- list(data = list(early_fy2016_17 = early),
            versions = list(R = R.version.string,
                            clubSandwich = as.character(packageVersion("clubSandwich"))))

# c'beta by clubSandwich::linear_contrast. Its Satterthwaite branch fails for weighted lm
# (clubSandwich 0.5.8: `q` undefined when the working model is not inverse-variance), so the same
# contrast is also computed by reparametrising: with A nonsingular and first row c', the regressors
# X A^-1 span the same space and their first coefficient is c'beta, whose coef_test Satterthwaite
# df is the contrast's. Both are recorded where both run (they agree to rounding).
by_linear_contrast <- function(fit, V, weights) {
  cf <- names(coef(fit))
  m <- matrix(0, nrow = 1, ncol = length(cf), dimnames = list("c", cf))
  m[1, names(weights)] <- weights
  lc <- linear_contrast(fit, vcov = V, contrasts = m, test = "Satterthwaite", level = 0.95,
                        p_values = TRUE)
  list(estimate = lc$Est[1], std_error = lc$SE[1], df = lc$df[1], p_value = lc$p_val[1])
}
by_reparametrising <- function(d, terms, weights, weighted) {
  cvec <- setNames(rep(0, length(terms)), terms)
  cvec[names(weights)] <- weights
  j <- which(cvec != 0)[1]
  A <- diag(length(terms))
  A[j, ] <- cvec
  A <- A[c(j, setdiff(seq_along(terms), j)), ]
  Z <- as.matrix(d[, terms]) %*% solve(A)
  colnames(Z) <- paste0("z", seq_along(terms))
  dz <- cbind(d[, c("unit", "year", "y", if (weighted) "w")], Z)
  f <- as.formula(paste("y ~", paste(colnames(Z), collapse = " + "),
                        "+ factor(unit) + factor(year)"))
  fit <- if (weighted) lm(f, data = dz, weights = w) else lm(f, data = dz)
  ct <- coef_test(fit, vcov = "CR2", cluster = dz$unit, test = "Satterthwaite", coefs = "z1")
  list(estimate = ct$beta[1], std_error = ct$SE[1], df = ct$df_Satt[1], p_value = ct$p_Satt[1])
}
contrast_rows <- function(fit, V, d, terms, weights, weighted) {
  out <- list(reparametrised = by_reparametrising(d, terms, weights, weighted))
  if (!weighted) {
    out$linear_contrast <- by_linear_contrast(fit, V, weights)
    stopifnot(abs(out$linear_contrast$df / out$reparametrised$df - 1) < 1e-8)
  }
  out
}

event_study <- function(d, first_year, lead_bin, weighted = FALSE) {
  d$e <- ifelse(is.na(first_year), NA, pmax(d$year - first_year, -lead_bin))
  ks <- sort(unique(d$e[!is.na(d$e)]))
  ks <- ks[ks != -1]
  terms <- c()
  for (k in ks) {
    nm <- paste0("e", ifelse(k < 0, paste0("m", -k), k))
    d[[nm]] <- as.numeric(!is.na(d$e) & d$e == k)
    terms <- c(terms, nm)
  }
  f <- as.formula(paste("y ~", paste(terms, collapse = " + "), "+ factor(unit) + factor(year)"))
  fit <- if (weighted) lm(f, data = d, weights = w) else lm(f, data = d)
  V <- vcovCR(fit, cluster = d$unit, type = "CR2")
  ct <- coef_test(fit, vcov = V, test = "Satterthwaite", coefs = terms)
  res <- list(n_obs = nobs(fit))
  res$coefficients <- setNames(lapply(seq_along(terms), function(i) {
    list(estimate = ct$beta[i], std_error = ct$SE[i], df = ct$df_Satt[i], p_value = ct$p_Satt[i])
  }), terms)
  post <- terms[ks >= 0]
  res$att <- contrast_rows(fit, V, d, terms, setNames(rep(1 / length(post), length(post)), post),
                           weighted)
  # an unequal contrast as a second check: mean of the leads -3 and -2 minus e0
  res$leads_minus_e0 <- contrast_rows(fit, V, d, terms, c(em3 = 0.5, em2 = 0.5, e0 = -1),
                                      weighted)
  res
}

for (group in c("Violence against the person", "Robbery")) {
  key <- if (group == "Robbery") "css_robbery" else "css_violence_against_the_person"
  d <- css[css$offence_group == group & css$area_code %in% c(treated, never), ]
  d <- data.frame(unit = d$area_code, year = d$fy_end_year, y = d$css)
  stopifnot(!anyNA(d$y), nrow(d) == 40 * 20)
  common <- ifelse(d$unit %in% treated, 2020, NA)
  res <- list(event_study = event_study(d, common, 6))
  dw <- merge(d[d$year >= 2012, ], data.frame(unit = pop$area_code, year = pop$mid_year + 1,
                                             w = pop$population), by = c("unit", "year"))
  stopifnot(nrow(dw) == 40 * 11)
  res$weighted_event_study <- event_study(dw, ifelse(dw$unit %in% treated, 2020, NA), 5,
                                          weighted = TRUE)
  stag <- ifelse(d$unit %in% early, 2017, common)
  res$staggered_event_study <- event_study(d, stag, 6)
  out[[key]] <- res
}
write_json(out, "tests/reference/did_cr2_contrast_reference.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
cat("wrote tests/reference/did_cr2_contrast_reference.json\n")
