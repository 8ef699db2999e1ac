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
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from tuopin_contracts.bounds import BusinessDate, Year
from tuopin_contracts.reference.regions import gansu
from tuopin_contracts.vocabulary import LoanProduct
from tuopin_evaluation.application import rollups as app
from tuopin_evaluation.application.answers import answers
from tuopin_evaluation.domain import rollup as ru
from tuopin_eventkit.http import CSV_DOWNLOAD, KnownAt, Router
from tuopin_eventkit.runtime import RuntimeDep

router = Router(prefix="/v1", tags=["roll-ups"])


def _iso_date(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


IsoDate = Annotated[BusinessDate, BeforeValidator(_iso_date)]
RegionCode = Annotated[
    str,
    Field(
        pattern=r"^62[0-9]{4}([0-9]{3}([0-9]{3})?)?$",
        description="Province 620000, city 621100, county 621121, township (9 digits) "
        "or village (12 digits)",
        examples=["620000", "621121"],
    ),
]
Level = Literal["province", "city", "county", "township", "village"]
RuleSetName = Annotated[
    str | None,
    Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9-]{0,63}$",
        description="Recompute under this rule set (what-if); default: the one in force",
        examples=["national-2016-central-eastern"],
    ),
]
AsOf = Annotated[
    IsoDate | None,
    Field(default=None, description="Count the state in force on this day (YYYY-MM-DD)"),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RollupQuery(Strict):
    region: RegionCode = "620000"
    level: Level = "county"
    as_of: AsOf = None
    known_at: KnownAt = None
    rules: RuleSetName = None

    @model_validator(mode="after")
    def _level_within_region(self) -> "RollupQuery":
        ru.check_level(self.region, self.level)
        return self


class BeltRollupQuery(Strict):
    region: RegionCode = "620000"
    as_of: AsOf = None
    known_at: KnownAt = None
    rules: RuleSetName = None


class EligibilityQuery(Strict):
    as_of: AsOf = None
    known_at: KnownAt = None
    rules: RuleSetName = None


class DistributionQuery(Strict):
    region: RegionCode = "620000"
    year: Annotated[Year, Field(ge=2010)] | None = Field(
        default=None, description="Default: the latest"
    )
    poor_only: bool = Field(default=False, description="Only households currently poor")
    known_at: KnownAt = None


class RollupRow(BaseModel):
    code: str
    level: Level
    name: str | None = Field(
        description="The province's, a city's or a county's official name (the shared region "
        "table); a village's as registered; null for a township"
    )
    villages: int
    poor_villages: int
    poor_villages_eligible_for_exit: int | None = Field(
        description="Under the rule set named in the report; null when none applies"
    )
    villages_without_population: int
    poor_households: int
    poor_people: int
    rural_population: int = Field(description="Of the villages that registered one")
    incidence: str | None = Field(
        description="Poor people / rural population, a fraction to 4 places (0.0250 = 2.5 %)"
    )
    incidence_note: str | None = Field(description="Why there is no incidence, if none")
    incidence_where_known: str | None = Field(
        description="Poor people / rural population over the villages that registered one "
        "(villages_without_population left out), to 4 places; null when none did"
    )
    exits: dict[str, int] = Field(description="Households exited, by year")
    returns: dict[str, int] = Field(description="Households returned to poverty, by year")
    open_return_warnings: int = Field(
        description="Return warnings (返贫预警) raised and not yet closed: open or acknowledged"
    )
    registered_households: int = Field(
        description="Poor households on the register (建档立卡户): poor or exited, not removed"
    )
    credit_households: int = Field(description="Registered households with a loan disbursed")
    credit_share: str | None = Field(
        description="credit_households / registered_households, to 4 places; null if none"
    )
    credit_households_by_product: dict[str, int] = Field(
        description="Registered households with a loan of the product disbursed"
    )
    credit_disbursed_fen: int = Field(description="Disbursed to registered households, fen")
    certified_households: int = Field(
        description="Registered households with a member holding a valid vocational certificate"
    )
    certified_coverage: str | None = Field(
        description="certified_households / registered_households, to 4 places; null if none"
    )
    people_trained: int = Field(
        description="Members of registered households who completed a training (once each)"
    )
    students_assisted: int = Field(
        description="Members of registered households with education assistance decided "
        "(教育扶贫, seed 四.9(1): 中职助学金, fees waived), once each"
    )
    education_granted_fen: int = Field(description="中职助学金 granted to them, fen")
    education_waived_fen: int = Field(
        description="Tuition, book and preschool care fees waived for them, fen"
    )


class RollupReport(BaseModel):
    region: str
    level: Level
    as_of: date | None
    known_at: datetime | None
    rule_set: str | None
    rows: list[RollupRow]


class BeltRollupRow(RollupRow):
    # A belt's row narrows a region's: its code may be null (a legacy name), its level is
    # "belt" (mypy sees an incompatible override; pydantic takes the narrower field).
    code: str | None = Field(  # type: ignore[assignment]
        description="The belt's code in the provincial list; null for a legacy name"
    )
    level: Literal["belt"]  # type: ignore[assignment]
    name: str | None = Field(description="The belt's name (legacy: as entered, free text)")
    legacy: bool = Field(
        description="Named by free text in villages registered before belts were reference "
        "data, not by a code of the list"
    )


class BeltRollupReport(BaseModel):
    region: str
    as_of: date | None
    known_at: datetime | None
    rule_set: str | None
    villages_outside_belts: int = Field(description="Villages of the region in no belt")
    rows: list[BeltRollupRow]


class CriterionOut(BaseModel):
    name: str
    description: str
    value: str
    threshold: str | None
    status: Literal["passed", "failed", "not_assessed"]
    passed: bool | None
    reason: str | None


class EligibilityOut(BaseModel):
    village_code: str
    name: str | None
    as_of: date | None
    known_at: datetime | None
    rule_set: str
    what_if: bool = Field(description="Judged under a rule set named in the request")
    eligible: bool
    poor_village: bool | None
    poor_households: int
    poor_people: int
    rural_population: int | None
    incidence: str | None
    max_incidence: str
    criteria: list[CriterionOut]
    reasons: list[str]
    not_assessed: list[str]
    exits: dict[str, int]
    returns: dict[str, int]


class BandOut(BaseModel):
    band: str
    above_fen: int | None = Field(description="Exclusive lower bound, fen per head")
    up_to_fen: int | None = Field(description="Inclusive upper bound, fen per head")
    households: int
    share: str | None = Field(description="Of the households with an income that year")


class DistributionOut(BaseModel):
    region: str
    year: int
    poverty_line_fen: int
    scope: Literal["register", "poor"]
    known_at: datetime | None
    households: int
    households_without_income: int
    bands: list[BandOut]


def _years(counts: dict[int, int]) -> dict[str, int]:
    return {str(year): n for year, n in sorted(counts.items())}


def _fraction(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _name(code: str) -> str | None:
    region = gansu().get(code)
    return region.name if region else None


def _row(r: ru.Rollup) -> RollupRow:
    level: Any = r.level  # one of Level: the domain sums regions into regions
    return RollupRow(code=r.code, level=level, name=r.name or _name(r.code), **_figures(r))


def _figures(r: ru.Rollup) -> dict[str, Any]:
    """A row's figures, whatever it is a row of (a region, a belt)."""
    rate, reach = r.incidence, r.reach
    return dict(
        villages=r.villages,
        poor_villages=r.poor_villages,
        poor_villages_eligible_for_exit=r.eligible_poor_villages,
        villages_without_population=r.villages_without_population,
        poor_households=r.poor_households,
        poor_people=r.poor_people,
        rural_population=r.rural_population,
        incidence=None if rate is None else str(rate),
        incidence_note=r.incidence_note,
        incidence_where_known=_fraction(r.incidence_where_known),
        exits=_years(r.exits),
        returns=_years(r.returns),
        open_return_warnings=r.open_return_warnings,
        registered_households=reach.registered_households,
        credit_households=reach.credit_households,
        credit_share=_fraction(reach.credit_share),
        credit_households_by_product=dict(sorted(reach.credit_households_by_product.items())),
        credit_disbursed_fen=reach.credit_disbursed_fen,
        certified_households=reach.certified_households,
        certified_coverage=_fraction(reach.certified_coverage),
        people_trained=reach.people_trained,
        students_assisted=reach.students_assisted,
        education_granted_fen=reach.education_granted_fen,
        education_waived_fen=reach.education_waived_fen,
    )


async def _report(runtime: RuntimeDep, q: RollupQuery) -> RollupReport:
    found = await answers(runtime.reader).get(
        ("rollups", q.region, q.level, q.as_of, q.rules, q.known_at),
        lambda conn: app.rollups(conn, q.region, q.level, q.as_of, q.rules, q.known_at),
    )
    return RollupReport(
        region=found.region,
        level=q.level,
        as_of=found.as_of,
        known_at=found.known_at,
        rule_set=found.rule_set,
        rows=[_row(r) for r in found.rows],
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
                code=b.code, level="belt", name=b.name, legacy=b.legacy, **_figures(b.figures)
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
        exits=_years(dict(v.exits)),
        returns=_years(dict(v.returns)),
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
        found = await app.income_distribution(conn, q.region, q.year, q.poor_only, q.known_at)
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
