"""What the roll-up routes take and answer: their strict query strings (an unknown
parameter, a malformed code, date or instant, a level above the region asked about: 422)
and their reports — a region's or a belt's figures, with what the programmes reached, a
village's exit eligibility criterion by criterion, the income bands around the line."""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from tuopin_contracts.bounds import BusinessDate, Year
from tuopin_contracts.reference.regions import gansu
from tuopin_contracts.regions import check_level
from tuopin_evaluation.domain import rollup as ru
from tuopin_eventkit.web.http import KnownAt


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
        check_level(self.region, self.level)
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


def by_year(counts: dict[int, int]) -> dict[str, int]:
    return {str(year): n for year, n in sorted(counts.items())}


def fraction(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def region_name(code: str) -> str | None:
    region = gansu().get(code)
    return region.name if region else None


def report_row(r: ru.Rollup) -> RollupRow:
    level: Any = r.level  # one of Level: the domain sums regions into regions
    return RollupRow(code=r.code, level=level, name=r.name or region_name(r.code), **figures_of(r))


def figures_of(r: ru.Rollup) -> dict[str, Any]:
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
        incidence_where_known=fraction(r.incidence_where_known),
        exits=by_year(r.exits),
        returns=by_year(r.returns),
        open_return_warnings=r.open_return_warnings,
        registered_households=reach.registered_households,
        credit_households=reach.credit_households,
        credit_share=fraction(reach.credit_share),
        credit_households_by_product=dict(sorted(reach.credit_households_by_product.items())),
        credit_disbursed_fen=reach.credit_disbursed_fen,
        certified_households=reach.certified_households,
        certified_coverage=fraction(reach.certified_coverage),
        people_trained=reach.people_trained,
        students_assisted=reach.students_assisted,
        education_granted_fen=reach.education_granted_fen,
        education_waived_fen=reach.education_waived_fen,
    )
