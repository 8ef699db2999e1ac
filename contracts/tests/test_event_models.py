"""Event payload models: strict, versioned, each on its producer's topic."""

import re
from uuid import uuid4

import pytest
from pydantic import ValidationError

from tuopin_contracts import Envelope, Topic, catalogue
from tuopin_contracts.events.registry import HouseholdRegisteredV1
from tuopin_contracts.generate import service_of


def household(**overrides: object) -> dict[str, object]:
    return {
        "household_id": str(uuid4()),
        "county_code": "621124",  # 临洮县, 定西市
        "village_code": "621124100201",
        "head_name": "王建国",
        "size": 4,
    } | overrides


def test_a_well_formed_household_is_accepted() -> None:
    event = HouseholdRegisteredV1.model_validate(household())
    assert event.size == 4


def test_village_outside_its_county_is_rejected() -> None:
    with pytest.raises(ValidationError, match="village_code must lie within county_code"):
        HouseholdRegisteredV1.model_validate(household(village_code="620102001001"))


def test_extra_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        HouseholdRegisteredV1.model_validate(household(id_number="620102199001011234"))


@pytest.mark.parametrize("county", ["110101", "632123", "62112", "6211240"])
def test_county_outside_gansu_or_malformed_is_rejected(county: str) -> None:
    with pytest.raises(ValidationError, match="county_code"):
        HouseholdRegisteredV1.model_validate(
            household(county_code=county, village_code=f"{county}100201"[:12])
        )


@pytest.mark.parametrize("name", sorted(catalogue.types))
def test_catalogue_type_is_versioned_and_on_its_producers_topic(name: str) -> None:
    model = catalogue.types[name]
    assert re.fullmatch(r".+\.v[1-9][0-9]*", name)
    assert model.TYPE == name
    assert isinstance(model.TOPIC, Topic)
    assert name.split(".")[0] == service_of(model.TOPIC)
    assert re.fullmatch(Envelope.model_json_schema()["properties"]["type"]["pattern"], name)


def test_an_old_version_is_upcast_on_read() -> None:
    """A v1 filing recorded in 2016 reads as the newest version (through v2): the members
    are there, and the head's name, personal data, is not carried into v3."""
    from datetime import date

    from tuopin_contracts import catalogue
    from tuopin_contracts.events.registry import HouseholdRegisteredV3

    v1 = household() | {"size": 3}
    read = catalogue.read(HouseholdRegisteredV1.TYPE, v1, date(2016, 5, 1))
    assert isinstance(read, HouseholdRegisteredV3)
    assert [m.relation for m in read.members] == ["head", "other", "other"]
    assert v1["head_name"] not in read.model_dump_json()
    assert read.effective_date == date(2016, 5, 1)
    again = catalogue.read(HouseholdRegisteredV1.TYPE, v1, date(2016, 5, 1))
    assert [m.person_id for m in again.members] == [m.person_id for m in read.members]
