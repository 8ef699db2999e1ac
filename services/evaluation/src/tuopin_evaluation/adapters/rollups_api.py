"""Roll-ups over HTTP: figures by region level (JSON and CSV), village exit eligibility
with every criterion and reason, and the income-per-head distribution around the line.

Each row also says what the loans and training programmes reached among its registered
poor households: households with credit (all products and each), fen disbursed, households
with a certified member and the coverage, people trained.

The same figures by special-hardship belt (特困片带, seed 一.1) at /rollups/belts: one row
per belt holding villages of the region asked about.

Each takes the two times of every fact: ``as_of`` (business date: what was true on that
day) and ``known_at`` (recording instant: only what had been recorded by then), alone or
together — "as of 2016-12-31, as known on 2017-03-01" is what the books said then, and its
difference from "as of 2016-12-31" known today is what an audit looks at.

Query strings are strict: unknown parameters, malformed codes, dates and instants, and a
level above the region asked about are answered 422 (RFC 9457), before anything is read.
"""

import csv
import io
from typing import Annotated

from fastapi import Path, Query
from fastapi.responses import Response

from tuopin_contracts.vocabulary import LoanProduct
from tuopin_evaluation.adapters.rollup_reports import (
    BandOut,
    BeltRollupQuery,
    BeltRollupReport,
    BeltRollupRow,
    CriterionOut,
    DistributionOut,
    DistributionQuery,
    EligibilityOut,
    EligibilityQuery,
    RollupQuery,
    RollupReport,
    by_year,
    figures_of,
    report_row,
)
from tuopin_evaluation.application import income_distribution as incomes
from tuopin_evaluation.application import rollups as app
from tuopin_evaluation.application.answers import answers
from tuopin_eventkit.web.http import CSV_DOWNLOAD, Router
from tuopin_eventkit.web.runtime import RuntimeDep

router = Router(prefix="/v1", tags=["roll-ups"])


async def _report(runtime: RuntimeDep, q: RollupQuery) -> RollupReport:
    found = await app.kept_rollups(runtime.reader, q.region, q.level, q.as_of, q.rules, q.known_at)
    return RollupReport(
        region=found.region,
        level=q.level,
        as_of=found.as_of,
        known_at=found.known_at,
        rule_set=found.rule_set,
        rows=[report_row(r) for r in found.rows],
    )


@router.get(
    "/rollups",
    response_model=RollupReport,
    summary="Poor households and people, rural population, incidence, exits and returns, "
    "loans and training reached, for each region of a level (由户到村、由村到乡、由乡到县)",
)
async def rollups(runtime: RuntimeDep, q: Annotated[RollupQuery, Query()]) -> RollupReport:
    return await _report(runtime, q)


COLUMNS = [
    "code",
    "level",
    "name",
    "villages",
    "poor_villages",
    "poor_villages_eligible_for_exit",
    "villages_without_population",
    "poor_households",
    "poor_people",
    "rural_population",
    "incidence",
    "incidence_note",
    "incidence_where_known",
    "registered_households",
    "credit_households",
    "credit_share",
    "credit_disbursed_fen",
    "certified_households",
    "certified_coverage",
    "people_trained",
    "students_assisted",
    "education_granted_fen",
    "education_waived_fen",
    "open_return_warnings",
]
PRODUCTS = [str(p) for p in LoanProduct]  # every product a column, reached or not


@router.get(
    "/rollups.csv",
    **CSV_DOWNLOAD,
    summary="The same roll-up as CSV (UTF-8 with BOM, so spreadsheets read the names)",
)
async def rollups_csv(runtime: RuntimeDep, q: Annotated[RollupQuery, Query()]) -> Response:
    report = await _report(runtime, q)
    years = sorted({y for r in report.rows for y in (*r.exits, *r.returns)})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            *COLUMNS,
            *(f"credit_households_{p}" for p in PRODUCTS),
            *(f"exits_{y}" for y in years),
            *(f"returns_{y}" for y in years),
        ]
    )
    for row in report.rows:
        values = row.model_dump()
        writer.writerow(
            [
                *("" if values[c] is None else values[c] for c in COLUMNS),
                *(row.credit_households_by_product.get(p, 0) for p in PRODUCTS),
                *(row.exits.get(y, 0) for y in years),
                *(row.returns.get(y, 0) for y in years),
            ]
        )
    when = f"-{q.as_of}" if q.as_of else ""
    filename = f"rollups-{q.region}-{q.level}{when}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/rollups/belts",
    response_model=BeltRollupReport,
    summary="The same figures by special-hardship belt (特困片带): the villages of the "
    "region in each belt, summed",
)
async def belt_rollups(
    runtime: RuntimeDep, q: Annotated[BeltRollupQuery, Query()]
) -> BeltRollupReport:
    found = await answers(runtime.reader).get(
        ("belts", q.region, q.as_of, q.rules, q.known_at),
        lambda conn: app.belt_rollups(conn, q.region, q.as_of, q.rules, q.known_at),
    )
    return BeltRollupReport(
        region=found.region,
        as_of=found.as_of,
        known_at=found.known_at,
        rule_set=found.rule_set,
        villages_outside_belts=found.villages_outside_belts,
        rows=[
            BeltRollupRow(
                code=b.code, level="belt", name=b.name, legacy=b.legacy, **figures_of(b.figures)
            )
            for b in found.rows
        ],
    )


@router.get(
    "/villages/{village_code}/exit-eligibility",
    response_model=EligibilityOut,
    summary="Village exit eligibility (贫困村退出) with every criterion and reason",
)
async def exit_eligibility(
    village_code: Annotated[str, Path(pattern=r"^62[0-9]{10}$", description="12 digits")],
    runtime: RuntimeDep,
    q: Annotated[EligibilityQuery, Query()],
) -> EligibilityOut:
    async with runtime.reader.connect() as conn:
        found = await app.village_eligibility(conn, village_code, q.as_of, q.rules, q.known_at)
    v, verdict, rules = found.village, found.verdict, found.rule_set
    assert rules.village_exit is not None
    return EligibilityOut(
        village_code=v.code,
        name=v.name,
        as_of=found.as_of,
        known_at=found.known_at,
        rule_set=rules.name,
        what_if=q.rules is not None,
        eligible=verdict.eligible,
        poor_village=v.poor_village,
        poor_households=v.poor_households,
        poor_people=v.poor_people,
        rural_population=v.rural_population,
        incidence=None if verdict.incidence is None else str(verdict.incidence),
        max_incidence=str(rules.village_exit.max_incidence),
        criteria=[
            CriterionOut(
                name=c.name,
                description=c.description,
                value=c.value,
                threshold=c.threshold,
                status=c.status,
                passed=c.passed,
                reason=c.reason,
            )
            for c in verdict.criteria
        ],
        reasons=verdict.reasons,
        not_assessed=verdict.not_assessed,
        exits=by_year(dict(v.exits)),
        returns=by_year(dict(v.returns)),
    )


@router.get(
    "/income-distribution",
    response_model=DistributionOut,
    summary="Households by income per head around the year's poverty line (bands in fen)",
)
async def income_distribution(
    runtime: RuntimeDep, q: Annotated[DistributionQuery, Query()]
) -> DistributionOut:
    async with runtime.reader.connect() as conn:
        found = await incomes.income_distribution(conn, q.region, q.year, q.poor_only, q.known_at)
    return DistributionOut(
        region=found.region,
        year=found.year,
        poverty_line_fen=found.line_fen,
        scope="poor" if found.poor_only else "register",
        known_at=found.known_at,
        households=found.households,
        households_without_income=found.without_income,
        bands=[
            BandOut(
                band=b.band.name,
                above_fen=b.band.above_fen,
                up_to_fen=b.band.up_to_fen,
                households=b.households,
                share=None if b.share is None else str(b.share),
            )
            for b in found.bands
        ],
    )
