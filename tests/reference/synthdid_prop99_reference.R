# Reference for ve.SyntheticDiD: Arkhangelsky et al. (2021) Table 1 (California Proposition 99) as the
# paper's own code computes it (vignettes/paper-results.Rmd of R synthdid: set.seed(12345) before each
# estimator's placebo standard error, 200 replications), plus the fixed-weights jackknife and the
# bootstrap on a panel with several treated units, from the R synthdid source in synthdid_r/.
# Run: Rscript tests/reference/synthdid_prop99_reference.R  (from the repository root; a few minutes)
here <- "tests/reference"
for (f in c("utils.R", "solver.R", "synthdid.R", "vcov.R")) source(file.path(here, "synthdid_r", f))
data <- read.csv("data/california_prop99/california_prop99.csv", sep = ";")
setup <- panel.matrices(data)
estimators <- list(sdid = synthdid_estimate, sc = sc_estimate, did = did_estimate)
out <- list()
for (name in names(estimators)) {
  est <- estimators[[name]](setup$Y, setup$N0, setup$T0)
  set.seed(12345)
  se <- sqrt(vcov(est, method = "placebo"))
  w <- attr(est, "weights")
  out[[name]] <- list(estimate = c(est), placebo_se = c(se), omega = c(w$omega), lambda = c(w$lambda))
}
# several treated units: the last 5 states of the donor pool treated from 1989 with California
# (a made-up assignment, only to exercise the jackknife and bootstrap paths)
Y <- setup$Y
N0 <- setup$N0 - 5
multi <- synthdid_estimate(Y, N0, setup$T0)
jk <- sqrt(vcov(multi, method = "jackknife"))
out[["multi"]] <- list(estimate = c(multi), jackknife_se = c(jk), n0 = N0,
                       omega = c(attr(multi, "weights")$omega), lambda = c(attr(multi, "weights")$lambda))
json <- function(x) {
  if (is.list(x)) {
    keys <- names(x)
    return(paste0("{", paste(sprintf('"%s": %s', keys, sapply(x, json)), collapse = ", "), "}"))
  }
  if (is.character(x)) return(sprintf('"%s"', x))
  if (length(x) == 1) return(sprintf("%.12g", x))
  paste0("[", paste(sprintf("%.12g", x), collapse = ", "), "]")
}
out[["versions"]] <- list(R = R.version.string, synthdid = "source commit 70c1ce3e (synthdid_r/)")
cat(json(out), "\n", file = file.path(here, "synthdid_prop99_reference.json"))
cat(sprintf("R: %s\n", R.version.string))
