"""The special-hardship belts (特困片带, seed 一.1: 225 of them) as reference data: the file
format is validated as it is read, so a bad provincial file is refused, never half-used."""

import json
from pathlib import Path

import pytest

from tuopin_registry.reference.belts import EXPECTED_TOTAL, FORMAT, load_belts, read_belts

TEST_FILE = Path(__file__).parents[1] / "data" / "hardship_belts.json"


def belts_file(*belts: dict, **top: object) -> str:
    return json.dumps(
        {"format": FORMAT, "version": "v", "source": "省扶贫办 文件", "belts": list(belts)} | top
    )


def belt(**fields: object) -> dict:
    return {"code": "B1", "name": "片带一", "counties": ["621121"], "source": "s"} | fields


def test_seed_1_1_shipped_file_names_the_225_but_lists_none_it_cannot_cite() -> None:
    shipped = load_belts()
    assert EXPECTED_TOTAL == 225
    assert len(shipped) == 0 and not shipped.complete
    assert "225" in shipped.source and "一.1" in shipped.source


def test_seed_1_1_a_belt_covers_its_counties_or_only_its_listed_townships() -> None:
    table = load_belts(TEST_FILE)
    hjl = table.get("T-HJL")
    assert hjl is not None and hjl.counties == ("621121", "621122")
    assert hjl.covers("621121100201")  # the listed township of 通渭
    assert not hjl.covers("621121200101")  # another township of 通渭
    assert hjl.covers("621122300101")  # 陇西: no townships listed, the whole county
    assert not hjl.covers("621102100101")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{", "not JSON"),
        (belts_file(format="other/1"), "format"),
        (belts_file(belt(counties=["629999"])), "'629999' is no Gansu county code"),
        (belts_file(belt(counties=["621100"])), "no Gansu county code"),  # a city
        (belts_file(belt(counties=[])), "non-empty list"),
        (belts_file(belt(townships=["621122100"])), "outside the belt's counties"),
        (belts_file(belt(townships=["62112110"])), "nine-digit"),
        (belts_file(belt(code="b 1")), "code must match"),
        (belts_file(belt(source="")), "source"),
        (belts_file(belt(), belt(name="片带二")), "code listed twice: B1"),
        (belts_file(belt(), belt(code="B2")), "name listed twice"),
        (belts_file(belt(extra=1)), "an object with"),
        (belts_file(*(belt(code=f"B{i}", name=f"片带{i}") for i in range(226))), "names 225"),
    ],
)
def test_a_bad_belts_file_is_refused_with_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        read_belts(text)
