"""What the synthetic designs share once their constructor has read the data: the options table,
read-only ``settings``, the provenance their results carry, and the checks every ``fit()`` starts
with. Each design keeps its own constructor, ``data`` (whose rows it orders its own way),
estimator, inference and tables (``sc``, ``sdid``, ``sdid_staggered``, ``multisynth``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from vrueval.designs.fit_options import check_applies
from vrueval.inference.draws import check_draws
from vrueval.inference.intervals import check_level
from vrueval.inference.seeds import check_seed
from vrueval.options import OptionsTable, choice

#: The inference methods of synthetic DiD that draw replications (and so need a seed).
REPLICATED = ("placebo", "bootstrap")


class SyntheticDesign:
    """A synthetic design whose constructor has validated its data (into its own ``_data``)
    and kept the ``_provenance`` of the data and the ``_settings`` its results record."""

    #: The options table (:mod:`vrueval.designs.synthetic.options`).
    OPTIONS: ClassVar[OptionsTable]
    _provenance: dict[str, Any]
    _settings: dict[str, Any]

    @property
    def settings(self) -> Mapping[str, Any]:
        return dict(self._settings)

    def _check_fit(
        self, inference: str, level: float, options: Mapping[str, object] | None = None
    ) -> float:
        """Refuse an ``inference`` the design does not offer or an option of ``fit()`` it
        does not use (``options``: name -> value given); return the checked ``level``."""
        choice(inference, self.OPTIONS.methods(), "inference")
        check_applies(self.OPTIONS.fit, inference, options or {})
        return check_level(level)


class SDiDDesign(SyntheticDesign):
    """A synthetic DiD design (simultaneous or staggered adoption): its ``estimator`` setting
    and the seed and draws its replicated variances need."""

    @property
    def estimator(self) -> str:
        return str(self._settings["estimator"])

    def _check_sdid_fit(
        self, inference: str, draws: int, seed: int | None, level: float
    ) -> tuple[float, bool]:
        """The checked ``level``, and whether ``inference`` draws replications (a placebo or a
        bootstrap, which need a ``seed`` and enough ``draws``)."""
        level = self._check_fit(inference, level, {"draws": draws})
        random = inference in REPLICATED
        check_seed(seed, needed=random)
        if random:
            check_draws(draws, level, "draws")
        return level, random

    def _fit_settings(self, inference: str, draws: int, random: bool) -> dict[str, Any]:
        """The constructor's settings with those of this fit (``draws`` when replicated)."""
        settings: dict[str, Any] = {**self._settings, "inference": inference}
        if random:
            settings["draws"] = int(draws)
        return settings
