"""Third-party assessments (第三方评估): commands, the sampling frame, reads.

The assessment's events go to evaluation's own event store, hence to
``tuopin.evaluation.events`` through the outbox; they carry the whole draw (strata, each
sampled household's village and status) and the counts behind each rate, so an assessment
replays from its events alone.
"""

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts import EventData
from tuopin_contracts.events.evaluation import (
    AssessmentFindingRecordedV1,
    AssessmentPublishedV1,
    AssessmentSampleDrawnV1,
)
from tuopin_evaluation.application.facts import households
from tuopin_evaluation.domain.assessment import (
    Assessment,
    AssessmentPublished,
    HouseholdFindingRecorded,
    Rate,
    Results,
    SampleDrawn,
    Stratum,
    SurveyRecorded,
    Unit,
)
from tuopin_eventkit.store import columns
from tuopin_eventkit.store.aggregate import NotFound
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.store.repository import Repository
from tuopin_eventkit.store.store import EventStore

STREAM_TYPE = "assessment"

metadata = MetaData()

# Which assessments exist, by county and year: for finding them, not for replaying them.
frames = Table(
    "assessment_frames",
    metadata,
    Column("assessment_id", String(36), primary_key=True),
    columns.county_code(nullable=False),
    Column("year", Integer, nullable=False),
    Column("drawn_at", DateTime(timezone=True), nullable=False),
    Index("ix_assessment_frames_county_year", "county_code", "year"),
)


# --- domain ↔ contract ----------------------------------------------------------------------


def _to_contract(event: Any) -> EventData:
    match event:
        case SampleDrawn():
            return AssessmentSampleDrawnV1.model_validate(asdict(event))
        case HouseholdFindingRecorded():
            return AssessmentFindingRecordedV1.model_validate(asdict(event))
        case SurveyRecorded():
            return AssessmentFindingRecordedV1(
                assessment_id=event.assessment_id,
                household_id=None,
                people=event.people_surveyed,
                missed_poor_people=event.missed_poor_people,
            )
        case AssessmentPublished():
            r = event.results
            return AssessmentPublishedV1(
                assessment_id=event.assessment_id,
                county_code=event.county_code,
                year=event.year,
                wrong_exit_rate=r.wrong_exit.value,
                missed_identification_rate=r.missed_identification.value,
                approval_rate=r.approval.value,
                wrongly_exited_people=r.wrong_exit.numerator,
                sampled_exited_people=r.wrong_exit.denominator,
                missed_poor_people=r.missed_identification.numerator,
                non_registered_surveyed=r.missed_identification.denominator,
                approving_households=r.approval.numerator,
                answering_households=r.approval.denominator,
            )
    raise TypeError(f"no contract for {type(event).__name__}")


def _to_domain(event: EventData) -> Any:
    match event:
        case AssessmentSampleDrawnV1():
            data = event.model_dump(mode="json")
            data["strata"] = tuple(Stratum(**s) for s in data["strata"])
            data["households"] = tuple(Unit(**u) for u in data["households"])
            return SampleDrawn(**data)
        case AssessmentFindingRecordedV1(household_id=None):
            return SurveyRecorded(
                assessment_id=str(event.assessment_id),
                people_surveyed=event.people,
                missed_poor_people=event.missed_poor_people,
            )
        case AssessmentFindingRecordedV1():
            return HouseholdFindingRecorded(
                assessment_id=str(event.assessment_id),
                household_id=str(event.household_id),
                people=event.people,
                wrongly_exited=event.wrongly_exited,
                approves=event.approves,
            )
        case AssessmentPublishedV1():
            e = event
            return AssessmentPublished(
                assessment_id=str(e.assessment_id),
                county_code=e.county_code,
                year=e.year,
                results=Results(
                    wrong_exit=Rate(e.wrongly_exited_people, e.sampled_exited_people),
                    missed_identification=Rate(e.missed_poor_people, e.non_registered_surveyed),
                    approval=Rate(e.approving_households, e.answering_households),
                ),
            )
    raise TypeError(f"not an assessment event: {type(event).__name__}")


def repository(store: EventStore) -> Repository[Assessment]:
    return Repository(store, STREAM_TYPE, Assessment, _to_contract, _to_domain)


# --- commands -------------------------------------------------------------------------------


async def population(conn: AsyncConnection, county_code: str) -> list[Unit]:
    """The sampling frame: the county's registered households, poor or exited, not removed."""
    t = households
    rows = await conn.execute(
        select(t.c.household_id, t.c.village_code, t.c.status, t.c.size)
        .where(t.c.county_code == county_code, t.c.status != "removed")
        .order_by(t.c.household_id)
    )
    return [
        Unit(
            household_id=r.household_id, village_code=r.village_code, status=r.status, people=r.size
        )
        for r in rows
    ]


async def draw(
    conn: AsyncConnection,
    store: EventStore,
    assessment_id: str,
    *,
    county_code: str,
    year: int,
    assessor: str,
    sample_size: int,
    seed: int,
) -> Outcome:
    """Draw the sample of a new assessment; keep its frame with its first event."""
    assessment = Assessment.draw(
        assessment_id,
        county_code=county_code,
        year=year,
        assessor=assessor,
        seed=seed,
        sample_size=sample_size,
        population=await population(conn, county_code),
    )
    await conn.execute(
        insert(frames).values(
            assessment_id=assessment_id,
            county_code=county_code,
            year=year,
            drawn_at=datetime.now(UTC),
        )
    )
    await repository(store).save(conn, assessment)
    return Outcome(view(assessment), created=True)


async def load(
    conn: AsyncConnection,
    store: EventStore,
    assessment_id: str,
    known_at: datetime | None = None,
    as_of: date | None = None,
) -> Assessment:
    """The assessment now, or as it stood on a business date and/or as recorded by an
    instant (what had been published by then)."""
    assessment = await repository(store).get(conn, assessment_id, known_at, as_of)
    if assessment is None:
        when = (f" as of {as_of}" if as_of else "") + (
            f" as known at {known_at}" if known_at else ""
        )
        raise NotFound(f"no assessment {assessment_id}{when}")
    return assessment


async def change(
    conn: AsyncConnection,
    store: EventStore,
    assessment_id: str,
    expected_version: int | None,
    decide: Callable[[Assessment], Any],
) -> tuple[Assessment, Any]:
    """Load, let the assessment decide (it records events or refuses), save."""
    return await repository(store).change(
        conn,
        assessment_id,
        decide,
        expected=expected_version,
        missing=f"no assessment {assessment_id}",
    )


async def record_finding(
    conn: AsyncConnection,
    store: EventStore,
    assessment_id: str,
    expected_version: int | None,
    household_id: str,
    people: int,
    wrongly_exited: bool | None,
    approves: bool | None,
) -> Outcome:
    assessment, _ = await change(
        conn,
        store,
        assessment_id,
        expected_version,
        lambda a: a.record_finding(
            household_id, people=people, wrongly_exited=wrongly_exited, approves=approves
        ),
    )
    finding = assessment.findings[household_id]
    return Outcome(
        {
            **progress(assessment),
            "finding": {
                "household_id": household_id,
                "people": finding.people,
                "wrongly_exited": finding.wrongly_exited,
                "approves": finding.approves,
            },
        },
        created=True,
    )


async def record_survey(
    conn: AsyncConnection,
    store: EventStore,
    assessment_id: str,
    expected_version: int | None,
    people_surveyed: int,
    missed_poor_people: int,
) -> Outcome:
    assessment, _ = await change(
        conn,
        store,
        assessment_id,
        expected_version,
        lambda a: a.record_survey(
            people_surveyed=people_surveyed, missed_poor_people=missed_poor_people
        ),
    )
    return Outcome({**progress(assessment), "survey": survey_view(assessment)}, created=True)


async def publish(
    conn: AsyncConnection, store: EventStore, assessment_id: str, expected_version: int | None
) -> Outcome:
    assessment, _ = await change(conn, store, assessment_id, expected_version, Assessment.publish)
    return Outcome(result_view(assessment))


# --- reads ----------------------------------------------------------------------------------


async def published(
    conn: AsyncConnection, store: EventStore, county_code: str | None, year: int | None
) -> list[dict[str, Any]]:
    """The published results (公开考核结果), oldest draw first; nothing per household."""
    query = select(frames.c.assessment_id).order_by(frames.c.drawn_at, frames.c.assessment_id)
    if county_code is not None:
        query = query.where(frames.c.county_code == county_code)
    if year is not None:
        query = query.where(frames.c.year == year)
    results = []
    for assessment_id in (await conn.scalars(query)).all():
        assessment = await load(conn, store, assessment_id)
        if assessment.publication is not None:
            results.append(result_view(assessment))
    return results


# --- the assessment as a response -----------------------------------------------------------


def _rate(rate: Rate) -> dict[str, Any]:
    return {
        "value": str(rate.value),  # a decimal string, as on the wire: "0.0185"
        "numerator": rate.numerator,
        "denominator": rate.denominator,
        "undefined": rate.undefined,
    }


def rates_view(assessment: Assessment) -> dict[str, Any]:
    results = assessment.results()
    return {
        "wrong_exit_rate": _rate(results.wrong_exit),
        "missed_identification_rate": _rate(results.missed_identification),
        "approval_rate": _rate(results.approval),
    }


def survey_view(assessment: Assessment) -> dict[str, int]:
    return {
        "surveys": len(assessment.surveys),
        "people_surveyed": sum(s.people_surveyed for s in assessment.surveys),
        "missed_poor_people": sum(s.missed_poor_people for s in assessment.surveys),
    }


def _heading(assessment: Assessment) -> dict[str, Any]:
    return {
        "assessment_id": assessment.id,
        "county_code": assessment.county_code,
        "year": assessment.year,
        "assessor": assessment.assessor,
        "seed": assessment.seed,
        "status": assessment.status,
        "version": assessment.version,
    }


def progress(assessment: Assessment) -> dict[str, Any]:
    return {
        **_heading(assessment),
        "sample_size": len(assessment.sample),
        "findings_recorded": len(assessment.findings),
        "outstanding": len(assessment.outstanding),
    }


def result_view(assessment: Assessment) -> dict[str, Any]:
    """What is published: the rates with their counts, zero denominators flagged."""
    return {
        **_heading(assessment),
        "sample_size": len(assessment.sample),
        "sampled_exited_households": sum(u.exited for u in assessment.sample.values()),
        "people_surveyed": survey_view(assessment)["people_surveyed"],
        **rates_view(assessment),
    }


def view(assessment: Assessment) -> dict[str, Any]:
    """The whole assessment: allocation, sample, findings, survey and the rates so far."""
    findings = assessment.findings
    return {
        **progress(assessment),
        "population": sum(s.population for s in assessment.strata),
        "allocation": [asdict(s) for s in assessment.strata],
        "households": [
            {
                **asdict(u),
                "finding": (
                    None
                    if u.household_id not in findings
                    else {
                        "people": findings[u.household_id].people,
                        "wrongly_exited": findings[u.household_id].wrongly_exited,
                        "approves": findings[u.household_id].approves,
                    }
                ),
            }
            for u in assessment.sample.values()
        ],
        "survey": survey_view(assessment),
        "results": rates_view(assessment),
    }
