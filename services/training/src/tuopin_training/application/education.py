"""Recording education assistance (教育扶贫, seed 四.9(1)) on the county education
bureau's word: find the student among the registered households' members by the keyed hash
of their ID number (never stored), let the student-year decide, save — in the caller's
transaction, under the append lock. A refusal writes nothing."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, cast
from uuid import uuid5

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.bounds import BusinessDate, PositiveFen, Year
from tuopin_contracts.events import training as tr
from tuopin_contracts.events.training import AssistanceKind, SchoolingLevel
from tuopin_contracts.regions import CountyCode
from tuopin_contracts.text import FreeText
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.store.store import EventStore
from tuopin_training.application.postings import IdNumber
from tuopin_training.application.repositories import NAMESPACE, repository
from tuopin_training.application.trainee_households import household, trainee
from tuopin_training.domain import terms
from tuopin_training.domain.education import Pupil, StudentYear
from tuopin_training.domain.rules import Refused


class AssistanceDecision(BaseModel):
    """One assistance decision for one student and academic year."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    county_code: CountyCode = Field(description="The deciding county (its education bureau)")
    id_number: IdNumber
    academic_year: Annotated[Year, Field(ge=2013, description="2017 = the 2017–18 学年")]
    level: SchoolingLevel
    kind: AssistanceKind
    school: Annotated[FreeText, Field(min_length=1, max_length=200)]
    amount_fen: PositiveFen | None = Field(
        default=None,
        description="Granted or waived, in fen; the grant defaults to the seed's 2,000 yuan",
    )
    decided_on: BusinessDate


def student_year_id(id_number_hash: str, academic_year: int) -> str:
    return str(uuid5(NAMESPACE, f"education/{id_number_hash}/{academic_year}"))


async def record(
    conn: AsyncConnection, store: EventStore, keys: IdentityKeys, decision: AssistanceDecision
) -> Outcome:
    await store.lock_appends(conn)
    resident = keys.resident(decision.id_number)
    person = await trainee(conn, resident.hash, resident.masked)
    home = None if person is None else await household(conn, person.household_id)
    if person is None or home is None:
        raise Refused(
            "registered-member",
            f"{resident.masked} is not a member of a household registered (建档立卡)",
        )
    amount = decision.amount_fen
    if amount is None:
        if decision.kind != AssistanceKind.GRANT:
            raise Refused("amount-required", "a waiver states the fees waived (amount_fen)")
        amount = terms.SECONDARY_VOCATIONAL_GRANT_FEN
    stream = student_year_id(resident.hash, decision.academic_year)
    event = tr.EducationAssistanceRecordedV1(
        assistance_id=str(uuid5(NAMESPACE, f"{stream}/{decision.kind}")),
        county_code=decision.county_code,
        household_id=person.household_id,
        village_code=person.village_code,
        id_number_hash=resident.hash,
        id_number_masked=resident.masked,
        academic_year=decision.academic_year,
        level=decision.level,
        kind=decision.kind,
        school=decision.school,
        amount_fen=amount,
        decided_on=decision.decided_on,
    )
    pupil = Pupil(
        household_id=person.household_id,
        county_code=str(home["county_code"]),
        # Date columns of the household's row (a row mapping's values are untyped).
        identified_on=cast(date | None, home["identified_on"]),
        removed_on=cast(date | None, home["removed_on"]),
    )
    repo = repository(store, StudentYear)
    student_year = await repo.get(conn, stream) or StudentYear(stream)
    student_year.grant(event, pupil)
    await repo.save(conn, student_year)
    return Outcome(view(event), created=True)


def view(event: tr.EducationAssistanceRecordedV1) -> dict[str, Any]:
    """The answer: what was recorded, without the identity hash; yuan as a decimal string."""
    recorded = event.model_dump(exclude={"id_number_hash"})
    return {**recorded, "amount_yuan": str(Decimal(event.amount_fen).scaleb(-2))}
