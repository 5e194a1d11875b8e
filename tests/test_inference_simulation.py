"""Size of the DiD tests under a true null: 43 clusters, 18 treated, AR(1) errors.

The slow study (5,000 panels) is what the issue asks for: the wild cluster bootstrap and
randomization inference should reject at 4-6% at the 5% level; CR1's rate on the same draws is
reported. A fast version runs a few panels in the normal suite. The simulation itself is
vrueval.validation.calibration.did_size (the report runs it too).
"""

from __future__ import annotations

import pytest

from vrueval.validation.calibration import did_size as simulate


def test_size_fast_version():
    rates = simulate(reps=40, seed=1, draws=199, permutations=199)
    # 40 panels only check that nothing is grossly wrong (a 5% test rejects <= 7 times in 40
    # with probability > 0.999)
    assert all(rate <= 7 / 40 for rate in rates.values()), rates


@pytest.mark.slow
def test_size_wild_and_randomization_between_4_and_6_percent():
    rates = simulate(reps=5000, seed=2024, draws=399, permutations=399)
    print("rejection rates at 5%:", rates)
    assert 0.04 <= rates["wild"] <= 0.06, rates
    assert 0.04 <= rates["randomization"] <= 0.06, rates
