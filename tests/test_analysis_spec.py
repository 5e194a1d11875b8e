import pytest

from vrueval.analysis import SpecError, load_spec
from vrueval.analysis.tolerance import tolerance
from vrueval.analysis.verify import compare

GOOD = """
[analysis]
name = "demo"
design = "ITS"
seed = 1

[data]
dataset = "hes_sharp_object"
outcome = "admissions"
units = ["West Midlands"]

[design]
interruptions = { vru = "2019-10" }
"""


def write(tmp_path, text):
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return path


def test_good_spec(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert spec.name == "demo" and spec.seed == 1 and spec.level == 0.95
    assert spec.design_options == {"interruptions": {"vru": "2019-10"}}
    assert len(spec.sha256) == 64


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD + "\n[extras]\nx = 1\n", r"unknown section\(s\) \['extras'\]"),
        (
            GOOD.replace('outcome = "admissions"', 'outcome = "admissions"\nunit = "x"'),
            r"unknown key\(s\) \['unit'\] in \[data\]",
        ),
        (GOOD.replace('design = "ITS"\n', ""), "needs 'design'"),
        (GOOD.replace("seed = 1", "seed = -3"), "seed must be a non-negative integer"),
        (GOOD.replace("seed = 1", "seed = 1\nlevel = 95.0"), "level must be in"),
        (GOOD.replace('dataset = "hes_sharp_object"', 'files = ["a.xlsx"]'), "needs 'format'"),
        ("[analysis\n", "not valid TOML"),
        (GOOD.replace('name = "demo"', 'name = "a/b"'), "is not an identifier"),
        (GOOD.replace('name = "demo"', 'name = "x.json"'), "is not an identifier"),
        (GOOD.replace('name = "demo"', 'name = "two words"'), "is not an identifier"),
        (GOOD.replace('name = "demo"', 'name = ""'), "is not an identifier"),
        (GOOD.replace('name = "demo"', "name = 5"), "is not an identifier"),
        (GOOD.replace('name = "demo"', 'name = "_hidden"'), "is not an identifier"),
        (GOOD.replace('design = "ITS"', 'design = "Panel"'), r"unknown design 'Panel'"),
        (
            GOOD.replace('dataset = "hes_sharp_object"', 'files = "a.xlsx"\nformat = "x"'),
            "files must be a list of paths",
        ),
    ],
)
def test_bad_specs(tmp_path, text, message):
    with pytest.raises(SpecError, match=message):
        load_spec(write(tmp_path, text))


def test_missing_spec_file(tmp_path):
    with pytest.raises(SpecError, match="no such spec file"):
        load_spec(tmp_path / "nope.toml")


def test_compare_names_analysis_term_and_difference():
    # the comparison verify runs, at a method's tolerance (here IRLS, rtol 1e-9)
    tol = tolerance("ITS", {"model": "poisson"})
    row = {
        "term": "att",
        "estimate": 1.0,
        "std_error": 0.5,
        "conf_low": 0.0,
        "conf_high": 2.0,
        "p_value": 0.05,
    }
    same = compare("a", [row], [row], tol)
    assert same.problems == [] and same.numbers == 5 and same.worst == 0.0
    moved = compare("a", [row], [dict(row, estimate=1.001)], tol)
    assert moved.problems == [
        "a: att estimate moved from 1.0 to 1.001 (difference +0.001, rtol 1e-09)"
    ]
    assert moved.worst_at == "a att estimate" and moved.worst == pytest.approx(1e-3 / (1e-9 * 2))
    # within tolerance, judged on the row's scale (2.0 here), not the number's own size
    near = compare("a", [row], [dict(row, conf_low=1e-9)], tol)
    assert near.problems == [] and near.worst == pytest.approx(0.5)
    # a looser method's tolerance lets the same difference through; a tighter one does not
    assert (
        compare(
            "a", [row], [dict(row, estimate=1 + 1e-7)], tolerance("ITS", {"model": "negbin"})
        ).problems
        == []
    )
    assert compare("a", [row], [dict(row, estimate=1 + 1e-7)], tol).problems
    # a p-value is judged on [0, 1]; NaN matches NaN only
    assert compare("a", [row], [dict(row, p_value=0.05 + 2e-9)], tol).problems
    nan = dict(row, std_error=float("nan"))
    assert compare("a", [nan], [nan], tol).problems == []
    assert "difference n/a" in compare("a", [row], [nan], tol).problems[0]
    assert "no longer produced" in compare("a", [row], [], tol).problems[0]
    assert "new term(s) ['x']" in compare("a", [row], [row, dict(row, term="x")], tol).problems[0]
