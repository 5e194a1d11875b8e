"""The power summary prints its counts from the numbers and says what each counts: simulated
evaluations in the header, bootstrap draws per evaluation in the settings."""

from __future__ import annotations

import re

import vrueval as ve


def test_header_and_settings_counts_are_the_numbers():
    knife = ve.datasets.knife_quarterly()
    res = ve.power.did(
        knife,
        "knife_offences",
        n_treated=18,
        post=8,
        n_sims=40,
        seed=3,
        inference="wild",
        draws=99,
        effects=(-0.2, 0.0),
    )
    text = res.summary()
    header = text.splitlines()[0]
    assert header.endswith(f"{res.n_draws:,} simulated evaluations)")
    assert re.search(r"\b1000 draws\b|\b\d+ draws\)", header) is None
    assert (
        f"draws: {res.settings['draws']:,} (bootstrap draws in each simulated evaluation)" in text
    )
    assert "n_sims: 40 (simulated evaluations requested)" in text
    assert res.n_draws == 40
