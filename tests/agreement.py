"""Assertions on the agreement rows of vrueval.validation."""

from __future__ import annotations

import pandas as pd


def assert_agree(rows: pd.DataFrame) -> None:
    """Every row met its tolerance (and there was something to compare)."""
    assert len(rows) > 0, "no agreement rows"
    assert (rows["n_compared"] > 0).all()
    failed = rows.loc[~rows["passed"]]
    assert failed.empty, "\n" + failed.drop(columns=["family", "script"]).to_string()
