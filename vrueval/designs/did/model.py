"""Numbers behind the comparator designs: two-way fixed effects absorbed exactly, OLS and Poisson.

Everything here works on arrays. Weighted least squares is ordinary least squares on the
``sqrt(w)``-scaled data ("star space"); :class:`TwoWayFE` residualises on unit and period effects
in that space, exactly (no alternating projections), for balanced or unbalanced panels.

References
----------
Gaure, S. (2013). OLS with multiple high dimensional category variables. *Computational
Statistics & Data Analysis* 66, 8-18 (the normal equations after eliminating one factor).
Correia, S., Guimarães, P. and Zylkin, T. (2020). Fast Poisson estimation with high-dimensional
fixed effects. *Stata Journal* 20(1), 95-115 (IRLS with absorbed effects).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from vrueval.inference.degenerate import require_residual_variation, require_variation
from vrueval.inference.rank import require_full_rank
from vrueval.inference.separation import check_separation

FloatArray = np.ndarray


class TwoWayFE:
    """Exact weighted projection off unit and period effects.

    Parameters
    ----------
    unit, period : integer arrays
        Codes 0..N-1 and 0..T-1 of each observation.
    weights : array, optional
        Analytic weights (e.g. population); the projection is the weighted one.
    extra : array (n x m), optional
        Further nuisance columns on the original scale (e.g. unit-specific linear trends),
        partialled out after the effects: the projection is off effects and ``extra`` together.

    Notes
    -----
    The unit effects are eliminated in closed form; the period effects then solve a T x T
    system (the Schur complement), so the residuals are exact to rounding for any pattern of
    missing cells. Cost O(n k + N T + T^3) for k columns; ``extra`` adds O(n m k). With every
    weight exactly 1 (``unweighted``), the ``sqrt(w)`` scalings and ``w`` products are skipped:
    identities in floating point, so the numbers are those of the weighted path.
    """

    def __init__(
        self,
        unit: np.ndarray,
        period: np.ndarray,
        weights: np.ndarray | None = None,
        extra: np.ndarray | None = None,
    ) -> None:
        self.unit = np.asarray(unit, dtype=np.int64)
        self.period = np.asarray(period, dtype=np.int64)
        self.n = len(self.unit)
        self.n_units = int(self.unit.max()) + 1
        self.n_periods = int(self.period.max()) + 1
        w = np.ones(self.n) if weights is None else np.asarray(weights, dtype=float)
        if np.any(~np.isfinite(w)) or np.any(w <= 0):
            raise ValueError("weights must be positive and finite")
        self.weights = w
        # with unit weights every sqrt(w) scaling and w product is an identity (exact in
        # floating point): skipping them saves their n-row arrays and the time to fill them
        self.unweighted = bool(np.all(w == 1.0))
        self.sqrt_w = w if self.unweighted else np.sqrt(w)
        self._wu = np.bincount(self.unit, w, self.n_units)
        self._wp = np.bincount(self.period, w, self.n_periods)
        self._C = np.bincount(
            self.unit * self.n_periods + self.period, w, self.n_units * self.n_periods
        ).reshape(self.n_units, self.n_periods)  # N x T weighted counts
        schur = np.diag(self._wp) - self._C.T @ (self._C / self._wu[:, None])
        # one period effect is redundant with the unit effects: fix the first at zero
        self._schur_inv = np.zeros_like(schur)
        if self.n_periods > 1:
            self._schur_inv[1:, 1:] = np.linalg.pinv(schur[1:, 1:], hermitian=True)
        self.balanced = bool(np.all(self._C > 0)) and self.n == self.n_units * self.n_periods
        self._extra: FloatArray | None = None  # absorbed extra columns, star space
        self._extra_pinv: FloatArray | None = None
        self.n_extra = 0
        if extra is not None and np.asarray(extra).size:
            z = np.atleast_2d(np.asarray(extra, dtype=float).T).T
            zs = self._absorb_effects(self.star(z))
            gram = zs.T @ zs
            # rank by the absorbed columns' own length: a column the effects span is redundant
            self.n_extra = int(np.linalg.matrix_rank(zs, tol=1e-9 * max(1.0, np.abs(zs).max())))
            self._extra = zs
            self._extra_pinv = np.linalg.pinv(gram, hermitian=True, rcond=1e-10)

    @property
    def n_effects(self) -> int:
        """Number of linearly independent nuisance parameters: N + T - 1 effects and the
        rank of ``extra`` beyond them."""
        return self.n_units + self.n_periods - 1 + self.n_extra

    def star(self, values: FloatArray) -> FloatArray:
        """``values`` (n or n x k, original scale) scaled by ``sqrt(w)`` into star space (``values``
        itself, not a copy, with unit weights)."""
        v = np.asarray(values, dtype=float)
        if self.unweighted:
            return v
        return (self.sqrt_w if v.ndim == 1 else self.sqrt_w[:, None]) * v

    def _unstar(self, values: FloatArray) -> FloatArray:
        if self.unweighted:
            return values
        return values / (self.sqrt_w if values.ndim == 1 else self.sqrt_w[:, None])

    def residualize(self, values: FloatArray) -> FloatArray:
        """Weighted residuals of ``values`` (n or n x k, original scale) on the fixed effects
        (and any ``extra`` columns)."""
        if self._extra is None:
            return self._residualize_effects(values)
        return self._unstar(self.absorb_star(self.star(values)))

    def _residualize_effects(self, values: FloatArray) -> FloatArray:
        v = np.asarray(values, dtype=float)
        flat = v.ndim == 1
        m = v[:, None] if flat else v
        wm = m if self.unweighted else m * self.weights[:, None]
        su = _sums(self.unit, wm, self.n_units)  # N x k weighted unit sums
        sp = _sums(self.period, wm, self.n_periods)  # T x k
        rhs = sp - self._C.T @ (su / self._wu[:, None])
        gamma = self._schur_inv @ rhs  # period effects
        alpha = (su - self._C @ gamma) / self._wu[:, None]
        out = m - alpha[self.unit] - gamma[self.period]
        return out[:, 0] if flat else out

    def absorb_star(self, values: FloatArray) -> FloatArray:
        """The residual maker in sqrt(w)-scaled space: ``M v = sqrt(w) * R_w(v / sqrt(w))``,
        off the effects and any ``extra`` columns."""
        out = self._absorb_effects(values)
        if self._extra is None or self._extra_pinv is None:
            return out
        zs = self._extra
        flat = out.ndim == 1
        m = out[:, None] if flat else out
        m = m - zs @ (self._extra_pinv @ (zs.T @ m))
        return m[:, 0] if flat else m

    def _absorb_effects(self, values: FloatArray) -> FloatArray:
        v = np.asarray(values, dtype=float)
        return self.star(self._residualize_effects(self._unstar(v)))


def _sums(codes: np.ndarray, m: FloatArray, size: int) -> FloatArray:
    return np.column_stack([np.bincount(codes, m[:, j], size) for j in range(m.shape[1])])


@dataclass(frozen=True)
class OLSFit:
    """Least squares on absorbed, sqrt(w)-scaled data (the FWL form of the full TWFE model)."""

    coef: FloatArray
    x: FloatArray  # absorbed regressors, star space (n x k)
    y: FloatArray  # absorbed outcome, star space
    resid: FloatArray  # residuals, star space
    xtx_inv: FloatArray


def _column_names(x: FloatArray, names: Sequence[str] | None) -> list[str]:
    if names is not None:
        return list(names)
    return ["att"] if x.shape[1] == 1 else [f"x{j}" for j in range(x.shape[1])]


def ols_absorbed(
    fe: TwoWayFE, y: FloatArray, x: FloatArray, names: Sequence[str] | None = None
) -> OLSFit:
    """OLS of ``y`` on ``x`` with unit and period effects (and the FE's weights).

    Refused before any standard error is formed: a column of ``x`` absorbed by the effects (each
    judged against its length before absorption) or collinear with the other columns
    (:func:`vrueval.inference.rank.require_full_rank`, named by ``names``; default "att" for one
    column), and a constant outcome or an exact fit such as exactly parallel units
    (:mod:`vrueval.inference.degenerate`).
    """
    x = np.atleast_2d(np.asarray(x, dtype=float).T).T
    y = np.asarray(y, dtype=float)
    require_variation(y, "the outcome")
    x_star = fe.star(x)
    xs = fe.absorb_star(x_star)
    ys = fe.absorb_star(fe.star(y))
    require_full_rank(xs, _column_names(x, names), _TREATMENT, before=x_star, effects=_EFFECTS)
    xtx = xs.T @ xs
    xtx_inv = np.linalg.inv(xtx)
    coef = xtx_inv @ (xs.T @ ys)
    resid = xs @ coef
    np.subtract(ys, resid, out=resid)  # in place: one n-row array fewer at a large fit's peak
    require_residual_variation(resid, fe.star(y), _EXACT)
    return OLSFit(coef, xs, ys, resid, xtx_inv)


_TREATMENT = (
    "the treatment columns (a treatment that every unit receives from the same period, or "
    "that is fixed within each unit, is absorbed by the effects)"
)
_EFFECTS = "the unit and period effects"
_EXACT = (
    "the two-way fixed-effects model (every unit exactly parallel once treatment is allowed for)"
)


@dataclass(frozen=True)
class PoissonFit:
    """Poisson pseudo-maximum-likelihood with unit and period effects (log link)."""

    coef: FloatArray
    x_tilde: FloatArray  # mu-weighted absorbed regressors at convergence
    score_resid: FloatArray  # y - mu
    mu: FloatArray
    hessian_inv: FloatArray
    iterations: int


def poisson_absorbed(
    unit: np.ndarray,
    period: np.ndarray,
    y: FloatArray,
    x: FloatArray,
    offset: FloatArray | None = None,
    *,
    tol: float = 1e-12,
    max_iter: int = 200,
    names: Sequence[str] | None = None,
    unit_labels: Sequence[str] | None = None,
    period_labels: Sequence[str] | None = None,
) -> PoissonFit:
    """Poisson PML of ``y`` on ``x`` with unit and period effects by IRLS on absorbed data.

    Each iteration is a weighted TWFE regression of the working response with weights ``mu``;
    the fixed effects are never estimated as coefficients. Before fitting, an all-zero outcome,
    separation (:func:`vrueval.inference.separation.check_separation`, on the full design with
    the effects as dummy columns: e.g. zeros in every treated post-period cell, or a unit that
    is zero in every period; drop rows separated by the effects alone first, found by
    :func:`poisson_separated_rows`), collinear columns and an exact fit are refused, named by
    ``names`` (columns of ``x``) and the unit and period labels. Unit and period codes must be
    0..N-1 and 0..T-1 with every code present.
    """
    y = np.asarray(y, dtype=float)
    x = np.atleast_2d(np.asarray(x, dtype=float).T).T
    _check_poisson_design(unit, period, y, x, names, unit_labels, period_labels)
    off = np.zeros_like(y) if offset is None else np.asarray(offset, dtype=float)
    _check_poisson_variation(unit, period, y, x, off, offset is None)
    mu = np.where(y > 0, y, 0.5 * (y.mean() + 1e-8)) + 1e-8
    eta = np.log(mu)
    dev_old = np.inf
    coef = np.zeros(x.shape[1])
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 (the count is reported)
        z = eta - off + (y - mu) / mu
        fe = TwoWayFE(unit, period, mu)
        zt = fe.residualize(z)
        xt = fe.residualize(x)
        xtwx = xt.T @ (mu[:, None] * xt)
        coef = np.linalg.solve(xtwx, xt.T @ (mu * zt))
        # linear predictor: z minus the weighted residual of the regression
        eta = z - (zt - xt @ coef) + off
        mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = 2 * np.sum(np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu))
        if abs(dev - dev_old) / (0.1 + abs(dev)) < tol:
            break
        dev_old = dev
    fe = TwoWayFE(unit, period, mu)
    xt = fe.residualize(x)
    hess = xt.T @ (mu[:, None] * xt)
    return PoissonFit(coef, xt, y - mu, mu, np.linalg.inv(hess), iterations)


def _check_poisson_variation(
    unit: np.ndarray, period: np.ndarray, y: FloatArray, x: FloatArray, off: FloatArray, raw: bool
) -> None:
    """The degenerate-fit rule on the log scale: with every count positive, the Poisson model
    reproduces the counts exactly (score and standard errors zero) exactly when the log rate
    ``log y - offset`` is fitted exactly by the effects and ``x``; a zero count (not separated,
    checked before) cannot be fitted exactly."""
    if raw:
        require_variation(y, "the outcome")
    if np.any(y <= 0):
        return
    log_rate = np.log(y) - off
    if not raw:
        require_variation(log_rate, "the log rate (log count minus the offset)")
    fe = TwoWayFE(unit, period)
    xt = fe.residualize(x)
    zt = fe.residualize(log_rate)
    resid = zt - xt @ np.linalg.lstsq(xt, zt, rcond=None)[0]
    require_residual_variation(resid, log_rate, f"{_EXACT} on the log scale")


def poisson_separated_rows(
    unit: np.ndarray,
    period: np.ndarray,
    y: FloatArray,
    x: FloatArray,
    *,
    names: Sequence[str] | None = None,
    unit_labels: Sequence[str] | None = None,
    period_labels: Sequence[str] | None = None,
) -> np.ndarray:
    """The rows a Poisson DiD drops before fitting: those separated by the fixed effects alone.

    Applies the rank and separation rules of :func:`poisson_absorbed` to the full design, but
    rows whose zero outcome only the unit and period effects can fit exactly (a comparator with
    a zero count in every period, a period with no count anywhere) are returned instead of
    refused (:func:`vrueval.inference.separation.check_separation` with the effects as
    ``nuisance``, as fixest and ppmlhdfe do); separation that involves a column of ``x`` is
    still refused. Fit the other rows with :func:`poisson_absorbed` and report the dropped ones.

    Returns
    -------
    array of bool (n,) : True for a row to drop.
    """
    y = np.asarray(y, dtype=float)
    x = np.atleast_2d(np.asarray(x, dtype=float).T).T
    return _check_poisson_design(
        unit, period, y, x, names, unit_labels, period_labels, nuisance_effects=True
    )


def _check_poisson_design(
    unit: np.ndarray,
    period: np.ndarray,
    y: FloatArray,
    x: FloatArray,
    names: Sequence[str] | None,
    unit_labels: Sequence[str] | None,
    period_labels: Sequence[str] | None,
    *,
    nuisance_effects: bool = False,
) -> np.ndarray:
    """The shared rank and separation rules, on the design with the effects as dummies; the
    rows to drop when ``nuisance_effects`` and only the effects are involved."""
    unit = np.asarray(unit, dtype=np.int64)
    period = np.asarray(period, dtype=np.int64)
    n_units, n_periods = int(unit.max()) + 1, int(period.max()) + 1
    units = list(unit_labels) if unit_labels is not None else [str(u) for u in range(n_units)]
    periods = (
        list(period_labels) if period_labels is not None else [str(p) for p in range(n_periods)]
    )
    cols = _column_names(x, names)
    require_full_rank(
        TwoWayFE(unit, period).residualize(x), cols, _TREATMENT, before=x, effects=_EFFECTS
    )
    rows = np.arange(len(y))
    later = period > 0  # the first period's effect is absorbed by the unit effects
    dummies = sparse.hstack(
        [
            sparse.csr_array((np.ones(len(y)), (rows, unit)), shape=(len(y), n_units)),
            sparse.csr_array(
                (np.ones(int(later.sum())), (rows[later], period[later] - 1)),
                shape=(len(y), n_periods - 1),
            ),
            sparse.csr_array(x),
        ]
    )
    effects = [*(f"unit:{u}" for u in units), *(f"period:{p}" for p in periods[1:])]
    return check_separation(
        dummies,
        y,
        [*effects, *cols],
        what="the Poisson DiD",
        first=cols,
        row_labels=[f"{units[u]} {periods[p]}" for u, p in zip(unit, period, strict=True)],
        nuisance=effects if nuisance_effects else (),
    )
