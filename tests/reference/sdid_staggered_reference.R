# Reference for ve.StaggeredSyntheticDiD: synthetic DiD for staggered adoption as Stata sdid
# computes it (Clarke, Pailanir, Athey and Imbens 2023), reimplemented here in R on top of the R
# synthdid source in synthdid_r/ (one synthdid_estimate a cohort, on the never-treated units and the
# cohort's units over every period), with this script's own:
#   * aggregation: att = sum_c m_c T1_c tau_c / sum_c m_c T1_c;
#   * fixed-weights jackknife: each unit left out, every cohort's omega renormalised over the
#     controls kept (Stata: sum_norm(omega_aux[id1])), lambda held, the shares recomputed;
#     se = sqrt((N-1)^2/N var), for the att and for each cohort over all N leave-outs (Stata);
#   * placebo on the orders of sdid_staggered_inputs.json: the last sum(m_c) never-treated units of
#     each order get the cohorts' dates (cohort by cohort), weights refitted from the fitted ones
#     (sum_normalize) with each cohort's fitted options (R synthdid's vcov);
#   * bootstrap on the rows of sdid_staggered_inputs.json: each cohort present re-estimated on the
#     drawn controls and its drawn units, shares from the drawn sizes; a cohort's se over the
#     draws it appears in. SEs are sqrt((B-1)/B) sd.
# Inputs: tests/reference/sdid_staggered_make_inputs.py. Needs jsonlite.
# Run: Rscript tests/reference/sdid_staggered_reference.R  (from the repository root)
here <- "tests/reference"
for (f in c("utils.R", "solver.R", "synthdid.R", "vcov.R")) source(file.path(here, "synthdid_r", f))
inputs <- jsonlite::fromJSON(file.path(here, "sdid_staggered_inputs.json"), simplifyVector = TRUE)

cohort_rows <- function(p, c) p$n0 + sum(p$sizes[seq_len(c - 1)]) + seq_len(p$sizes[c])

dd <- function(Y, n0, t0, omega, lambda) {
  n1 <- nrow(Y) - n0; t1 <- ncol(Y) - t0
  c(t(c(-omega, rep(1 / n1, n1))) %*% Y %*% c(-lambda, rep(1 / t1, t1)))
}

aggregate_att <- function(tau, m, t1) { ok <- m > 0; sum((m * t1 * tau)[ok]) / sum((m * t1)[ok]) }

refit <- function(fit, Y, n0, t0, omega) {
  w <- attr(fit, "weights")
  w$omega <- sum_normalize(omega)
  c(do.call(synthdid_estimate, c(list(Y = Y, N0 = n0, T0 = t0, weights = list(omega = w$omega, lambda = w$lambda)),
                                 attr(fit, "opts"))))
}

run <- function(p) {
  Y <- as.matrix(p$y); n0 <- p$n0; T <- ncol(Y); N <- nrow(Y)
  C <- length(p$starts); t1 <- T - p$starts; m <- p$sizes
  fits <- lapply(seq_len(C), function(c) synthdid_estimate(Y[c(seq_len(n0), cohort_rows(p, c)), ], n0, p$starts[c]))
  tau <- sapply(fits, c)
  out <- list(att = aggregate_att(tau, m, t1), tau = tau, share = m * t1 / sum(m * t1),
              omega = lapply(fits, function(f) c(attr(f, "weights")$omega)),
              lambda = lapply(fits, function(f) c(attr(f, "weights")$lambda)))
  # jackknife
  jk <- matrix(NA, N, C + 1)
  for (i in seq_len(N)) {
    taus <- tau; mm <- m
    controls <- setdiff(seq_len(n0), i)
    for (c in seq_len(C)) {
      rows <- cohort_rows(p, c)
      if (i > n0 && !(i %in% rows)) next
      members <- setdiff(rows, i); mm[c] <- length(members)
      w <- attr(fits[[c]], "weights")
      omega <- sum_normalize(w$omega[controls])
      taus[c] <- dd(Y[c(controls, members), ], length(controls), p$starts[c], omega, w$lambda)
    }
    jk[i, ] <- c(aggregate_att(taus, mm, t1), taus)
  }
  out$jackknife_se <- apply(jk, 2, function(u) sqrt(((N - 1) / N) * (N - 1) * var(u)))
  d <- p$draws
  if (length(d) > 0) {
    pop_se <- function(u) { u <- u[is.finite(u)]; B <- length(u); sqrt((B - 1) / B) * sd(u) }
    B <- nrow(d$orders); pl <- matrix(NA, B, C + 1); new_n0 <- n0 - sum(m)
    if (new_n0 > 0) {
      for (b in seq_len(B)) {
        o <- d$orders[b, ] + 1; first <- new_n0; taus <- numeric(C)
        for (c in seq_len(C)) {
          rows <- c(o[seq_len(new_n0)], o[first + seq_len(m[c])]); first <- first + m[c]
          taus[c] <- refit(fits[[c]], Y[rows, ], new_n0, p$starts[c], attr(fits[[c]], "weights")$omega[o[seq_len(new_n0)]])
        }
        pl[b, ] <- c(aggregate_att(taus, m, t1), taus)
      }
      out$placebo_se <- apply(pl, 2, pop_se)
    }
    B <- nrow(d$rows); bs <- matrix(NA, B, C + 1)
    for (b in seq_len(B)) {
      r <- d$rows[b, ] + 1; ctl <- r[r <= n0]; taus <- rep(NA, C); mm <- numeric(C)
      for (c in seq_len(C)) {
        mem <- r[r %in% cohort_rows(p, c)]; mm[c] <- length(mem)
        if (mm[c] == 0) next
        taus[c] <- refit(fits[[c]], Y[c(ctl, mem), ], length(ctl), p$starts[c], attr(fits[[c]], "weights")$omega[ctl])
      }
      bs[b, ] <- c(aggregate_att(taus, mm, t1), taus)
    }
    out$bootstrap_se <- apply(bs, 2, pop_se)
  }
  out
}

results <- lapply(inputs, run)
results$versions <- list(R = R.version.string, synthdid = "source commit 70c1ce3e (synthdid_r/)")
writeLines(jsonlite::toJSON(results, digits = NA, auto_unbox = TRUE, pretty = FALSE),
           file.path(here, "sdid_staggered_reference.json"))
cat(sprintf("R: %s\n", R.version.string))
