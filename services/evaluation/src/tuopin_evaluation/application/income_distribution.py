"""Households' income per head in a year, in bands around that year's poverty line: over
the households of a region on the register (or only the poor ones), now or as known at an
instant (statuses and incomes recorded by then)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.dates import LAST_DAY
from tuopin_contracts.regions import region_prefix
from tuopin_contracts.vocabulary import HouseholdStatus
from tuopin_evaluation.application import reference
from tuopin_evaluation.application.facts import households, income_history, incomes
from tuopin_evaluation.application.rollups import PolicyUnavailable
from tuopin_evaluation.application.village_figures import POOR, status_on
from tuopin_evaluation.domain.income_bands import BandCount, distribution, income_bands
from tuopin_eventkit.db import prefixed, recorded_by
from tuopin_eventkit.store.aggregate import NotFound


@dataclass(frozen=True)
class IncomeDistribution:
    region: str
    year: int
    line_fen: int
    poor_only: bool
    known_at: datetime | None
    households: int  # in scope: on the register (or poor), with or without an income
    without_income: int
    bands: list[BandCount]


def _incomes_known_at(known_at: datetime, prefix: str) -> Any:
    """Each household's income per year as known at ``known_at``: its latest recording by
    then (a correction recorded later is not known yet) — of the region's households only,
    not the province's history grouped for a county's question."""
    ih, h = income_history.c, households.c
    latest = (
        select(ih.household_id, func.max(ih.sequence).label("sequence"))
        .join(households, h.household_id == ih.household_id)
        .where(prefixed(h.village_code, prefix), recorded_by(ih.recorded_at, known_at))
        .group_by(ih.household_id, ih.year)
        .subquery()
    )
    return (
        select(ih.household_id, ih.year, ih.per_head)
        .join(
            latest,
            and_(ih.household_id == latest.c.household_id, ih.sequence == latest.c.sequence),
        )
        .subquery()
    )


async def income_distribution(
    conn: AsyncConnection,
    region: str,
    year: int | None = None,
    poor_only: bool = False,
    known_at: datetime | None = None,
) -> IncomeDistribution:
    """Households' income per head in the year (default: the latest recorded in the region)
    in bands around that year's poverty line. In scope: households on the register (not
    removed), or only those currently poor — now, or as known at ``known_at`` (statuses and
    incomes recorded by then)."""
    prefix = region_prefix(region)
    earned = incomes if known_at is None else _incomes_known_at(known_at, prefix)
    h, i = households.c, earned.c
    status = h.status if known_at is None else status_on(LAST_DAY, known_at)
    scope = and_(
        prefixed(h.village_code, prefix),
        status.in_(POOR) if poor_only else status != HouseholdStatus.REMOVED,
    )
    if year is None:
        latest = await conn.scalar(
            select(func.max(i.year))
            .select_from(earned.join(households, h.household_id == i.household_id))
            .where(scope)
        )
        if latest is None:
            raise NotFound(f"no income recorded for households in {region}")
        year = int(latest)
    line = reference.poverty_lines().fen(year)
    if line is None:
        raise PolicyUnavailable(f"no poverty line for {year} in the reference table")
    bands = income_bands(line)
    which = case(
        *[(i.per_head <= b.up_to_fen, b.name) for b in bands if b.up_to_fen is not None],
        else_=bands[-1].name,
    ).label("band")
    banded = (
        select(which)
        .select_from(earned.join(households, h.household_id == i.household_id))
        .where(scope, i.year == year)
        .subquery()
    )
    counts = {
        band: int(n)
        for band, n in await conn.execute(
            select(banded.c.band, func.count()).group_by(banded.c.band)
        )
    }
    in_scope = int(
        await conn.scalar(select(func.count()).select_from(households).where(scope)) or 0
    )
    return IncomeDistribution(
        region=region,
        year=year,
        line_fen=line,
        poor_only=poor_only,
        known_at=known_at,
        households=in_scope,
        without_income=in_scope - sum(counts.values()),
        bands=distribution(bands, counts),
    )
