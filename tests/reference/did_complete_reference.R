# Reference values for vrueval's DiD / EventStudy options (tests/test_did_complete.py):
# time-varying covariates, a cluster variable other than the unit, two-way clustering (with the
# eigenvalue fix), observation and unit weights, anticipation periods, unit-specific trends.
# Inputs: tests/reference/did_complete_inputs.csv (did_complete_make_inputs.py: CSS violence by
# force, police officers per 100,000, region; 18 VRU forces from FY2019/20 against 22
# never-funded forces, FY2011/12..2021/22).
# Each model is written out with explicit unit and year dummies, so nothing is absorbed:
#   CR1 "stata" / CR2: estimatr::lm_robust(clusters=, weights=, se_type=)
#   two-way: sandwich::vcovCL(lm, cluster = ~ a + b, type = "HC1") on the full dummy model, and
#   with fix = TRUE on the Frisch-Waugh-Lovell regression (the coefficient block; HC1's K is
#   then the coefficients alone, vrueval's small_sample="plm").
# Run from the repository root:  Rscript tests/reference/did_complete_reference.R
suppressPackageStartupMessages({library(estimatr); library(sandwich)})
# a small JSON writer (jsonlite is not always installed): numbers at 17 significant digits
to_json <- function(x) {
  if (is.list(x)) {
    body <- vapply(seq_along(x), function(i) to_json(x[[i]]), "")
    if (is.null(names(x))) return(paste0("[", paste(body, collapse = ", "), "]"))
    return(paste0("{", paste(paste0('"', names(x), '": ', body), collapse = ", "), "}"))
  }
  if (is.matrix(x)) return(to_json(lapply(seq_len(nrow(x)), function(i) x[i, ])))
  one <- function(v) if (is.character(v)) paste0('"', v, '"') else
    if (is.na(v)) "null" else sprintf("%.17g", v)
  if (length(x) == 1) return(one(x))
  paste0("[", paste(vapply(x, one, ""), collapse = ", "), "]")
}
d <- read.csv("tests/reference/did_complete_inputs.csv", stringsAsFactors = FALSE)
d$post <- as.integer(d$treated == 1 & d$fy_end >= 2020)
d$e <- ifelse(d$treated == 1, d$fy_end - 2020, NA)
d$t <- d$fy_end - 2012
d$unit <- factor(d$force); d$year <- factor(d$fy_end)
d$antic1 <- as.integer(!is.na(d$e) & d$e == -1)

event_cols <- function(d, lo, hi, reference) {
  e <- pmin(pmax(d$e, lo), hi)
  names <- c()
  for (k in lo:hi) {
    if (k == reference) next
    nm <- if (k < 0) paste0("em", -k) else paste0("ep", k)
    d[[nm]] <- as.integer(!is.na(e) & e == k)
    names <- c(names, nm)
  }
  list(d = d, names = names)
}
term_of <- function(nm) {
  if (nm == "post") return("att")
  if (nm == "antic1") return("anticipation")
  if (nm == "officers") return("covariate:officers")
  if (startsWith(nm, "em")) return(paste0("att:e=-", substring(nm, 3)))
  if (startsWith(nm, "ep")) return(paste0("att:e=", substring(nm, 3)))
  nm
}
rows <- function(fit, names, se, df) {
  setNames(lapply(names, function(nm) list(estimate = unname(coef(fit)[nm]),
    std_error = unname(se[nm]), df = unname(df[nm]))), sapply(names, term_of))
}
robust <- function(f, names, cluster, weights = NULL, types = c("stata", "CR2")) {
  out <- list()
  for (type in types) {
    args <- list(formula = f, data = d, clusters = d[[cluster]], se_type = type)
    if (!is.null(weights)) args$weights <- d[[weights]]
    fit <- do.call(lm_robust, args)
    out[[type]] <- rows(fit, names, fit$std.error, fit$df)
  }
  out
}
fe <- "+ unit + year"
out <- list(versions = list(R = R.version.string,
  estimatr = as.character(packageVersion("estimatr")),
  sandwich = as.character(packageVersion("sandwich"))))

f_cov <- as.formula(paste("css_violence ~ post + officers", fe))
cov_terms <- c("post", "officers")
out$covariate_unit <- robust(f_cov, cov_terms, "force")
out$covariate_region <- robust(f_cov, cov_terms, "region")
out$covariate_region_unit_weights <- robust(f_cov, cov_terms, "region", "unit_weight")
out$covariate_unit_population_weights <- robust(f_cov, cov_terms, "force", "population")

# two-way: region and year, on the full dummy model (HC1: K counts every parameter)
full <- lm(f_cov, data = d)
v2 <- vcovCL(full, cluster = ~ region + fy_end, type = "HC1", cadjust = TRUE, fix = FALSE)
ev <- eigen(v2[cov_terms, cov_terms], symmetric = TRUE)$values
out$twoway_region_year <- list(
  stata = rows(full, cov_terms, sqrt(diag(v2)[cov_terms]), setNames(rep(min(10, 11) - 1, 2), cov_terms)),
  min_eigenvalue = min(ev))

# event study with the covariate, leads binned at -4, lags 2
es <- event_cols(d, -4, 2, -1)
de <- es$d
f_es <- as.formula(paste("css_violence ~", paste(c(es$names, "officers"), collapse = " + "), fe))
es_terms <- c(es$names, "officers")
d_saved <- d; d <- de
out$event_covariate_unit <- robust(f_es, es_terms, "force", types = "stata")
# two-way force + year on the FWL regression, with the eigenvalue fix (vcovCL fix = TRUE)
resid_on_fe <- function(v) resid(lm(v ~ unit + year, data = de))
ry <- resid_on_fe(de$css_violence)
rx <- sapply(es_terms, function(nm) resid_on_fe(de[[nm]]))
fwl <- lm(ry ~ rx - 1)
names(fwl$coefficients) <- es_terms
vfix <- vcovCL(fwl, cluster = de[, c("force", "fy_end")], type = "HC1", cadjust = TRUE, fix = TRUE)
vraw <- vcovCL(fwl, cluster = de[, c("force", "fy_end")], type = "HC1", cadjust = TRUE, fix = FALSE)
dimnames(vfix) <- list(es_terms, es_terms); dimnames(vraw) <- list(es_terms, es_terms)
out$event_covariate_twoway_fixed <- list(
  plm = rows(fwl, es_terms, sqrt(diag(vfix)), setNames(rep(10, length(es_terms)), es_terms)),
  min_eigenvalue_before_fix = min(eigen(vraw, symmetric = TRUE)$values),
  vcov = unname(vfix))

# unit-specific linear trends (DiD with the covariate)
d <- d_saved
f_tr <- as.formula(paste("css_violence ~ post + officers", fe, "+ unit:t"))
out$trends_unit <- robust(f_tr, cov_terms, "force", types = "stata")
de2 <- event_cols(d, -4, 2, -1)$d
d <- de2
f_es_tr <- as.formula(paste("css_violence ~", paste(es$names, collapse = " + "), fe, "+ unit:t"))
out$event_trends_unit <- robust(f_es_tr, es$names, "force", types = "stata")

# anticipation of one period: DiD with its own anticipation column, event study with e = -2
d <- d_saved
f_an <- as.formula(paste("css_violence ~ post + antic1 + officers", fe))
out$anticipation_unit <- robust(f_an, c("post", "antic1", "officers"), "force")
es3 <- event_cols(d, -4, 2, -2)
d <- es3$d
f_es3 <- as.formula(paste("css_violence ~", paste(es3$names, collapse = " + "), fe))
out$event_anticipation_unit <- robust(f_es3, es3$names, "force", types = "stata")

# the canonical 2x2 with the covariate and one anticipation period: each force's means before
# (FY2011/12-2017/18; 2018/19 left out for every force) and from the start
d <- d_saved
keep <- d[d$fy_end != 2019, ]
keep$after <- as.integer(keep$fy_end >= 2020)
m <- aggregate(cbind(css_violence, officers) ~ force + after, data = keep, FUN = mean)
m$treated <- d$treated[match(m$force, d$force)]
m$post <- m$treated * m$after
d <- m
out$two_by_two_anticipation_unit <- robust(css_violence ~ post + officers + factor(force) +
                                             factor(after), cov_terms, "force", types = "stata")

writeLines(to_json(out), "tests/reference/did_complete_reference.json")
