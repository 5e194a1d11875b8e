# Reference values for vrueval's DiD (tests/test_did_reference.py).
# Real data: ONS crime severity score by PFA ("CSS data tool, YE Mar 2022 edition"), Violence
# against the person and Robbery; the 18 forces funded for a VRU in 2019 against the never-funded
# forces (City of London dropped: blank at source); post = FY2019/20 onwards (fy_end_year >= 2020).
# Run from the repository root:  Rscript tests/reference/did_css_reference.R
suppressPackageStartupMessages({
  library(estimatr); library(plm); library(sandwich); library(jsonlite)
})
raw <- "data"  # run from the repository root
css <- read.csv(file.path(raw, "css_pfa_2003_2022", "css_by_offence_group_pfa_fy2003_2022.csv"))
reg <- read.csv(file.path(raw, "reference", "police_force_areas.csv"))
pop <- read.csv(file.path(raw, "population_pfa", "mid2011_2023", "population_by_pfa_mid2011_2023.csv"))
css <- css[css$vintage == "CSS data tool, YE Mar 2022 edition" & css$geo_level == "pfa", ]
treated <- reg$area_code[!is.na(reg$vru_cohort) & reg$vru_cohort == 2019]
never <- setdiff(reg$area_code[is.na(reg$vru_cohort)], "E23000034")

out <- list(data = list(vintage = "CSS data tool, YE Mar 2022 edition", treated = treated,
                        comparators = never, post_from_fy_end_year = 2020),
            versions = list(R = R.version.string,
                            estimatr = as.character(packageVersion("estimatr")),
                            plm = as.character(packageVersion("plm")),
                            sandwich = as.character(packageVersion("sandwich"))))

se_of <- function(fit, term) unname(fit$std.error[term])
robust_set <- function(formula, d, term, weights = NULL) {
  args <- list(formula = formula, data = d, clusters = quote(unit))
  if (!is.null(weights)) args$weights <- quote(w)
  cr2 <- do.call(lm_robust, c(args, se_type = "CR2"))
  st <- do.call(lm_robust, c(args, se_type = "stata"))
  cr0 <- do.call(lm_robust, c(args, se_type = "CR0"))
  res <- list()
  for (t in term) {
    res[[t]] <- list(estimate = unname(coef(cr2)[t]), se_cr2 = se_of(cr2, t),
                     df_cr2 = unname(cr2$df[t]), se_stata = se_of(st, t), se_cr0 = se_of(cr0, t),
                     n_params_stata = st$rank, n_obs = nobs(st))
  }
  res
}

for (group in c("Violence against the person", "Robbery")) {
  key <- if (group == "Robbery") "css_robbery" else "css_violence_against_the_person"
  d <- css[css$offence_group == group & css$area_code %in% c(treated, never), ]
  d <- data.frame(unit = d$area_code, year = d$fy_end_year, y = d$css)
  stopifnot(!anyNA(d$y), nrow(d) == 40 * 20)
  d$treat <- as.numeric(d$unit %in% treated)
  d$D <- d$treat * (d$year >= 2020)
  res <- list()
  # TWFE, clustered by force
  res$twfe <- robust_set(y ~ D + factor(unit) + factor(year), d, "D")
  pd <- pdata.frame(d, index = c("unit", "year"))
  w <- plm(y ~ D, data = pd, model = "within", effect = "twoways")
  res$twfe$D$plm_estimate <- unname(coef(w)["D"])
  res$twfe$D$plm_se_cr0 <- unname(sqrt(diag(vcovHC(w, method = "arellano", type = "HC0",
                                                   cluster = "group")))["D"])
  # canonical 2x2 on pre/post means
  d$after <- as.numeric(d$year >= 2020)
  c2 <- aggregate(y ~ unit + after + treat, data = d, FUN = mean)
  c2$D <- c2$treat * c2$after
  res$two_by_two <- robust_set(y ~ D + factor(unit) + factor(after), c2, "D")
  res$two_by_two$D$simple_estimate <- unname(coef(lm(y ~ treat * after, data = c2))["treat:after"])
  # event study: leads binned at -6, reference -1, lags unbinned (FY2019/20..FY2021/22)
  d$e <- ifelse(d$treat == 1, pmax(d$year - 2020, -6), NA)
  terms <- c()
  for (k in c(-6:-2, 0:2)) {
    nm <- paste0("e", ifelse(k < 0, paste0("m", -k), k))
    d[[nm]] <- as.numeric(!is.na(d$e) & d$e == k)
    terms <- c(terms, nm)
  }
  fes <- as.formula(paste("y ~", paste(terms, collapse = " + "), "+ factor(unit) + factor(year)"))
  res$event_study <- robust_set(fes, d, terms)
  # Poisson PML (quasi-Poisson on the score), clustered CR0 from sandwich::vcovCL
  g <- glm(y ~ D + factor(unit) + factor(year), family = quasipoisson(), data = d,
           control = glm.control(epsilon = 1e-12, maxit = 100))
  res$poisson <- list(D = list(estimate = unname(coef(g)["D"]),
                               se_cr0 = unname(sqrt(diag(vcovCL(g, cluster = ~unit, type = "HC0",
                                                                 cadjust = FALSE)))["D"]),
                               n_obs = nobs(g)))
  # population-weighted TWFE, FY2011/12..FY2021/22 (mid-year population of the year it starts)
  dw <- merge(d[d$year >= 2012, ], data.frame(unit = pop$area_code, year = pop$mid_year + 1,
                                             w = pop$population), by = c("unit", "year"))
  stopifnot(nrow(dw) == 40 * 11)
  res$twfe_weighted <- robust_set(y ~ D + factor(unit) + factor(year), dw, "D", weights = TRUE)
  out[[key]] <- res
}
write_json(out, "tests/reference/did_css_reference.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
cat("wrote tests/reference/did_css_reference.json\n")
