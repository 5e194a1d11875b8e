"""Event study: leads and lags of treatment against comparators, with a pre-trend test.

Estimand: ``att:e=<k>``, the treated units' outcome at event time ``k`` (periods since their start)
relative to the reference period (``k = -1`` unless chosen otherwise) and to the comparators'
change over the same periods. Leads (``k < 0``) estimate anticipation or diverging pre-trends and
should be near zero; the joint Wald test says whether they are. End-points are binned: every
event time at or beyond ``-leads`` (``lags``) shares one coefficient. ``att`` is the mean of the
post-period coefficients, tested as the linear contrast ``w'beta`` with its own degrees of freedom
(with CR2, the Bell-McCaffrey/Satterthwaite df of that contrast, as ``clubSandwich``'s
``linear_contrast``; with CR1, ``G - 1``).

References
----------
Freyaldenhoven, S., Hansen, C., Pérez, J. P. and Shapiro, J. M. (2021). Visualization,
identification, and estimation in the linear panel event-study design. NBER WP 29170.
Schmidheiny, K. and Siegloch, S. (2023). On event studies and distributed-lags in two-way fixed
effects models: identification, equivalence, and generalization. *Journal of Applied
Econometrics* 38(5), 695-713 (binned end-points).
Sun, L. and Abraham, S. (2021). Estimating dynamic treatment effects in event studies with
heterogeneous treatment effects. *Journal of Econometrics* 225(2), 175-199.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar, Unpack, cast

import numpy as np
import pandas as pd

from vrueval.data import design_input
from vrueval.data.panel import Panel
from vrueval.designs.did import inference as inf
from vrueval.designs.did.estimator import (
    STAGGER_WARNING,
    ComparatorOptions,
    DataOptions,
    _check_fit_options,
    _ComparatorDesign,
    _given_cluster,
    _psd_warning,
    check_clusters,
)
from vrueval.designs.did.options import EVENT_STUDY
from vrueval.designs.did.regressors import clustering
from vrueval.designs.did.results import DiDResult
from vrueval.inference.intervals import wald_table
from vrueval.inference.seeds import check_seed
from vrueval.inference.small_sample import DEFAULT_SMALL_SAMPLE, SmallSample
from vrueval.inference.wild_bootstrap import BootWeights
from vrueval.options import OptionsTable
from vrueval.sensitivity.pretrend_power import wald_slope_for_power


def event_dummies(
    event: np.ndarray, leads: int | None, lags: int | None, reference: int
) -> tuple[np.ndarray, list[int]]:
    """Columns of event-time indicators (NaN event = never treated), binned at the ends."""
    e = np.asarray(event, dtype=float)
    seen = e[~np.isnan(e)]
    lo = int(seen.min()) if leads is None else -int(leads)
    hi = int(seen.max()) if lags is None else int(lags)
    clipped = np.clip(e, lo, hi)
    times = [k for k in range(lo, hi + 1) if k != reference and np.any(clipped == k)]
    x = np.column_stack([(clipped == k).astype(float) for k in times])
    return x, times


class EventStudy(_ComparatorDesign):
    """Event study with leads and lags against comparator areas (TWFE, unit-clustered).

    Parameters are those of :class:`~vrueval.designs.did.DiD` (binary treatment, OLS) plus:

    leads, lags : int, optional
        Event times shown before and after the start; earlier (later) periods are binned into
        ``-leads`` (``lags``). All event times unbinned by default.
    reference : int, optional
        Omitted event time: by default -1 (the period before the start), or ``-1 -
        anticipation`` with ``anticipation`` periods (the last period before them). It may not
        lie inside the anticipation periods.

    With ``anticipation=k`` the event times ``-k..-1`` are estimated (effects allowed before
    the start) and left out of the pre-trend test; ``att`` stays the mean of ``e >= 0``.
    Covariates enter as ``covariate:<name>`` terms (after the event-time terms); unit trends
    are partialled out with the effects and warned about on the result.
    """

    #: The options table (:mod:`vrueval.designs.did.options`).
    OPTIONS: ClassVar[OptionsTable] = EVENT_STUDY

    def __init__(
        self,
        panel: Panel | pd.DataFrame,
        outcome: str,
        *,
        leads: int | None = None,
        lags: int | None = None,
        reference: int | None = None,
        **given: Unpack[DataOptions],
    ) -> None:
        self._cluster_given = _given_cluster(panel, given.get("cluster"))
        panel, read = design_input.comparator("EventStudy", panel, outcome, given)
        options = cast(ComparatorOptions, read)
        anticipation = options.get("anticipation", 0)
        if reference is None:
            reference = -1 - anticipation if isinstance(anticipation, int) else -1
        elif isinstance(anticipation, int) and -anticipation <= reference <= -1:
            raise ValueError(
                f"reference {reference} lies inside the {anticipation} anticipation period(s) "
                f"(event times -{anticipation}..-1); choose {-1 - anticipation} or earlier"
            )
        for name, v in (("leads", leads), ("lags", lags)):
            if v is not None and (not isinstance(v, int) or v < 0):
                raise ValueError(f"{name} must be a non-negative integer or None, got {v!r}")
        if not isinstance(reference, int):
            raise ValueError(f"reference must be an integer event time, got {reference!r}")
        if leads is not None and reference < -leads:
            raise ValueError(f"reference {reference} lies inside the binned lead -{leads}")
        self._leads, self._lags, self._reference = leads, lags, reference
        super().__init__(panel, outcome, **options)
        event = self._data.frame["event"]
        if reference not in range(int(np.nanmin(event)), int(np.nanmax(event)) + 1):
            raise ValueError(f"reference event time {reference} is not in the data")

    @property
    def leads(self) -> int | None:
        return self._leads

    @property
    def lags(self) -> int | None:
        return self._lags

    @property
    def reference(self) -> int:
        return self._reference

    def fit(
        self,
        inference: inf.Inference = "cr1",
        *,
        level: float = 0.95,
        seed: int | None = None,
        draws: int = 9999,
        boot_weights: BootWeights = "webb",
        permutations: int = 5000,
        small_sample: SmallSample = DEFAULT_SMALL_SAMPLE,
    ) -> DiDResult:
        """Estimate every ``att:e=<k>`` and the mean post-period ``att``.

        inference: "cr1", "cr2" or "wild" (one WCR bootstrap per term; the mean ``att`` and the
        pre-trend test then use CR1; ``seed`` required). ``small_sample`` is the CR1 rule, as in
        :meth:`vrueval.DiD.fit`; the clusters are checked as there
        (:func:`vrueval.inference.few_clusters.check`).
        """
        level, rule = _check_fit_options(
            EVENT_STUDY,
            inference,
            level,
            {
                "draws": draws,
                "boot_weights": boot_weights,
                "permutations": permutations,
                "small_sample": small_sample,
            },
        )
        check_seed(seed, needed=inference == "wild")
        data = self._data
        warnings = list(data.messages)
        warnings += check_clusters(inference, data, clustering(data, self._cluster), level=level)
        if data.staggered:
            warnings.append(STAGGER_WARNING)
        warnings += self._option_warnings()
        f = data.frame
        x, times = event_dummies(f["event"].to_numpy(), self.leads, self.lags, self.reference)
        fe, fit, terms, how = self._fit_ols(data, x, [f"att:e={k}" for k in times])
        n_event = len(times)
        diag = self._diagnostics(data, len(f))
        cov = inf.covariance(fit, fe, how, "cr2" if inference == "cr2" else "cr1", rule)
        warnings += _psd_warning(cov)
        if inference == "wild":
            table, more, resampling = inf.wild_table(
                terms,
                fit,
                fe,
                how,
                level=level,
                seed=seed,
                draws=draws,
                weights=boot_weights,
                small_sample=rule,
            )
            diag.update(more)
            warnings += resampling
        else:
            table = inf.vcov_table(terms, fit.coef, cov, level)
        post = [i for i, k in enumerate(times) if k >= 0]
        w = np.zeros(len(terms))
        w[post] = 1 / len(post)
        att_se = float(np.sqrt(w @ cov.vcov @ w))
        # the contrast's own df (CR2: Bell-McCaffrey for w'beta; CR1: G - 1)
        att_df = float(cov.contrast_df(w)[0])
        att = wald_table(["att"], [float(w @ fit.coef)], [att_se], level=level, df=att_df)
        table = pd.concat([att, table], ignore_index=True)
        table["inference"] = inference
        table.loc[0, "inference"] = "cr2" if inference == "cr2" else "cr1"
        leads_idx = [i for i, k in enumerate(times) if k < -self.anticipation]
        pre = None
        if leads_idx:
            pre = inf.wald_pretrend(fit.coef, cov.vcov, leads_idx, terms, float(cov.n_clusters - 1))
            pre["covariance"] = cov.kind
            diag["pretrend_F"] = pre["statistic"]
            diag["pretrend_p_value"] = pre["p_value"]
            # Roth (2022): the linear pre-trend this test would catch half / 80% of the time
            for power in (0.5, 0.8):
                diag[f"pretrend_slope_{int(power * 100)}pct_power"] = wald_slope_for_power(
                    power,
                    np.array([times[i] for i in leads_idx], dtype=float),
                    cov.vcov[np.ix_(leads_idx, leads_idx)],
                    level=level,
                    clusters=int(pre["df1"] + pre["df2"]),
                )
        settings: dict[str, Any] = self._settings(
            data,
            estimator="event_study",
            inference=inference,
            leads=self.leads,
            lags=self.lags,
            reference=self.reference,
            **({"small_sample": rule} if inference != "cr2" else {}),
            **({"draws": draws, "boot_weights": boot_weights} if inference == "wild" else {}),
        )
        return DiDResult(
            design="Event study (TWFE)",
            effects=table,
            settings=settings,
            level=level,
            seed=seed if inference == "wild" else None,
            provenance={"sources": [s.to_dict() for s in self.panel.sources]},
            diagnostics=diag,
            warnings=tuple(warnings),
            trends=partial(self._trends, data),
            comparators=data.chosen.table,  # built when read
            pretrend_test=pre,
            event_vcov=pd.DataFrame(
                cov.vcov[:n_event, :n_event], index=terms[:n_event], columns=terms[:n_event]
            ),
        )
