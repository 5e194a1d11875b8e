# Reference values for vrueval's CR1 small-sample rules (small_sample = "fixest", "stata", "plm",
# "none"; tests/test_did_small_sample.py).
# Real data: ONS crime severity score by PFA ("CSS data tool, YE Mar 2022 edition"), Violence
# against the person and Robbery; the 18 forces funded for a VRU in 2019 against the never-funded
# forces (City of London dropped: blank at source); post = FY2019/20 onwards (fy_end_year >= 2020).
# Each rule's standard error comes from the package that defines it:
#   stata : lm()/glm() with unit and year dummies + sandwich::vcovCL(type = "HC1"), and
#           estimatr::lm_robust(se_type = "stata") (Stata's regress ..., vce(cluster unit))
#   plm   : plm(model = "within", effect = "twoways") + vcovHC(cluster = "group", type = "sss")
#   none  : sandwich::vcovCL(type = "HC0", cadjust = FALSE), and plm's vcovHC default (HC0)
#   fixest: fixest is not installed here; its documented rule (ssc(adj = TRUE, fixef.K = "nested",
#           cluster.adj = TRUE): K = coefficients + fixed effects not nested in the clusters) is
#           applied to sandwich's CR0 below, with K read off lm()'s rank minus the unit effects.
# Run from the repository root:  Rscript tests/reference/did_small_sample_reference.R
suppressPackageStartupMessages({
  library(estimatr); library(plm); library(sandwich); library(jsonlite)
})
raw <- "data"
css <- read.csv(file.path(raw, "css_pfa_2003_2022", "css_by_offence_group_pfa_fy2003_2022.csv"))
reg <- read.csv(file.path(raw, "reference", "police_force_areas.csv"))
pop <- read.csv(file.path(raw, "population_pfa", "mid2011_2023", "population_by_pfa_mid2011_2023.csv"))
css <- css[css$vintage == "CSS data tool, YE Mar 2022 edition" & css$geo_level == "pfa", ]
treated <- reg$area_code[!is.na(reg$vru_cohort) & reg$vru_cohort == 2019]
never <- setdiff(reg$area_code[is.na(reg$vru_cohort)], "E23000034")

out <- list(versions = list(R = R.version.string,
                            estimatr = as.character(packageVersion("estimatr")),
                            plm = as.character(packageVersion("plm")),
                            sandwich = as.character(packageVersion("sandwich"))))

se <- function(v, terms) unname(sqrt(diag(v))[terms])

# every rule for an lm() with unit and period dummies (and the same model in plm when it can)
rules_lm <- function(formula, d, terms, time, weights = FALSE) {
  args <- list(formula = formula, data = d)
  if (weights) args$weights <- d$w
  m <- do.call(lm, args)
  g <- length(unique(d$unit))
  n <- nobs(m)
  k_fixest <- m$rank - g  # the unit effects (intercept included) are nested in the clusters
  cr0 <- vcovCL(m, cluster = ~unit, type = "HC0", cadjust = FALSE)
  fixest_factor <- g / (g - 1) * (n - 1) / (n - k_fixest)
  rargs <- list(formula = formula, data = d, clusters = quote(unit), se_type = "stata")
  if (weights) rargs$weights <- quote(w)
  st <- do.call(lm_robust, rargs)
  res <- list(
    terms = terms, n_obs = n, n_clusters = g, rank_lm = m$rank,
    estimate = unname(coef(m)[terms]),
    stata = se(vcovCL(m, cluster = ~unit, type = "HC1"), terms),
    stata_estimatr = unname(st$std.error[terms]),
    none = se(cr0, terms),
    fixest = se(cr0 * fixest_factor, terms),
    fixest_k = k_fixest
  )
  if (!weights) {
    pd <- pdata.frame(d, index = c("unit", time))
    rhs <- paste(terms, collapse = " + ")
    w <- plm(as.formula(paste("y ~", rhs)), data = pd, model = "within", effect = "twoways")
    res$plm <- se(vcovHC(w, method = "arellano", cluster = "group", type = "sss"), terms)
    res$none_plm <- se(vcovHC(w, method = "arellano", cluster = "group"), terms)
    res$plm_estimate <- unname(coef(w)[terms])
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
  res$twfe <- rules_lm(y ~ D + factor(unit) + factor(year), d, "D", "year")
  # canonical 2x2 on pre/post means
  d$after <- as.numeric(d$year >= 2020)
  c2 <- aggregate(y ~ unit + after + treat, data = d, FUN = mean)
  c2$D <- c2$treat * c2$after
  res$two_by_two <- rules_lm(y ~ D + factor(unit) + factor(after), c2, "D", "after")
  # event study: leads binned at -6, reference -1, lags unbinned (FY2019/20..FY2021/22)
  d$e <- ifelse(d$treat == 1, pmax(d$year - 2020, -6), NA)
  terms <- c()
  for (k in c(-6:-2, 0:2)) {
    nm <- paste0("e", ifelse(k < 0, paste0("m", -k), k))
    d[[nm]] <- as.numeric(!is.na(d$e) & d$e == k)
    terms <- c(terms, nm)
  }
  fes <- as.formula(paste("y ~", paste(terms, collapse = " + "), "+ factor(unit) + factor(year)"))
  res$event_study <- rules_lm(fes, d, terms, "year")
  # population-weighted TWFE, FY2011/12..FY2021/22 (plm has no weights: stata, none, fixest)
  dw <- merge(d[d$year >= 2012, ], data.frame(unit = pop$area_code, year = pop$mid_year + 1,
                                             w = pop$population), by = c("unit", "year"))
  stopifnot(nrow(dw) == 40 * 11)
  res$twfe_weighted <- rules_lm(y ~ D + factor(unit) + factor(year), dw, "D", "year",
                                weights = TRUE)
  # Poisson PML (quasi-Poisson on the score): glm + vcovCL HC1 counts every parameter
  g <- glm(y ~ D + factor(unit) + factor(year), family = quasipoisson(), data = d,
           control = glm.control(epsilon = 1e-12, maxit = 100))
  n <- nobs(g); gg <- length(unique(d$unit)); k_fixest <- g$rank - gg
  cr0 <- vcovCL(g, cluster = ~unit, type = "HC0", cadjust = FALSE)
  res$poisson <- list(terms = "D", n_obs = n, n_clusters = gg, rank_glm = g$rank,
                      estimate = unname(coef(g)["D"]),
                      stata = se(vcovCL(g, cluster = ~unit, type = "HC1"), "D"),
                      none = se(cr0, "D"),
                      fixest = se(cr0 * gg / (gg - 1) * (n - 1) / (n - k_fixest), "D"),
                      plm = se(cr0 * gg / (gg - 1) * (n - 1) / (n - 1), "D"),
                      fixest_k = k_fixest)
  out[[key]] <- res
}
write_json(out, "tests/reference/did_small_sample_reference.json", digits = NA,
           auto_unbox = TRUE, pretty = TRUE)
cat("wrote tests/reference/did_small_sample_reference.json\n")
