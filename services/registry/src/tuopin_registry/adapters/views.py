"""What the registry's report and reference reads answer: one model per answer, so the
API document says each field."""

from datetime import date, datetime
from uuid import UUID

from pydantic import Field

from tuopin_contracts.events import registry as reg
from tuopin_contracts.vocabulary import (
    Health,
    HouseholdStatus,
    MeasureKind,
    PovertyAttribute,
    PovertyCause,
    Sex,
)
from tuopin_eventkit.answers import answer_of
from tuopin_eventkit.web.http import Answer


class Counted(Answer):
    households: int
    people: int


class RegionCount(Counted):
    region: str
    by_status: dict[str, Counted]


class Summary(Answer):
    """Households and people by region and status."""

    region: str
    level: str
    regions: list[RegionCount]


class HouseholdWithoutCadre(Answer):
    household_id: UUID
    file_number: str
    village_code: str
    status: str


class VillageWithoutTeam(Answer):
    village_code: str
    name: str


class WithoutResponsible(Answer):
    """不脱贫不脱钩: households in the programme and poor villages nobody answers for."""

    households: list[HouseholdWithoutCadre]
    villages: list[VillageWithoutTeam]


class Region(Answer):
    code: str
    name: str
    level: str = Field(description="province (省), city (地级) or county (县级)")
    parent_code: str | None
    poverty_county: bool = Field(description="A poor county (贫困县) under the 2016 policy")
    poverty_area: str | None


class RegionWithChildren(Region):
    children: list[Region]


class Belt(Answer):
    """A special-hardship belt (特困片带): the counties and townships it spans."""

    code: str
    name: str
    counties: list[str]
    townships: list[str] = Field(description="Empty: whole counties")
    source: str


class OneBelt(Belt):
    version: str


class Belts(Answer):
    version: str
    source: str
    expected: int = Field(description="Belts the seed names (一.1)")
    loaded: int
    complete: bool
    items: list[Belt]


class VillageRow(Answer):
    """A village as the register lists it (行政村)."""

    village_code: str
    name: str
    county_code: str
    poor: bool = Field(description="A registered poor village (贫困村)")
    rural_population: int
    hardship_belt: str | None = Field(description="The belt's name (legacy: free text)")
    hardship_belt_code: str | None
    first_secretary: str | None = Field(description="第一书记")
    work_team: list[str] | None = Field(description="驻村工作队")
    responsible_unit: str | None
    cooperatives: int
    mutual_aid_fund: int = Field(description="Fen")
    version: int


class Villages(Answer):
    items: list[VillageRow]


class NoticeEntry(Answer):
    file_number: str
    head_name: str = Field(description="Partly masked")
    head_id_number: str = Field(description="Wholly masked: not one digit is published")
    size: int
    poverty_attribute: str
    primary_cause: str
    notice_from: date | None = None
    notice_until: date | None = None


class PublicNotice(Answer):
    """公告公示: newly identified households and exits on notice."""

    village_code: str
    identified: list[NoticeEntry]
    exit_publicised: list[NoticeEntry]


# --- a household's file: what its commands and its read answer ------------------------


class Need(Answer, reg.NeedItem):
    """An item of a needs list (需求清单), a household's or a village's."""

    effective_date: date
    reason: str | None


class Measure(Answer):
    """A measure (帮扶措施) as the work ledger (工作台账) stands."""

    measure_id: str
    kind: MeasureKind
    funds: int = Field(description="Fen")
    progress_percent: int
    spent: int = Field(description="Fen")
    completed: bool


class Ledger(Answer):
    needs: list[Need]
    measures: list[Measure]


HouseholdMember = answer_of(
    reg.SealedMember,
    "HouseholdMember",
    drop={"person_id", "id_number_hash", "sealed", "birth_month"},
    person_id=str,
    name=(str | None, Field(description="Opened from the sealed details; None once erased")),
    sex=Sex | None,
    health=Health | None,
    erased=(bool, Field(False, description="Present, true, once the person is erased")),
)


# A year's net income by component, and per head (人均纯收入), in fen: as recorded or
# corrected (更正).
Income = answer_of(reg.IncomeRecordedV1, "Income", drop={"household_id"})


class Cadre(Answer):
    name: str
    unit: str


class HouseholdView(Ledger):
    """A household's file as offices see it: no digit of a member's ID number."""

    household_id: str
    file_number: str
    county_code: str
    village_code: str
    status: HouseholdStatus
    status_since: date | None
    poverty_attribute: PovertyAttribute
    primary_cause: PovertyCause
    secondary_causes: list[PovertyCause]
    members: list[HouseholdMember]  # type: ignore[valid-type]  # made by answer_of
    incomes: list[Income]  # type: ignore[valid-type]  # made by answer_of
    housing_safe: bool | None
    drinking_water_safe: bool | None
    cadre: Cadre | None = Field(description="帮扶责任人 and unit")
    version: int = Field(description="For If-Match")


class HouseholdFile(HouseholdView):
    """The file as of a business date, as known at an instant (when given)."""

    as_of: date | None
    known_at: datetime | None


class HouseholdRow(Answer):
    """A household as the register lists it."""

    household_id: str
    file_number: str
    county_code: str
    village_code: str
    status: HouseholdStatus
    status_since: date
    poverty_attribute: PovertyAttribute
    primary_cause: PovertyCause
    causes: str = Field(description="Every cause, comma-separated and comma-framed")
    size: int
    identified_year: int
    cadre_name: str | None
    cadre_unit: str | None
    notice_from: date | None
    notice_until: date | None
    income_year: int | None
    income_per_head: int | None = Field(description="Fen")
    housing_safe: bool | None
    drinking_water_safe: bool | None
    relocating: bool
    cooperative: str | None
    version: int


class Households(Answer):
    total: int
    limit: int
    offset: int
    items: list[HouseholdRow]


# --- a village's: what its commands and its read answer ------------------------------


class VillageRegistered(Answer):
    village_code: str
    version: int


class VillageLedger(VillageRegistered, Ledger):
    """A village after a change: its needs list and work ledger."""


class Condition(Answer):
    """One condition as recorded: its value, from when, on whose assessment."""

    value: bool | int
    effective_date: date
    source: str


class VillageFile(VillageRow, Ledger):
    """A village, now or as of a business date, as known at an instant."""

    conditions: dict[str, Condition]
    as_of: date | None
    known_at: datetime | None


# --- people and imports -----------------------------------------------------------------


class Identity(Answer):
    """A resident ID number in clear (restricted; the read is recorded)."""

    person_id: str
    household_id: str
    name: str | None
    id_number: str
    id_number_masked: str | None


class Erased(Answer):
    person_id: str
    household_id: str
    erased_at: datetime
    household_version: int


class ImportTotals(Answer):
    rows: int
    households: int
    households_filed: int
    households_already_filed: int = Field(description="By file number: skipped")
    households_rejected: int = Field(description="A bad row rejects its household whole")
    people_filed: int
    rows_rejected: int


class Import(Answer):
    """An import's totals, and where its error report is."""

    import_id: str
    filename: str
    sha256: str
    started_at: datetime
    finished_at: datetime
    totals: ImportTotals
    errors_url: str
