# Reference random-effects pooling from R metafor::rma (DL and REML), on pooling_inputs.csv.
# Prediction intervals: normal (predict's default with test = "z") and t with k - 2 df
# (pi.type = "riley"); test_t_prediction_df records that test = "t" uses k - 1 df.
#   needs R metafor: apt-get install r-cran-metafor (Debian bookworm: metafor 3.8-1)
#   Rscript tests/reference/pooling_reference.R   # writes pooling_reference.json
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))))
inputs <- read.csv(file.path(here, "pooling_inputs.csv"))
results <- list()
for (dataset in sort(unique(inputs$dataset))) {
  d <- inputs[inputs$dataset == dataset, ]
  one <- list()
  for (method in c("DL", "REML")) {
    fit <- rma(yi = d$estimate, sei = d$std_error, method = method,
               control = list(tol = 1e-12, maxiter = 10000, threshold = 1e-12))
    pred <- predict(fit, level = 95)  # test = "z": the normal prediction interval
    # t with k - 2 df (Higgins, Thompson & Spiegelhalter 2009): pi.type = "riley" in metafor
    # 3.8-1 (an argument through ..., df = k - p - 1); test = "t" would give k - 1 df instead
    riley <- predict(fit, level = 95, pi.type = "riley")
    fit_t <- rma(yi = d$estimate, sei = d$std_error, method = method, test = "t",
                 control = list(tol = 1e-12, maxiter = 10000, threshold = 1e-12))
    pred_t <- predict(fit_t, level = 95)
    one[[method]] <- list(
      estimate = as.numeric(fit$b), std_error = fit$se, conf_low = fit$ci.lb,
      conf_high = fit$ci.ub, p_value = fit$pval, tau2 = fit$tau2, i2 = fit$I2 / 100,
      q = fit$QE, q_p_value = fit$QEp, prediction_low = pred$pi.lb, prediction_high = pred$pi.ub,
      prediction_t_low = riley$pi.lb, prediction_t_high = riley$pi.ub, prediction_t_df = riley$pi.ddf,
      test_t_prediction_df = pred_t$pi.ddf,
      weights = as.numeric(weights(fit)) / 100
    )
  }
  results[[dataset]] <- one
}
out <- list(R = R.version.string, metafor = as.character(packageVersion("metafor")),
            results = results)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(here, "pooling_reference.json"))
