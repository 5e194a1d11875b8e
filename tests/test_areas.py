import pytest

from vrueval import areas

SEED_2019 = {
    "Metropolitan Police": 7_000_000,
    "West Midlands": 3_370_000,
    "Greater Manchester": 3_370_000,
    "Merseyside": 3_370_000,
    "West Yorkshire": 3_370_000,
    "South Yorkshire": 2_000_000,
    "Northumbria": 2_000_000,
    "Thames Valley": 1_500_000,
    "Lancashire": 1_500_000,
    "Essex": 1_500_000,
    "Avon and Somerset": 1_500_000,
    "Kent": 1_500_000,
    "Nottinghamshire": 1_000_000,
    "Leicestershire": 1_000_000,
    "Bedfordshire": 1_000_000,
    "Sussex": 1_000_000,
    "Hampshire": 1_000_000,
    "South Wales": 1_000_000,
}


def test_registry_has_43_forces_with_unique_codes():
    forces = areas.forces()
    assert len(forces) == 43
    assert len({a.code for a in forces}) == 43
    assert sum(a.country == "Wales" for a in forces) == 4


def test_2019_cohort_matches_seed_list_and_grants():
    codes = set(areas.vru_2019())
    assert codes == {areas.resolve(n) for n in SEED_2019}
    for name, grant in SEED_2019.items():
        assert areas.get(name, "force").vru_grant_2019_20 == grant
    # the seed paper misprints West Midlands as "£3.370,000": it is £3,370,000
    assert areas.get("West Midlands", "force").vru_grant_2019_20 == 3_370_000


def test_2022_cohort_and_comparators():
    assert {areas.name(c) for c in areas.vru_2022()} == {"Cleveland", "Humberside"}
    comparators = set(areas.comparators())
    assert len(comparators) == 43 - 20
    assert not comparators & set(areas.vru_areas())
    assert areas.resolve("City of London") in comparators


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("Metropolitan Police", "E23000001"),
        ("Metropolitan Police Service", "E23000001"),
        ("METROPOLITAN POLICE", "E23000001"),
        ("London, City of", "E23000034"),
        ("City of London Police", "E23000034"),
        ("Devon & Cornwall", "E23000035"),
        ("Devon and Cornwall Police", "E23000035"),
        ("Dyfed-Powys", "W15000004"),
        ("DYFED POWYS", "W15000004"),
        ("Avon & Somerset Constabulary", "E23000036"),
        ("Sussex(3)", "E23000033"),
        ("Kent [note 4]", "E23000032"),
        ("Essex*", "E23000028"),
        ("Surrey1", "E23000031"),
        ("west-midlands", "E23000014"),
        ("e23000014", "E23000014"),
        ("W15000003", "W15000003"),
    ],
)
def test_resolve_official_spellings(label, code):
    assert areas.resolve(label) == code


def test_regions_resolve_separately_from_forces():
    assert areas.resolve("West Midlands") == "E23000014"
    assert areas.resolve("West Midlands", "region") == "E12000005"
    assert areas.resolve("London", "region") == "E12000007"
    assert areas.resolve("East", "region") == "E12000006"
    assert areas.resolve("Yorkshire and the Humber", "region") == "E12000003"


def test_unknown_name_names_the_nearest():
    with pytest.raises(areas.UnknownAreaError, match="Did you mean 'Northumbria'"):
        areas.resolve("Nothumbria")
    with pytest.raises(KeyError, match="unknown police force area 'Atlantis'"):
        areas.resolve("Atlantis")
    with pytest.raises(areas.UnknownAreaError):
        areas.resolve("E12000005", "force")  # a region code is not a force


def test_bad_kind_is_rejected():
    with pytest.raises(ValueError, match="kind must be one of"):
        areas.resolve("Kent", "county")  # type: ignore[arg-type]


def test_registry_ships_the_reference_list(raw_data):
    import pandas as pd

    ref = pd.read_csv(raw_data / "reference" / "police_force_areas.csv")
    table = areas.table()
    assert list(table["code"]) == list(ref["area_code"])
    assert list(table["name"]) == list(ref["area_name"])
    assert table["vru_grant_2019_20"].sum() == ref["vru_funding_2019_20_gbp"].sum()
