# Helpers shared by the ITS reference scripts its_negbin_reference.R, its_fixed_b_reference.R and
# its_comparative_reference.R (sourced; run those from the repo root).
#
# Regressors are built here from the periods (as in its_reference.R): t = 0..n-1 on the calendar
# axis, level = 1[t >= T0], slope = max(0, t - T0), seasonal dummies (first season the reference),
# a lockdown indicator. The HAC and fixed-b quantities are written out from their formulas with
# sandwich's estfun() and bread() supplying the scores and the bread, not from vrueval's code.
suppressPackageStartupMessages({library(sandwich); library(jsonlite)})

add_regressors <- function(d, start, lock_from = NA, lock_to = NA) {
  periods <- sort(unique(d$period))
  d$t <- match(d$period, periods) - 1
  t0 <- match(start, periods) - 1
  d$level <- as.numeric(d$t >= t0)
  d$slope <- pmax(0, d$t - t0)
  d$season <- factor(d$season, levels = sort(unique(d$season)))
  d$lockdown <- if (is.na(lock_from)) 0 else as.numeric(d$period >= lock_from & d$period <= lock_to)
  d
}

lag_nw1994 <- function(n_time) floor(4 * (n_time / 100)^(2 / 9))
lag_llsw <- function(n_time) ceiling(1.3 * sqrt(n_time))             # Bartlett, Lazarus et al. 2018
ewc_llsw <- function(n_time) max(2, round(0.4 * n_time^(2 / 3)))      # EWC cosine terms B

# Kernel weights between rows at time positions t: Bartlett 1 - |t_i - t_j| / (lag + 1), or EWC
# (1/B) sum_j 2 cos(pi j (t_i + 1/2) / T) cos(pi j (t_j + 1/2) / T), T = max(t) + 1. Rows sharing a
# position get weight 1 (Bartlett): the scores are summed by period (Driscoll and Kraay, 1998), and
# a period left out of the fit is a gap, not a neighbour.
kernel_matrix <- function(t, kernel, lag) {
  if (kernel == "bartlett") return(pmax(1 - abs(outer(t, t, "-")) / (lag + 1), 0))
  phi <- sqrt(2) * cos(pi * outer(t + 0.5, seq_len(lag)) / (max(t) + 1))
  tcrossprod(phi) / lag
}

# bread %*% (sum_ij K_ij s_i s_j') %*% bread, times n / (n - k) when adjust.
hac_kernel <- function(fit, K, adjust) {
  ef <- estfun(fit)
  n <- nrow(ef); k <- ncol(ef)
  v <- sandwich(fit, meat. = crossprod(ef, K %*% ef) / n)
  if (adjust) v * n / (n - k) else v
}

# Design-specific fixed-b HAC for a coefficient (vrueval.inference.hac.fixed_b_adjustment, from
# its stated formula): with Xs = sqrt(W) X, B = (Xs'Xs)^-1, g = Xs B c, M = I - Xs B Xs',
# P = K o g g', the HAC variance v = r'Pr of standardised residuals r = M e has, under independent
# errors, E[v] = tr(PM) and Var[v] = 2 tr(PMPM). Reported: se = sqrt(v_plain * g'g / E[v]) and
# Satterthwaite df = E[v]^2 / tr(PMPM).
fixed_b <- function(fit, t, kernel, lag, terms) {
  K <- kernel_matrix(t, kernel, lag)
  X <- model.matrix(fit)
  w <- if (inherits(fit, "glm")) weights(fit, "working") else rep(1, nrow(X))
  Xs <- X * sqrt(w)
  B <- solve(crossprod(Xs))
  M <- diag(nrow(X)) - Xs %*% B %*% t(Xs)
  V <- hac_kernel(fit, K, FALSE)
  out <- list()
  for (nm in names(terms)) {
    g <- Xs %*% B[, terms[[nm]]]
    PM <- (K * tcrossprod(g)) %*% M
    e <- sum(diag(PM))
    out[[paste0("se_", nm)]] <- sqrt(V[terms[[nm]], terms[[nm]]] * sum(g^2) / e)
    out[[paste0("df_", nm)]] <- e^2 / sum(PM * t(PM))
  }
  out
}

pick <- function(fit_coef, se, terms, extra = list()) {
  out <- list()
  for (nm in names(terms)) out[[nm]] <- unname(fit_coef[terms[[nm]]])
  for (nm in names(terms)) out[[paste0("se_", nm)]] <- unname(se[terms[[nm]]])
  c(out, extra)
}

versions <- function(pkgs = character()) {
  pkgs <- c("sandwich", pkgs)
  c(list(R = R.version.string), setNames(lapply(pkgs, function(p) as.character(packageVersion(p))), pkgs))
}

write_json_out <- function(out, path) {
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), path)
}
