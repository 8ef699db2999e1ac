"""What a household's file records after the filing: causes, incomes, conditions, the
needs list and measures with their work ledger (shared with villages), responsibility,
relocation, cooperatives, and every step of its status in dynamic management."""

from datetime import date
from uuid import UUID

from pydantic import BaseModel, Field

from tuopin_contracts.bounds import FenTotal
from tuopin_contracts.catalogue import catalogue, event_type
from tuopin_contracts.events.registry.filing import HouseholdFact
from tuopin_contracts.topics import Topic
from tuopin_contracts.vocabulary import (
    HouseholdStatus,
    MeasureKind,
    PovertyCause,
)


@event_type("registry.household.causes_recorded.v1", topic=Topic.REGISTRY)
class CausesRecordedV1(HouseholdFact):
    """The causes of poverty (致贫原因) were established anew."""

    primary_cause: PovertyCause
    secondary_causes: list[PovertyCause] = Field(default_factory=list, max_length=5)


@event_type("registry.household.income_recorded.v1", topic=Topic.REGISTRY)
class IncomeRecordedV1(HouseholdFact):
    """The household's net income of a year, by component, and per head (人均纯收入)."""

    year: int = Field(ge=2013, le=2100)
    wages: FenTotal = Field(description="工资性收入")
    production_and_business: FenTotal = Field(description="生产经营性收入")
    property: FenTotal = Field(description="财产性收入")
    transfers: FenTotal = Field(description="转移性收入")
    members: int = Field(ge=1, description="Household size the per-head figure divides by")
    per_head: FenTotal


@event_type("registry.household.income_corrected.v1", topic=Topic.REGISTRY)
class IncomeCorrectedV1(IncomeRecordedV1):
    """A year's income recorded wrongly, corrected (更正): it replaces the year's figure
    from its effective date; the original stays in the history. ``reason`` is required."""

    reason: str = Field(
        min_length=1, max_length=500, description="Why, on what evidence (更正理由)"
    )


@event_type("registry.household.conditions_assessed.v1", topic=Topic.REGISTRY)
class ConditionsAssessedV1(HouseholdFact):
    """Safe housing (住房安全) and safe drinking water (饮水安全) as last assessed."""

    housing_safe: bool
    drinking_water_safe: bool


class NeedItem(BaseModel):
    """An item of a needs list (需求清单), a household's or a village's."""

    need_id: UUID
    kind: MeasureKind
    description: str = Field(min_length=1, max_length=500)


class MeasureItem(BaseModel):
    """An assistance measure (帮扶措施), planned with its funds and due date."""

    measure_id: UUID
    kind: MeasureKind
    plan: str = Field(min_length=1, max_length=1000)
    funds: FenTotal
    due_date: date
    need_id: UUID | None = None


class ProgressItem(BaseModel):
    """Progress on a measure, entered in the work ledger (工作台账)."""

    measure_id: UUID
    progress_percent: int = Field(ge=0, le=100)
    spent: FenTotal
    note: str = Field(default="", max_length=1000)
    completed: bool


@event_type("registry.household.need_listed.v1", topic=Topic.REGISTRY)
class NeedListedV1(HouseholdFact, NeedItem):
    """An item of the household's needs list (需求清单)."""


@event_type("registry.household.measure_planned.v1", topic=Topic.REGISTRY)
class MeasurePlannedV1(HouseholdFact, MeasureItem):
    """An assistance measure (帮扶措施) for the household was planned."""


@event_type("registry.household.measure_progressed.v1", topic=Topic.REGISTRY)
class MeasureProgressedV1(HouseholdFact, ProgressItem):
    """Progress on one of the household's measures (工作台账)."""


@event_type("registry.household.responsibility_assigned.v1", topic=Topic.REGISTRY)
class ResponsibilityAssignedV1(HouseholdFact):
    """The responsible cadre and unit (帮扶责任人/单位) — 不脱贫不脱钩."""

    cadre_name: str = Field(min_length=1, max_length=50)
    cadre_unit: str = Field(min_length=1, max_length=200)


@event_type("registry.household.relocation_recorded.v1", topic=Topic.REGISTRY)
class RelocationRecordedV1(HouseholdFact):
    """Whether the household is to be relocated (易地搬迁) and where."""

    relocating: bool
    resettlement_site: str | None = Field(default=None, max_length=200)


@event_type("registry.household.cooperative_joined.v1", topic=Topic.REGISTRY)
class CooperativeJoinedV1(HouseholdFact):
    """The household joined a farmers' cooperative (农民专业合作社)."""

    cooperative: str = Field(min_length=1, max_length=200)


class StatusChanged(HouseholdFact):
    """Base of the lifecycle events: each names the status it leads to."""

    status: HouseholdStatus


@event_type("registry.household.assistance_started.v1", topic=Topic.REGISTRY)
class AssistanceStartedV1(StatusChanged):
    """Assistance began (帮扶), or resumed after a rejected exit."""


@event_type("registry.household.exit_proposed.v1", topic=Topic.REGISTRY)
class ExitProposedV1(StatusChanged):
    """The village's democratic appraisal (民主评议) proposed the household for exit."""

    appraisal_date: date


@event_type("registry.household.exit_publicised.v1", topic=Topic.REGISTRY)
class ExitPublicisedV1(StatusChanged):
    """The proposed exit is on public notice (公示) for this window; evaluation verifies it."""

    notice_from: date
    notice_until: date


@event_type("registry.household.exited.v1", topic=Topic.REGISTRY)
class HouseholdExitedV1(StatusChanged):
    """The household left poverty (脱贫销号) on the evaluation service's verification."""

    verification_id: UUID


@event_type("registry.household.exit_rejected.v1", topic=Topic.REGISTRY)
class ExitRejectedV1(StatusChanged):
    """Verification failed; the household returns to assistance with the failed criteria."""

    verification_id: UUID
    failed_criteria: list[str]


@event_type("registry.household.exit_annulled.v1", topic=Topic.REGISTRY)
class ExitAnnulledV1(StatusChanged):
    """A correction: an exit recorded by mistake never took effect. Dated the exit's own
    day, from which the household is assisted again; ``reason`` is required."""

    reason: str = Field(
        min_length=1, max_length=500, description="Why, on what evidence (更正理由)"
    )


@event_type("registry.household.returned_to_poverty.v1", topic=Topic.REGISTRY)
class ReturnedToPovertyV1(StatusChanged):
    """An exited household fell back (返贫) and is listed again, with the cause."""

    cause: PovertyCause


@event_type("registry.household.removed.v1", topic=Topic.REGISTRY)
class HouseholdRemovedV1(StatusChanged):
    """The household was wrongly identified and is removed from the register (清退)."""


# Every lifecycle step, corrections included: a consumer keeping a household's status
# subscribes to all of them, so a new step reaches every one (one list, not four).
STATUS_CHANGES: tuple[type[StatusChanged], ...] = tuple(
    m for m in catalogue.types.values() if isinstance(m, type) and issubclass(m, StatusChanged)
)
# A year's income, as first recorded or as corrected.
INCOMES: tuple[type[IncomeRecordedV1], ...] = (IncomeRecordedV1, IncomeCorrectedV1)
