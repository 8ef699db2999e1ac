"""A county's standing against the delisting standard (摘帽), as of a day and under the
rule set in force then (or a named one, what-if), as known now or at an instant (the
incidence from the facts recorded by then, the assessment published by then); recorded
standings are published."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.dates import today
from tuopin_contracts.events.evaluation import Criterion
from tuopin_evaluation.application import assessments
from tuopin_evaluation.application.rollups import PolicyUnavailable, choose_rules, rollups
from tuopin_evaluation.domain.delisting import (
    Assessed,
    CountyStanding,
    delisting,
)
from tuopin_eventkit.db import recorded_by
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.store.repository import Repository
from tuopin_eventkit.store.store import EventStore


def standings(store: EventStore) -> Repository[CountyStanding]:
    return Repository(store, "county-standing", CountyStanding)


async def latest_assessment(
    conn: AsyncConnection,
    store: EventStore,
    county: str,
    year: int,
    known_at: datetime | None = None,
) -> Assessed | None:
    """The most recent published assessment of the county for ``year`` or before (as it
    stood at ``known_at``, when given)."""
    f = assessments.frames.c
    query = select(f.assessment_id).where(f.county_code == county, f.year <= year)
    if known_at is not None:
        query = query.where(recorded_by(f.drawn_at, known_at))
    ids = await conn.scalars(query.order_by(f.year.desc(), f.drawn_at.desc()))
    for assessment_id in ids.all():
        assessment = await assessments.load(conn, store, assessment_id, known_at)
        if assessment.publication is not None:
            return Assessed(assessment.id, assessment.year, assessment.publication.results)
    return None


async def standing(
    conn: AsyncConnection,
    store: EventStore,
    county: str,
    on: date | None = None,
    rules_name: str | None = None,
    known_at: datetime | None = None,
) -> dict[str, Any]:
    (found,) = await standings_of(conn, store, [county], county, on, rules_name, known_at)
    return found


async def standings_of(
    conn: AsyncConnection,
    store: EventStore,
    counties: list[str],
    region: str,
    on: date | None = None,
    rules_name: str | None = None,
    known_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """The standing of each of ``counties`` (inside ``region``), their incidences from one
    roll-up of the region by county rather than one for each county."""
    day = on or today()
    rules = choose_rules(day, rules_name)
    if rules.county_delisting is None:
        raise PolicyUnavailable(f"rule set {rules.name} has no county delisting rules")
    rows = (await rollups(conn, region, "county", on, rules_name, known_at)).rows
    by_code = {r.code: r for r in rows}
    found = []
    for county in counties:
        row = by_code.get(county)
        incidence = row.incidence if row else None
        note = row.incidence_note if row else "no household of the county is known"
        assessed = await latest_assessment(conn, store, county, day.year, known_at)
        criteria = delisting(incidence, note, assessed, rules.county_delisting)
        found.append(
            {
                "county_code": county,
                "as_of": day,
                "known_at": known_at,
                "rule_set": rules.name,
                "eligible": all(c.passed for c in criteria),
                "assessment_id": assessed.assessment_id if assessed else None,
                "criteria": [c.model_dump() for c in criteria],
            }
        )
    return found


async def record_standing(
    conn: AsyncConnection, store: EventStore, county: str, on: date | None
) -> Outcome:
    """Assess under the rule set in force and publish it (evaluation.county.status_assessed)."""
    found = await standing(conn, store, county, on)
    repository = standings(store)
    stream = f"county-{county}"
    record = await repository.get(conn, stream) or CountyStanding(stream)
    record.assess(found["as_of"], [Criterion(**c) for c in found["criteria"]])
    await repository.save(conn, record)
    return Outcome(found, created=True)
