"""Third-party assessments (第三方评估) over HTTP: draw, findings, survey, publication, reads."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.bounds import Count, Year
from tuopin_contracts.regions import CountyCode
from tuopin_contracts.text import FreeText
from tuopin_evaluation.adapters import views as v
from tuopin_evaluation.application import assessments
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.web.commands import CommandDep, VersionedCommandDep
from tuopin_eventkit.web.http import (
    AsOf,
    History,
    KnownAt,
    Router,
    history,
    respond,
)
from tuopin_eventkit.web.runtime import RuntimeDep

router = Router(prefix="/v1/assessments", tags=["third-party assessment (第三方评估)"])

Assessed = Annotated[Year, Field(ge=2013, description="The year assessed")]


class NewAssessment(BaseModel):
    """A county to assess and how to draw its sample."""

    model_config = ConfigDict(extra="forbid")

    county_code: CountyCode
    year: Assessed
    assessor: Annotated[FreeText, Field(min_length=1, max_length=200)] = Field(
        examples=["兰州大学第三方评估组"]
    )
    sample_size: Annotated[Count, Field(ge=1, le=1_000_000)] = Field(
        description="Households to sample"
    )
    seed: int = Field(ge=0, le=2**63 - 1, description="Same seed + same households = same sample")


class Finding(BaseModel):
    """What the assessor found in one sampled household."""

    model_config = ConfigDict(extra="forbid")

    household_id: UUID
    people: Annotated[Count, Field(ge=1, le=100)] = Field(description="People the finding covers")
    wrongly_exited: bool | None = Field(
        default=None,
        description="错退: required for an exited household, never true for another",
    )
    approves: bool | None = Field(
        default=None, description="群众认可: the household approves; null if it did not answer"
    )


class Survey(BaseModel):
    """A survey of people not on the register, looking for missed poor people (漏评)."""

    model_config = ConfigDict(extra="forbid")

    people_surveyed: Annotated[Count, Field(ge=1, le=10_000_000)]
    missed_poor_people: Annotated[Count, Field(le=10_000_000)]


Command = Callable[[AsyncConnection], Awaitable[Outcome]]


@router.post(
    "",
    status_code=201,
    response_model=v.AssessmentFile,
    summary="Start an assessment: draw its stratified sample",
)
async def draw(body: NewAssessment, command: CommandDep) -> JSONResponse:
    assessment_id = str(uuid4())
    return await command.run(
        "assessments.draw",
        body.model_dump(mode="json"),
        lambda conn, store: assessments.draw(conn, store, assessment_id, **body.model_dump()),
        location="/v1/assessments/{assessment_id}",
    )


@router.post(
    "/{assessment_id}/findings",
    status_code=201,
    response_model=v.FindingRecorded,
    summary="Record a sampled household's finding",
)
async def record_finding(
    assessment_id: UUID, body: Finding, command: VersionedCommandDep
) -> JSONResponse:
    return await command.run(
        "assessments.finding",
        {"assessment": str(assessment_id), **body.model_dump(mode="json")},
        lambda conn, store: assessments.record_finding(
            conn,
            store,
            str(assessment_id),
            command.version(),
            str(body.household_id),
            body.people,
            body.wrongly_exited,
            body.approves,
        ),
    )


@router.post(
    "/{assessment_id}/survey",
    status_code=201,
    response_model=v.SurveyRecorded,
    summary="Record a survey of non-registered people",
)
async def record_survey(
    assessment_id: UUID, body: Survey, command: VersionedCommandDep
) -> JSONResponse:
    return await command.run(
        "assessments.survey",
        {"assessment": str(assessment_id), **body.model_dump(mode="json")},
        lambda conn, store: assessments.record_survey(
            conn,
            store,
            str(assessment_id),
            command.version(),
            body.people_surveyed,
            body.missed_poor_people,
        ),
    )


@router.post(
    "/{assessment_id}/publication",
    response_model=v.AssessmentResult,
    summary="Publish the rates (公开考核结果): wrong exits, missed identification, approval",
)
async def publish(assessment_id: UUID, command: VersionedCommandDep) -> JSONResponse:
    return await command.run(
        "assessments.publication",
        {"assessment": str(assessment_id)},
        lambda conn, store: assessments.publish(conn, store, str(assessment_id), command.version()),
    )


@router.get(
    "",
    response_model=v.PublishedResults,
    summary="Published results per county and year (public)",
)
async def list_published(
    runtime: RuntimeDep,
    county: Annotated[str | None, Query(pattern=r"^62[0-9]{4}$", description="621121 …")] = None,
    year: Annotated[Assessed | None, Query()] = None,
) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        items = await assessments.published(conn, runtime.store, county, year)
    return {"county": county, "year": year, "items": items}


@router.get(
    "/{assessment_id}",
    response_model=v.AssessmentFile,
    summary="An assessment: allocation, sample, findings, rates",
)
async def read(
    assessment_id: UUID,
    runtime: RuntimeDep,
    as_of: AsOf = None,
    known_at: KnownAt = None,
) -> JSONResponse:
    async with runtime.reader.connect() as conn:
        assessment = await assessments.load(
            conn, runtime.store, str(assessment_id), known_at, as_of
        )
    return respond(Outcome(assessments.view(assessment)))


@router.get(
    "/{assessment_id}/history", response_model=History, summary="Every event of an assessment"
)
async def assessment_history(
    assessment_id: UUID,
    runtime: RuntimeDep,
    as_of: AsOf = None,
    known_at: KnownAt = None,
) -> History:
    return await history(runtime, str(assessment_id), as_of, known_at, of="assessment")
