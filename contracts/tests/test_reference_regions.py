"""Gansu's shipped administrative hierarchy (行政区划) and its loader."""

from collections import Counter

import pytest

from tuopin_contracts.reference.regions import (
    POVERTY_AREAS,
    Region,
    RegionTable,
    gansu,
    read_regions,
)

HEADER = "code,name,level,parent_code,poverty_county,poverty_area,source\n"


@pytest.fixture(scope="module")
def table() -> RegionTable:
    return gansu()


def test_the_table_is_loaded_once(table: RegionTable) -> None:
    assert gansu() is table


def test_one_province_14_prefectures_and_86_counties(table: RegionTable) -> None:
    assert Counter(r.level for r in table) == {"province": 1, "city": 14, "county": 86}
    assert len(table.counties()) == 86
    assert [r.name for r in table.children("620000")][-2:] == ["临夏回族自治州", "甘南藏族自治州"]


def test_poverty_counties_as_documented_in_the_readme(table: RegionTable) -> None:
    # 58 片区县 (40 + 9 + 9) are complete; 13 of the 17 插花型 counties could be verified.
    assert len(table.poverty_counties()) == 71
    by_area = {area: len(table.poverty_counties(area)) for area in POVERTY_AREAS}
    assert by_area == {"六盘山区": 40, "秦巴山区": 9, "藏区": 9, "插花型": 13}
    assert all(r.level == "county" for r in table.poverty_counties())


def test_the_qinba_and_tibetan_areas_are_longnan_gannan_and_tianzhu(table: RegionTable) -> None:
    assert table.poverty_counties("秦巴山区") == table.children("621200")
    tibetan = {r.code for r in table.poverty_counties("藏区")}
    assert tibetan == {r.code for r in table.children("623000")} | {"620623"}


def test_codes_are_unique_six_digits_in_gansu(table: RegionTable) -> None:
    codes = [r.code for r in table]
    assert len(codes) == len(set(codes)) == 101
    assert all(len(c) == 6 and c.isdigit() and c.startswith("62") for c in codes)


def test_every_county_lies_in_an_existing_prefecture(table: RegionTable) -> None:
    for county in table.counties():
        parent = table.get(county.parent_code or "")
        assert parent is not None and parent.level == "city", county
        assert county.code[:4] == parent.code[:4]


def test_spot_checks_of_real_codes(table: RegionTable) -> None:
    assert table.get("620102") == Region("620102", "城关区", "county", "620100")
    assert table.get("620100") == Region("620100", "兰州市", "city", "620000")
    tongwei = table.get("621121")
    assert tongwei is not None and (tongwei.name, tongwei.parent_code) == ("通渭县", "621100")
    assert (tongwei.poverty_county, tongwei.poverty_area) == (True, "六盘山区")
    lintan = table.get("623021")
    assert lintan is not None and (lintan.name, lintan.poverty_area) == ("临潭县", "藏区")
    assert table.get("620881") is not None and table.get("620824") is None  # 华亭市 since 2018
    assert table.children("620200") == ()  # 嘉峪关市 has no county level
    assert table.get("999999") is None


def test_ancestors_lead_from_a_county_to_the_province(table: RegionTable) -> None:
    assert [r.name for r in table.ancestors("621121")] == ["定西市", "甘肃省"]
    assert [r.name for r in table.ancestors("622900")] == ["甘肃省"]
    assert table.ancestors("620000") == ()
    with pytest.raises(KeyError):
        table.ancestors("630102")


def test_county_of_village_reads_the_village_codes_prefix(table: RegionTable) -> None:
    county = table.county_of_village("621121100201")
    assert county is not None and county.name == "通渭县"
    assert table.county_of_village("620824100201") == table.get("620881")  # 华亭县's old code
    assert table.county_of_village("620201100001") is None  # 嘉峪关市: no county level
    assert table.county_of_village("630102001001") is None  # Qinghai
    assert table.county_of_village("621100000000") is None  # a prefecture, not a county
    for bad in ("621121", "6211211002011", "62112110020x"):
        with pytest.raises(ValueError, match="12 digits"):
            table.county_of_village(bad)


def test_the_loader_refuses_inconsistent_data() -> None:
    province = "620000,甘肃省,province,,false,,s\n"
    city = "620100,兰州市,city,620000,false,,s\n"
    assert len(read_regions(HEADER + province + city)) == 2
    bad_rows = {
        "620100,兰州市,city,620000,false,,s\n": "duplicate",
        "620102,城关区,county,620000,false,,s\n": "parent must be an existing city",
        "620102,城关区,county,620100,yes,,s\n": "'true' or 'false'",
        "620102,城关区,county,620100,true,,s\n": "exactly for poor counties",
        "620102,城关区,county,620100,true,乌蒙山区,s\n": "poverty area must be one of",
        "62010,城关区,county,620100,false,,s\n": "six digits",
        "620102,城关区,county,620100,false\n": "columns",
    }
    for row, message in bad_rows.items():
        with pytest.raises(ValueError, match=message):
            read_regions(HEADER + province + city + row)
    with pytest.raises(ValueError, match="header"):
        read_regions("code,name\n" + province)
