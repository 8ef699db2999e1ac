"""Well-formed example events, for tests and documentation of every consumer."""

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from tuopin_contracts.envelope import Envelope
from tuopin_contracts.events.registry import (
    ConditionsAssessedV1,
    HouseholdExitedV1,
    HouseholdRegisteredV2,
    HouseholdRegisteredV3,
    IncomeRecordedV1,
    Member,
    SealedMember,
)
from tuopin_contracts.events.registry.villages import VILLAGE_FLAGS
from tuopin_contracts.events.training import CertificateBasis, CertificateIssuedV1
from tuopin_contracts.vocabulary import HouseholdStatus, PovertyAttribute, PovertyCause, Relation


def household_registered(
    county_code: str = "621121", size: int = 3, reason: str | None = None
) -> Envelope:
    household_id = uuid4()
    members = [
        SealedMember(person_id=uuid4(), relation=Relation.HEAD if i == 0 else Relation.CHILD)
        for i in range(size)
    ]
    data = HouseholdRegisteredV3(
        household_id=household_id,
        effective_date=date(2016, 4, 1),
        reason=reason,
        file_number=f"F{household_id.hex[:10]}",
        county_code=county_code,
        village_code=county_code + "100201",
        poverty_attribute=PovertyAttribute.GENERAL,
        primary_cause=PovertyCause.ILLNESS,
        members=members,
        identified_year=2016,
    )
    return Envelope(
        id=uuid4(),
        source="/tuopin/registry",
        type=data.TYPE,
        subject=str(household_id),
        time=datetime.now(UTC),
        data=data.model_dump(mode="json"),
        sequence=1,
    )


def conditions_assessed(
    household_id: UUID, on: date, housing_safe: bool = True, drinking_water_safe: bool = True
) -> ConditionsAssessedV1:
    """Housing and drinking water assessed, safe unless said otherwise."""
    return ConditionsAssessedV1(
        household_id=household_id,
        effective_date=on,
        reason=None,
        housing_safe=housing_safe,
        drinking_water_safe=drinking_water_safe,
    )


def certificate_issued(
    centre_id: UUID, household_id: UUID, village: str, holder: str, on: date, **more: Any
) -> CertificateIssuedV1:
    """A cook's certificate (中式烹调师, level 5) on appraisal; ``holder``: the keyed hash of
    the holder's ID number. Its id is new and its number made from it unless ``more``
    names them."""
    certificate_id = more.pop("certificate_id", None) or uuid4()
    return CertificateIssuedV1(
        centre_id=centre_id,
        household_id=household_id,
        village_code=village,
        id_number_hash=holder,
        id_number_masked="6211**********0001",
        certificate_id=certificate_id,
        number=more.pop("number", None) or f"C{certificate_id.hex[:8]}",
        occupation="4-03-02-01",
        occupation_name="中式烹调师",
        level=5,
        issued_on=on,
        basis=CertificateBasis.APPRAISAL,
        basis_id=uuid4(),
        **more,
    )


def wage_income(
    household_id: UUID,
    year: int,
    per_head: int,
    members: int = 1,
    *,
    on: date | None = None,
    kind: type[IncomeRecordedV1] = IncomeRecordedV1,
    **more: Any,
) -> IncomeRecordedV1:
    """A household's income of ``year`` all from wages, ``per_head`` fen a head, recorded on
    the year's last day (or ``on``); ``kind`` and ``more`` for a correction."""
    return kind(
        household_id=household_id,
        effective_date=on or date(year, 12, 31),
        year=year,
        wages=per_head * members,
        production_and_business=0,
        property=0,
        transfers=0,
        members=members,
        per_head=per_head,
        **more,
    )


def exited(household_id: UUID, on: date) -> HouseholdExitedV1:
    """A household's exit (脱贫) on a day, on a verification of its own."""
    return HouseholdExitedV1(
        household_id=household_id,
        effective_date=on,
        status=HouseholdStatus.EXITED,
        verification_id=uuid4(),
        reason=None,  # a default mypy's pydantic plugin does not see (set in Annotated)
    )


def filed_v2(
    household_id: UUID,
    village_code: str,
    members: list[Member],
    *,
    on: date = date(2016, 4, 1),
    cause: PovertyCause = PovertyCause.ILLNESS,
    **more: Any,
) -> HouseholdRegisteredV2:
    """A household filed in a village on a day as the registry published filings before
    it sealed members' details (V2: names and identity hashes), identified that year."""
    filing: dict[str, Any] = {
        "household_id": household_id,
        "effective_date": on,
        "file_number": f"F{household_id.hex[:10]}",
        "county_code": village_code[:6],
        "village_code": village_code,
        "poverty_attribute": PovertyAttribute.GENERAL,
        "primary_cause": cause,
        "members": members,
        "identified_year": on.year,
    }
    return HouseholdRegisteredV2(**(filing | more))


def conditions_met(collective_income: int, dangerous_houses: int) -> dict[str, Any]:
    """A village assessed meeting every condition of its exit (四 7 and 9 of the seed): every
    service in place, the collective earning ``collective_income`` fen, all its
    ``dangerous_houses`` renovated; as a request body or an event's fields."""
    return {
        **dict.fromkeys(VILLAGE_FLAGS, True),
        "collective_income": collective_income,
        "dangerous_houses": dangerous_houses,
        "dangerous_houses_renovated": dangerous_houses,
    }
