# Reference values for ve.StaggeredSyntheticControl: the partially pooled synthetic control of
# Ben-Michael, Feller and Rothstein (2022), written here from the paper's objective and solved
# by quadprog::solve.QP (Goldfarb-Idnani dual active set, exact), independently of vrueval.
#
# Data: mpdta (Callaway and Sant'Anna 2021, data/mpdta/mpdta.csv.gz), the counties whose code is
# divisible by 11 (23 never treated, 16 treated in cohorts 2004, 2006, 2007), outcome lemp.
# Every treated unit j (first treated T_j) has simplex weights over the never-treated counties,
# fitted on all its pre-periods; its imbalance at lag l is delta_jl = y_j,T_j-l - sum_i g_ij
# y_i,T_j-l (zero beyond its pre-periods), and the weights minimise
#   nu |sum_j delta_j / J|^2 + (1 - nu) sum_j |delta_j|^2 / J + ridge sum_j |g_j|^2.
# fixedeff (without the 2004 cohort, which has one pre-period): each series of unit j's problem de-meaned over j's pre-periods, the synthetic
# control shifted back to j's level. nu = NA: the paper's heuristic (the separate fits' pooled
# over unit-level imbalance). quadprog needs a positive definite form: ridge > 0.
#
# Run from the repository root: Rscript tests/reference/multisynth_qp.R
# Writes tests/reference/multisynth_qp.csv (variant, term, estimate; the nu used as term "nu").
library(quadprog)

setup <- function(drop_2004) {
  d <- read.csv(gzfile("data/mpdta/mpdta.csv.gz"))
  d <- d[d$countyreal %% 11 == 0, ]
  if (drop_2004) d <- d[d$first.treat != 2004, ]       # one pre-period: nothing to de-mean
  years <<- sort(unique(d$year))
  ids <<- sort(unique(d$countyreal))
  y <<- matrix(NA_real_, length(ids), length(years), dimnames = list(ids, years))
  y[cbind(match(d$countyreal, ids), match(d$year, years))] <<- d$lemp
  g <<- tapply(d$first.treat, d$countyreal, max)[as.character(ids)]
  controls <<- which(g == 0)
  tr <- which(g > 0)
  treated <<- tr[order(g[tr], ids[tr])]              # by cohort, then unit code
  first_col <<- match(g[treated], years)                   # first treated column
  J <<- length(treated); N0 <<- length(controls); Tn <<- length(years)
}

lagged <- function(j, fixedeff) {
  cols <- seq(first_col[j] - 1, 1)                         # lag 1 first
  t <- y[treated[j], cols]; a <- t(y[controls, cols, drop = FALSE])
  if (fixedeff) { t <- t - mean(t); a <- sweep(a, 2, colMeans(a)) }
  list(t = t, a = a)
}

solve_weights <- function(nu, ridge, fixedeff) {
  lmax <- max(first_col - 1)
  n <- J * N0
  H <- diag(ridge, n); lin <- numeric(n)
  W <- matrix(0, lmax, n); tot <- numeric(lmax)
  for (j in seq_len(J)) {
    p <- lagged(j, fixedeff); L <- length(p$t); idx <- (j - 1) * N0 + seq_len(N0)
    H[idx, idx] <- H[idx, idx] + (1 - nu) / J * crossprod(p$a)
    lin[idx] <- lin[idx] - (1 - nu) / J * crossprod(p$a, p$t)
    W[seq_len(L), idx] <- p$a; tot[seq_len(L)] <- tot[seq_len(L)] + p$t
  }
  H <- H + nu / J^2 * crossprod(W); lin <- lin - nu / J^2 * crossprod(W, tot)
  A <- cbind(kronecker(diag(J), matrix(1, N0, 1)), diag(n))
  b <- c(rep(1, J), rep(0, n))
  sol <- solve.QP(2 * H, -2 * lin, A, b, meq = J)$solution
  matrix(pmax(sol, 0), N0, J)
}

imbalance <- function(G, fixedeff) {
  lmax <- max(first_col - 1); tot <- numeric(lmax); sq <- 0
  for (j in seq_len(J)) {
    p <- lagged(j, fixedeff); dl <- p$t - p$a %*% G[, j]
    tot[seq_along(dl)] <- tot[seq_along(dl)] + dl; sq <- sq + sum(dl^2)
  }
  c(pooled = sqrt(sum((tot / J)^2)), separate = sqrt(sq / J))
}

effects <- function(nu, ridge, fixedeff) {
  if (is.na(nu)) {
    m <- imbalance(solve_weights(0, ridge, fixedeff), fixedeff)
    nu <- unname(m["pooled"] / m["separate"])
  }
  G <- solve_weights(nu, ridge, fixedeff)
  gaps <- list()
  for (j in seq_len(J)) {
    synth <- drop(crossprod(G[, j], y[controls, ]))
    if (fixedeff) {
      pre <- seq_len(first_col[j] - 1)
      synth <- synth + mean(y[treated[j], pre]) - sum(G[, j] * rowMeans(y[controls, pre, drop = FALSE]))
    }
    gaps[[j]] <- (y[treated[j], ] - synth)[first_col[j]:Tn]
  }
  horizon <- max(lengths(gaps))
  terms <- c("nu", "att", paste0("att:e=", seq_len(horizon) - 1))
  est <- c(nu, mean(unlist(gaps)),
           sapply(seq_len(horizon), function(k) mean(unlist(lapply(gaps, function(x) x[k])), na.rm = TRUE)))
  for (c0 in sort(unique(g[treated]))) {
    terms <- c(terms, paste0("att:cohort=", c0))
    est <- c(est, mean(unlist(gaps[g[treated] == c0])))
  }
  terms <- c(terms, paste0("att:unit=", ids[treated]))
  est <- c(est, sapply(gaps, mean))
  data.frame(term = terms, estimate = est)
}

variants <- list(
  heuristic = list(nu = NA, ridge = 0.01, fixedeff = FALSE),
  nu_half_fixedeff = list(nu = 0.5, ridge = 0.01, fixedeff = TRUE),  # without the 2004 cohort
  nu_one = list(nu = 1, ridge = 0.01, fixedeff = FALSE)
)
out <- do.call(rbind, lapply(names(variants), function(v) {
  p <- variants[[v]]
  setup(drop_2004 = p$fixedeff)
  cbind(variant = v, effects(p$nu, p$ridge, p$fixedeff))
}))
write.csv(out, "tests/reference/multisynth_qp.csv", row.names = FALSE)
cat(sprintf("R %s, quadprog %s\n", getRversion(), packageVersion("quadprog")))
