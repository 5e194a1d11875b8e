import pytest

from vrueval.analysis import SpecError, load_spec
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
    row = {
        "term": "att",
        "estimate": 1.0,
        "std_error": 0.5,
        "conf_low": 0.0,
        "conf_high": 2.0,
        "p_value": 0.05,
    }
    assert compare("a", [row], [row]) == []
    moved = dict(row, estimate=1.001)
    problems = compare("a", [row], [moved])
    assert problems == ["a: att estimate moved from 1.0 to 1.001 (difference +0.001, rtol 1e-09)"]
    assert "no longer produced" in compare("a", [row], [])[0]
    assert "new term(s) ['x']" in compare("a", [row], [row, dict(row, term="x")])[0]
