import pytest

from vrueval.data.coverage import vru_population_share


def test_vru_population_share_by_region():
    share = vru_population_share(2019)
    assert len(share) == 9
    assert share.loc["E12000007", "share"] == pytest.approx(1.0, abs=0.002)  # London: Met VRU
    # West Midlands region: only West Midlands Police of its four forces has a VRU
    wm = share.loc["E12000005"]
    assert wm["vru_population"] == pytest.approx(2_921_091)
    assert 0.45 < wm["share"] < 0.55
    assert share["share"].idxmin() == "E12000009"  # South West: Avon and Somerset only
    with_2022 = vru_population_share(2019, cohorts=(2019, 2022))
    assert with_2022.loc["E12000001", "share"] > share.loc["E12000001", "share"]  # Cleveland
    with pytest.raises(ValueError, match="2011-2023"):
        vru_population_share(2005)
