# Exact reference for the penalised synthetic control (Abadie and L'Hour 2021), base R only.
#
# Problem: minimise ||x1 - X0 w||^2 + lambda * sum_j w_j ||x1 - X0[, j]||^2 over the simplex,
# on the last eight pre-period outcomes (2010 Q2 - 2012 Q1) of the first ten donor states
# (alphabetical) and Kansas, from data/augsynth_kansas/kansas_lngdpcapita.csv, each row
# divided by its standard deviation over the eleven units (as pysyncon's PenalizedSynth does).
#
# Method: by enumeration, not by an iterative solver. For every non-empty support S of the
# ten donors (1,023) the equality-constrained optimum on S solves the KKT system
# [2 Q_SS 1; 1' 0] [w_S; nu] = [-c_S; 1] (Q = X0'X0, c = -2 X0'x1 + lambda d); it is kept when
# its weights are positive and no donor off S has a lower gradient than the common level on S
# (the simplex KKT conditions, which a convex problem's optimum satisfies and only it). The
# lowest objective among those kept is recorded (they coincide when the optimum is unique).
# lambda = 0 (plain synthetic control) is solved the same way.
#
# Run: Rscript tests/reference/penalized_sc_reference.R  (from the repository root)
# Writes tests/reference/penalized_sc_reference.json.

panel <- read.csv("data/augsynth_kansas/kansas_lngdpcapita.csv")
times <- sort(unique(panel$year_qtr))
start <- min(panel$year_qtr[panel$treated == 1])
pre <- times[times < start]
periods <- tail(pre, 8)
donors <- sort(setdiff(unique(panel$state), "Kansas"))[1:10]
units <- c(donors, "Kansas")
block <- sapply(units, function(u) {
  rows <- panel[panel$state == u, ]
  rows$lngdpcapita[match(periods, rows$year_qtr)]
})
block <- block / apply(block, 1, sd)
x0 <- block[, 1:10]
x1 <- block[, 11]

objective <- function(w, lambda) {
  d <- colSums((x0 - x1)^2)
  sum((x1 - x0 %*% w)^2) + lambda * sum(w * d)
}

solve_exact <- function(lambda) {
  n <- ncol(x0)
  q <- 2 * crossprod(x0)
  cvec <- -2 * drop(crossprod(x0, x1)) + lambda * colSums((x0 - x1)^2)
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
    g <- drop(q %*% w) + cvec
    level <- mean(g[s])
    off <- setdiff(seq_len(n), s)
    if (length(off) && min(g[off]) < level - 1e-9 * max(1, abs(level))) next
    value <- objective(w, lambda)
    if (value < best_value) {
      best_value <- value
      best <- w
    }
  }
  list(weights = best, value = best_value)
}

fmt <- function(v) paste0("[", paste(sprintf("%.17g", v), collapse = ", "), "]")
lambdas <- c(0, 0.01, 0.1, 1, 10)
entries <- sapply(lambdas, function(l) {
  fit <- solve_exact(l)
  sprintf('  "%s": {"weights": %s, "objective": %.17g}', format(l), fmt(fit$weights), fit$value)
})
nearest <- donors[which.min(colSums((x0 - x1)^2))]
json <- paste0(
  "{\n",
  sprintf('  "r_version": "%s",\n', R.version.string),
  sprintf('  "donors": [%s],\n', paste0('"', donors, '"', collapse = ", ")),
  sprintf('  "periods": %s,\n', fmt(periods)),
  sprintf('  "nearest_donor": "%s",\n', nearest),
  '  "fits": {\n', paste(entries, collapse = ",\n"), "\n  }\n}\n"
)
json <- sub('"fits": \\{\n  ', '"fits": {\n  ', json)
writeLines(json, "tests/reference/penalized_sc_reference.json", sep = "")
