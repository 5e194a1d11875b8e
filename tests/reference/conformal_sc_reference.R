# Reference conformal p-values (Chernozhukov, Wuthrich and Zhu 2021) for synthetic control,
# base R only, with an exact simplex least-squares solver by enumeration of supports.
#
# Data: California against the first eight donor states (alphabetical) in
# data/california_prop99/california_prop99.csv, 1970-1992: 19 pre-periods (1970-88), 4 post
# (1989-92).
#
# For a null "effect theta in the tested post-periods" the treated outcomes there are reduced
# by theta, the synthetic control weights refitted (plain least squares on the simplex) on the
# pre-periods and the tested periods together, and the residuals u formed. Statistic:
# S(u) = sum over the tested periods of |u| / sqrt(number tested). Moving-block permutations:
# the n cyclic shifts of the n = 19 + tested residuals; p = share of shifts with S >= S(obs).
# Recorded: for each post-period alone, theta in (0, -10, -20, 5); for the four together
# (constant effect), theta in (0, -10, -20).
#
# Run: Rscript tests/reference/conformal_sc_reference.R   (from the repository root)
# Writes tests/reference/conformal_sc_reference.json.

panel <- read.csv("data/california_prop99/california_prop99.csv", sep = ";")
panel <- panel[panel$Year <= 1992, ]
years <- sort(unique(panel$Year))
donors <- sort(setdiff(unique(panel$State), "California"))[1:8]
wide <- sapply(c(donors, "California"), function(u) {
  rows <- panel[panel$State == u, ]
  rows$PacksPerCapita[match(years, rows$Year)]
})
t0 <- sum(years < 1989)

simplex_ls <- function(a, b) {
  n <- ncol(a)
  q <- 2 * crossprod(a)
  cvec <- -2 * drop(crossprod(a, b))
  best <- NULL
  best_value <- Inf
  for (code in 1:(2^n - 1)) {
    s <- which(bitwAnd(code, 2^(0:(n - 1))) > 0)
    k <- length(s)
    kkt <- rbind(cbind(q[s, s, drop = FALSE], 1), c(rep(1, k), 0))
    sol <- tryCatch(solve(kkt, c(-cvec[s], 1)), error = function(e) NULL)
    if (is.null(sol)) next
    ws <- sol[1:k]
    if (any(ws <= 0)) next
    w <- numeric(n)
    w[s] <- ws
    value <- sum((b - a %*% w)^2)
    if (value < best_value) {
      best_value <- value
      best <- w
    }
  }
  best
}

p_value <- function(cols, theta) {
  keep <- c(seq_len(t0), t0 + cols)
  a <- wide[keep, 1:8]
  b <- wide[keep, 9]
  k <- length(cols)
  n <- length(keep)
  b[(n - k + 1):n] <- b[(n - k + 1):n] - theta
  w <- simplex_ls(a, b)
  u <- b - drop(a %*% w)
  stat <- function(v) sum(abs(v[(n - k + 1):n])) / sqrt(k)
  observed <- stat(u)
  shifted <- sapply(0:(n - 1), function(s) stat(u[((seq_len(n) - 1 - s) %% n) + 1]))
  mean(shifted >= observed - 1e-12 * max(1, abs(observed)))
}

fmt <- function(v) paste0("[", paste(sprintf("%.17g", v), collapse = ", "), "]")
period_thetas <- c(0, -10, -20, 5)
periods <- sapply(1:4, function(j) fmt(sapply(period_thetas, function(th) p_value(j, th))))
att_thetas <- c(0, -10, -20)
att <- fmt(sapply(att_thetas, function(th) p_value(1:4, th)))
json <- paste0(
  "{\n",
  sprintf('  "r_version": "%s",\n', R.version.string),
  sprintf('  "donors": [%s],\n', paste0('"', donors, '"', collapse = ", ")),
  '  "last_year": 1992,\n',
  sprintf('  "period_thetas": %s,\n', fmt(period_thetas)),
  sprintf('  "period_p": [%s],\n', paste(periods, collapse = ", ")),
  sprintf('  "att_thetas": %s,\n', fmt(att_thetas)),
  sprintf('  "att_p": %s\n', att),
  "}\n"
)
writeLines(json, "tests/reference/conformal_sc_reference.json", sep = "")
