"""Pre-trend and timing sentences: generated from the numbers, covering the run-up as well as
the leads tested, and locating effects in time with flagged (COVID-19) years."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from vrueval import reporting as rp
from vrueval.reporting.report import fmt_number

ROOT = Path(__file__).resolve().parents[1]


def _rows(periods, est, lo, hi, p):
    return pd.DataFrame(
        {"period": periods, "estimate": est, "conf_low": lo, "conf_high": hi, "p_value": p}
    )


def test_leads_not_rejected_but_run_up_diverges_is_called_divergence():
    run_up = _rows(
        ["2018Q2", "2018Q3", "2018Q4"],
        [2.7, 5.1, 4.3],
        [-0.6, 2.4, 1.4],
        [6.1, 7.8, 7.2],
        [0.11, 0.0004, 0.004],
    )
    text = rp.pretrend_sentence(0.127, "2013Q2 to 2015Q4", run_up, unit="offences")
    assert rp.pretrend_diverges(0.127, run_up)
    assert "jointly indistinguishable from zero (p = 0.127), but that test does not cover" in text
    assert "+4.3 to +5.1 offences in 2018Q3 and 2018Q4" in text
    assert "largest +5.1 in 2018Q3: 95% CI 2.4 to 7.8; p < 0.001" in text
    assert "excluding zero in 2 of 3 periods" in text
    assert text.endswith("The groups were already moving apart.")
    assert "do not reject parallel trends" not in text


def test_no_divergence_anywhere_is_not_called_parallel_trends():
    run_up = _rows(["2019", "2020"], [0.5, -0.4], [-1.0, -1.2], [2.0, 0.4], [0.5, 0.3])
    text = rp.pretrend_sentence(0.4, "2013 to 2017", run_up, unit="points")
    assert not rp.pretrend_diverges(0.4, run_up)
    assert "largest, +0.5 points in 2019: 95% CI −1.0 to 2.0; p = 0.500" in text
    assert "necessary, not sufficient" in text


def test_a_rejected_lead_test_is_divergence_even_with_a_quiet_run_up():
    run_up = _rows(["2019"], [0.1], [-1.0], [1.2], [0.8])
    assert rp.pretrend_diverges(0.01, run_up)
    text = rp.pretrend_sentence(0.01, "2013 to 2017", run_up, unit="points")
    assert "jointly different from zero (p = 0.010)" in text
    assert "already moving apart" in text


def test_disagreeing_p_and_interval_is_not_clear():
    # p below 5% but an interval covering zero (randomization p beside a CR interval): not clear
    run_up = _rows(["2019"], [1.0], [-0.1], [2.1], [0.03])
    assert not rp.pretrend_diverges(0.5, run_up)


def test_timing_flags_covid_years():
    rows = _rows(
        ["FY2019/20", "FY2020/21", "FY2021/22"],
        [-0.01, -0.27, -0.20],
        [-0.11, -0.45, -0.36],
        [0.09, -0.09, -0.05],
        [0.80, 0.006, 0.012],
    )
    covid = {"FY2020/21": "the first COVID-19 year", "FY2021/22": "the second COVID-19 year"}
    text = rp.timing_sentence(rows, covid, unit="points", digits=2)
    assert text.startswith("The effect is clear only in FY2020/21, the first COVID-19 year: ")
    assert "−0.27 points (95% CI −0.45 to −0.09; p = 0.006)" in text
    assert "FY2019/20" not in text
    assert "Every such year is a flagged one" in text
    quiet = rp.timing_sentence(rows.iloc[:1], covid, unit="points")
    assert quiet.startswith("No single year after the start shows clear evidence")


def test_placebo_event_study_run_up_sentence_is_the_results_numbers():
    pes = rp.run("placebo_es_knife", ROOT)
    es = pes.result.event_study()
    start = pd.Period(pes.result.settings["start"], freq="Q")
    es["period"] = [str(start + int(e)) for e in es["event_time"]]
    run_up = es[es["event_time"] >= 0]
    p = pes.result.pretrend_test["p_value"]
    text = rp.pretrend_sentence(p, "leads", run_up, unit="offences per 100,000")
    clear = run_up[(run_up["conf_low"] > 0) & (run_up["p_value"] < 0.05)]
    # the finding: the run-up rises to +4 to +5 in 2018Q3-2019Q1, intervals above zero
    assert list(clear["period"]) == ["2018Q3", "2018Q4", "2019Q1"]
    low, high = clear["estimate"].min(), clear["estimate"].max()
    assert f"+{fmt_number(low)} to +{fmt_number(high)} offences per 100,000" in text
    assert rp.pretrend_diverges(p, run_up)
    assert p > 0.05  # the leads alone would have said "parallel": the run-up decides


@pytest.mark.parametrize("p", [0.2, 0.04])
def test_sentence_wording_matches_p_and_interval(p):
    # the headline rule is shared: a "clear" word only with p < 0.05 and an interval off zero
    rows = _rows(["2020"], [1.0], [0.2], [1.8], [p])
    text = rp.timing_sentence(rows, {}, unit="points")
    assert text.startswith("The effect is clear in every year after the start") == (p < 0.05)


def test_a_single_clear_run_up_period_is_a_warning_not_proof():
    run_up = _rows(["2018Q3", "2018Q4", "2019Q1"], [0.5, 5.1, 0.3], [-1.0, 2.4, -1.2],
                   [2.0, 7.8, 1.8], [0.5, 0.03, 0.7])  # fmt: skip
    text = rp.pretrend_sentence(0.4, "2013Q2 to 2015Q4", run_up, unit="offences")
    assert "moving apart, not proof." in text
    assert "The groups were already moving apart." not in text
    # the same period at p = 0.004 survives Bonferroni over 3 periods (0.0167): it decides
    strong = run_up.assign(p_value=[0.5, 0.004, 0.7])
    assert rp.pretrend_sentence(0.4, "2013Q2 to 2015Q4", strong, unit="offences").endswith(
        "The groups were already moving apart."
    )
