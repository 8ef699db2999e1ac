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


def test_personal_fields_of_older_member_events_are_dropped_on_read() -> None:
    """v2 filings and v1 member events carried name, sex, birth date, health and a mask;
    read today they carry the facts other services need and nothing that names anyone."""
    from datetime import date

    from tuopin_contracts.events import registry as reg

    person = {
        "person_id": str(uuid4()),
        "name": "王建国",
        "relation": "head",
        "id_number_hash": "ab" * 32,
        "id_number_masked": "6201**********0039",
        "sex": "male",
        "birth_date": "1985-03-02",
        "health": "disabled",
        "disabled": False,
        "schooling": "not_in_school",
        "medical_insurance": True,
    }
    filing = {
        "household_id": str(uuid4()),
        "effective_date": "2016-04-01",
        "file_number": "621121-0001",
        "county_code": "621121",
        "village_code": "621121100201",
        "poverty_attribute": "general",
        "primary_cause": "illness",
        "members": [person],
        "identified_year": 2016,
    }
    read = catalogue.read(reg.HouseholdRegisteredV2.TYPE, filing, date(2016, 4, 1))
    assert isinstance(read, reg.HouseholdRegisteredV3)
    [member] = read.members
    assert (member.birth_year, member.birth_month, member.has_disability) == (1985, 3, True)
    assert (member.id_number_hash, member.schooling, member.medical_insurance) == (
        "ab" * 32,
        "not_in_school",
        True,
    )
    clear = read.model_dump_json()
    for personal in ("王建国", "0039", "1985-03-02", "male", 'disabled"', "name", "sex"):
        assert personal not in clear, personal

    added = catalogue.read(
        reg.MemberAddedV1.TYPE,
        {"household_id": filing["household_id"], "effective_date": "2017-01-01", "member": person},
        date(2017, 1, 1),
    )
    assert isinstance(added, reg.MemberAddedV2) and "王建国" not in added.model_dump_json()
    changed = catalogue.read(
        reg.MemberUpdatedV1.TYPE,
        {
            "household_id": filing["household_id"],
            "effective_date": "2017-01-01",
            "person_id": person["person_id"],
            "health": "serious_illness",
        },
        date(2017, 1, 1),
    )
    assert isinstance(changed, reg.MemberUpdatedV2)
    assert "serious_illness" not in changed.model_dump_json() and changed.has_disability is None
    with pytest.raises(ValidationError, match="come together"):
        reg.SealedMember(person_id=uuid4(), relation="head", birth_year=1985)


def test_a_v2_filing_upcasts_in_one_validation_as_member_by_member() -> None:
    """Upcast in one validation of the whole filing, a v2 filing reads as it did when each
    member was upcast as a model of its own (the same fields, the same fields set), and a
    member v3 cannot hold (born before 1880) is still refused."""
    from datetime import date

    from tuopin_contracts.events import registry as reg

    def person(relation: str, born: str | None) -> dict[str, object]:
        return {"person_id": str(uuid4()), "name": "王芳", "relation": relation, "birth_date": born}

    filing = {
        "household_id": str(uuid4()),
        "effective_date": "2016-04-01",
        "reason": "filed",
        "file_number": "621121-0002",
        "county_code": "621121",
        "village_code": "621121100201",
        "poverty_attribute": "subsistence_allowance",
        "primary_cause": "illness",
        "secondary_causes": ["disability"],
        "members": [person("head", "1960-11-30"), person("spouse", None), person("child", None)],
        "identified_year": 2016,
    }
    old = reg.HouseholdRegisteredV2.model_validate(filing)
    read = reg.HouseholdRegisteredV3.from_v2(old, date(2016, 4, 1))
    one_by_one = reg.HouseholdRegisteredV3(
        **old.model_dump(exclude={"members"}),
        members=[reg.SealedMember.from_v2(m) for m in old.members],
    )
    assert read == one_by_one and read.model_fields_set == one_by_one.model_fields_set
    assert [m.model_fields_set for m in read.members] == [
        m.model_fields_set for m in one_by_one.members
    ]
    too_old = reg.HouseholdRegisteredV2.model_validate(
        filing | {"members": [person("head", "1850-01-01")]}
    )
    with pytest.raises(ValidationError, match="birth_year"):
        reg.HouseholdRegisteredV3.from_v2(too_old, date(2016, 4, 1))


def test_a_v1_exit_verdict_reads_as_judged_on_the_day_it_was_recorded() -> None:
    """v1 verdicts named no day; the registry exited on the day it recorded them, so that
    is the day a v1 verdict reads as judged as of (and its business date)."""
    from datetime import date

    from tuopin_contracts.events.evaluation import ExitVerifiedV1, ExitVerifiedV2

    v1 = {
        "verification_id": str(uuid4()),
        "household_id": str(uuid4()),
        "year": 2017,
        "passed": True,
        "criteria": [{"name": "income_per_head", "value": "4100.00", "passed": True}],
    }
    read = catalogue.read(ExitVerifiedV1.TYPE, v1, date(2017, 10, 9))
    assert isinstance(read, ExitVerifiedV2)
    assert read.as_of == date(2017, 10, 9) and read.business_date() == date(2017, 10, 9)
    assert read.criteria[0].name == "income_per_head" and read.year == 2017
