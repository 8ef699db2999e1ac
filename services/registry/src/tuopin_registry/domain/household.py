"""The poor household (贫困户): its members, causes, income, needs, measures, responsible
cadre, and its status in dynamic management (有进有出) as an explicit state machine.

No I/O. Commands check the rules and record the contracts' events as they are;
``apply`` folds an event into state without checking anything, so history always
replays. Ids (the household's, its members') are kept as strings.
"""

from datetime import date, timedelta
from typing import Any

from tuopin_contracts.events import registry as reg
from tuopin_contracts.vocabulary import (
    HouseholdStatus,
    PovertyAttribute,
    PovertyCause,
    Relation,
)
from tuopin_eventkit.store.aggregate import Aggregate, InvalidTransition, RuleViolation
from tuopin_registry.domain.filing import (
    cause_violations,
    filing_violations,
    refuse,
    repeated_people,
)
from tuopin_registry.domain.ledger import Ledger
from tuopin_registry.domain.lifecycle import LIFECYCLE, MINIMUM_NOTICE_DAYS, S
from tuopin_registry.domain.members import MEMBER_CHANGES, Member


class Household(Aggregate):
    """Consistency boundary for one household's file."""

    status: HouseholdStatus | None
    file_number: str
    county_code: str
    village_code: str
    poverty_attribute: PovertyAttribute | None
    primary_cause: PovertyCause | None
    secondary_causes: tuple[PovertyCause, ...]
    members: dict[str, Member]  # the active members, by person id
    former: set[str]  # person ids of members who left
    erased: set[str]  # person ids whose clear identity was erased
    incomes: dict[int, reg.IncomeRecordedV1]  # corrections included
    housing_safe: bool | None
    drinking_water_safe: bool | None
    ledger: Ledger  # needs, measures and their work ledger
    cadre: tuple[str, str] | None  # (name, unit)
    status_since: date | None  # the business date the current status took effect

    def __init__(self, aggregate_id: str) -> None:
        Aggregate.__init__(self, aggregate_id)
        self.status = None
        self.file_number = self.county_code = self.village_code = ""
        self.poverty_attribute = self.primary_cause = None
        self.secondary_causes = ()
        self.members, self.incomes, self.ledger = {}, {}, Ledger()
        self.former, self.erased = set(), set()
        self.housing_safe = self.drinking_water_safe = None
        self.cadre = None
        self.status_since = None

    # --- filing ---------------------------------------------------------------------

    @classmethod
    def register(cls, county_known: bool = True, **filing: Any) -> "Household":
        """File a household from the fields of its filing event: the filing's rules first,
        every one broken named (the event's contract would stop at its first), then the
        event. ``county_known``: the county code is one of Gansu's in the region table."""
        refuse(filing_violations(county_known=county_known, **filing))
        event = reg.HouseholdRegisteredV3(**filing)
        household = cls(str(event.household_id))
        household.record(event)
        return household

    def add_member(self, change: reg.MemberAddedV2) -> None:
        self._open()
        if change.member.relation is Relation.HEAD:
            raise RuleViolation("the household already has a head")
        refuse(repeated_people([*self.members.values(), change.member]))
        self.record(change)

    def remove_member(self, change: reg.MemberRemovedV1) -> None:
        self._open()
        member = self.member(str(change.person_id))
        if member.relation is Relation.HEAD:
            raise RuleViolation("the head of household cannot be removed")
        self.record(change)

    def update_member(self, change: reg.MemberUpdatedV2) -> None:
        self._open()
        self.member(str(change.person_id))
        self.record(change)

    def correct_identity(self, correction: reg.IdentityCorrectedV1) -> None:
        self._open()
        member = self.member(str(correction.person_id))
        if not (correction.reason or "").strip():
            raise RuleViolation("a correction gives its reason")
        if correction.id_number_hash == member.id_number_hash:
            raise RuleViolation("the corrected ID number is the one already recorded")
        others = [m for m in self.members.values() if m.person_id != member.person_id]
        corrected = member.model_copy(update={"id_number_hash": correction.id_number_hash})
        refuse(repeated_people([*others, corrected]))
        self.record(correction)

    def erase_person(self, erasure: reg.PersonErasedV1) -> None:
        """Honour a deletion request, for someone the register no longer serves: a member
        who left, or anyone of a household removed as wrongly identified. A current
        member's real-name identity is what their assistance rests on (实名制), so they
        leave the household first. A removed household's file may still be erased from."""
        person_id = str(erasure.person_id)
        if person_id in self.erased:
            raise InvalidTransition("person's identity", "already erased", "erase it")
        if person_id in self.members and self.status is not S.REMOVED:
            raise InvalidTransition(
                "person", "a current member of the household", "erase their identity"
            )
        if person_id not in self.members and person_id not in self.former:
            raise RuleViolation(f"{person_id} was never a member of this household")
        if not (erasure.reason or "").strip():
            raise RuleViolation("an erasure cites the deletion request it honours (reason)")
        self.record(erasure)

    def record_causes(self, change: reg.CausesRecordedV1) -> None:
        self._open()
        refuse(cause_violations(change.primary_cause, change.secondary_causes))
        self.record(change)

    def record_income(self, income: reg.IncomeRecordedV1) -> None:
        self._open()
        if income.members != len(self.members):
            raise RuleViolation(
                f"income is per head of {len(self.members)} members, not {income.members}"
            )
        self._check_income(income)
        self.record(income)

    @staticmethod
    def _check_income(income: reg.IncomeRecordedV1) -> None:
        total = income.wages + income.production_and_business + income.property + income.transfers
        if income.members < 1 or income.per_head != total // income.members:
            raise RuleViolation("per-head income must be the total divided by the members")

    def assess_conditions(self, change: reg.ConditionsAssessedV1) -> None:
        self._open()
        self.record(change)

    def list_need(self, need: reg.NeedListedV1) -> None:
        self._open()
        self.ledger.check_need(need)
        self.record(need)

    def plan_measure(self, plan: reg.MeasurePlannedV1) -> None:
        self._open()
        self.ledger.check_plan(plan)
        self.record(plan)

    def record_progress(self, progress: reg.MeasureProgressedV1) -> None:
        self._open()
        self.ledger.check_progress(progress)
        self.record(progress)

    def assign_responsibility(self, change: reg.ResponsibilityAssignedV1) -> None:
        self._open()
        self.record(change)

    def record_relocation(self, change: reg.RelocationRecordedV1) -> None:
        self._open()
        if change.relocating and not change.resettlement_site:
            raise RuleViolation("a relocation names its resettlement site")
        self.record(change)

    def join_cooperative(self, change: reg.CooperativeJoinedV1) -> None:
        self._open()
        self.record(change)

    # --- dynamic management (有进有出) -----------------------------------------------

    def start_assistance(self, on: date, reason: str | None) -> None:
        self._transition("start assistance", on)
        self.record(
            reg.AssistanceStartedV1(
                household_id=self.id, effective_date=on, reason=reason, status=S.ASSISTING
            )
        )

    def propose_exit(self, appraisal_date: date, reason: str | None) -> None:
        self._transition("propose exit", appraisal_date)
        self.record(
            reg.ExitProposedV1(
                household_id=self.id,
                effective_date=appraisal_date,
                reason=reason,
                status=S.EXIT_PROPOSED,
                appraisal_date=appraisal_date,
            )
        )

    def publicise_exit(self, notice_from: date, notice_until: date, reason: str | None) -> None:
        self._transition("publicise exit", notice_from)
        if notice_until - notice_from < timedelta(days=MINIMUM_NOTICE_DAYS - 1):
            raise RuleViolation(
                f"the public notice (公示) lasts at least {MINIMUM_NOTICE_DAYS} days"
            )
        self.record(
            reg.ExitPublicisedV1(
                household_id=self.id,
                effective_date=notice_from,
                reason=reason,
                status=S.EXIT_PUBLICISED,
                notice_from=notice_from,
                notice_until=notice_until,
            )
        )

    def conclude_verification(
        self, verification_id: str, passed: bool, failed_criteria: list[str], on: date
    ) -> None:
        """Exit happens only on the evaluation service's verdict (脱贫销号), and takes
        effect on the day the verdict judged the household as of (``on``): the last day of
        its public notice, when the notice has passed without objection (公示无异议后公告
        退出). It is that day's fact, in that year's figures, however late it is processed."""
        self._transition("confirm or reject exit", on)
        if passed:
            self.record(
                reg.HouseholdExitedV1(
                    household_id=self.id,
                    effective_date=on,
                    reason="exit verified by evaluation",
                    status=S.EXITED,
                    verification_id=verification_id,
                )
            )
        else:
            self.record(
                reg.ExitRejectedV1(
                    household_id=self.id,
                    effective_date=on,
                    reason="exit verification failed: " + ", ".join(failed_criteria),
                    status=S.ASSISTING,
                    verification_id=verification_id,
                    failed_criteria=failed_criteria,
                )
            )

    def record_earlier_exit(self, verification_id: str, on: date, source: str) -> None:
        """An exit verified before this register existed, as the county's old records
        (the national 建档立卡 system's exports) show it: a fact of the record being
        back-filled, dated as it happened, with where it comes from. Only the import of
        such records does this; over HTTP a household exits on evaluation's verdict."""
        self._transition("record an exit verified before the register", on)
        self.record(
            reg.HouseholdExitedV1(
                household_id=self.id,
                effective_date=on,
                reason=f"exit verified before the register, as recorded in {source}",
                status=S.EXITED,
                verification_id=verification_id,
            )
        )

    def return_to_poverty(self, cause: PovertyCause, on: date, reason: str | None) -> None:
        self._transition("return to poverty", on)
        self.record(
            reg.ReturnedToPovertyV1(
                household_id=self.id,
                effective_date=on,
                reason=reason,
                status=S.RETURNED,
                cause=cause,
            )
        )

    def annul_exit(self, reason: str) -> None:
        """A correction: the exit was recorded by mistake (a wrong verdict, the wrong
        household), so it never took effect. The household is assisted again from the
        exit's own date; the exit stays in the history beside this."""
        if not reason.strip():
            raise RuleViolation("annulling an exit is a correction: it needs a reason")
        # An exited household always has its exit's date; _transition refuses any other.
        exited_on = self.status_since or date.min
        self._transition("annul a mistaken exit", exited_on)
        self.record(
            reg.ExitAnnulledV1(
                household_id=self.id, effective_date=exited_on, reason=reason, status=S.ASSISTING
            )
        )

    def correct_income(self, correction: reg.IncomeCorrectedV1) -> None:
        """A correction of a year's income already recorded: the figures of that year
        change from the correction's effective date, and the original stays in the
        history (the audit view as known before still shows it)."""
        self._open()
        recorded = self.incomes.get(correction.year)
        if recorded is None:
            raise RuleViolation(f"no income of {correction.year} is recorded to correct")
        if not (correction.reason or "").strip():
            raise RuleViolation("a correction gives its reason")
        self._check_income(correction)
        self.record(correction)

    def remove(self, on: date, reason: str) -> None:
        self._transition("remove as wrongly identified", on)
        if not reason.strip():
            raise RuleViolation("removing a household from the register needs a reason")
        self.record(
            reg.HouseholdRemovedV1(
                household_id=self.id, effective_date=on, reason=reason, status=S.REMOVED
            )
        )

    # --- state ----------------------------------------------------------------------

    @property
    def size(self) -> int:
        return len(self.members)

    def _transition(self, command: str, on: date) -> None:
        """A step follows the one before in business time too: a back-filled history is
        entered late, never out of order (an exit cannot predate the assistance it ends)."""
        if self.status not in LIFECYCLE[command]:
            raise InvalidTransition("household", str(self.status), command)
        if self.status_since and on < self.status_since:
            raise RuleViolation(
                f"cannot {command} as of {on}: the household is {self.status} "
                f"since {self.status_since}",
                status_since=str(self.status_since),
            )

    def _open(self) -> None:
        if self.status is S.REMOVED:
            raise InvalidTransition("household", str(self.status), "change a removed file")

    def member(self, person_id: str) -> Member:
        """An active member, or the rule that they are not one."""
        try:
            return self.members[person_id]
        except KeyError:
            raise RuleViolation(f"{person_id} is not a member of this household") from None

    def apply(self, event: Any) -> None:
        match event:
            case reg.HouseholdRegisteredV3():
                self.status, self.status_since = S.IDENTIFIED, event.effective_date
                self.file_number, self.county_code = event.file_number, event.county_code
                self.village_code, self.poverty_attribute = (
                    event.village_code,
                    event.poverty_attribute,
                )
                self.primary_cause = event.primary_cause
                self.secondary_causes = tuple(event.secondary_causes)
                self.members = {str(m.person_id): m for m in event.members}
            case reg.MemberAddedV2():
                self.members[str(event.member.person_id)] = event.member
            case reg.MemberRemovedV1():
                person_id = str(event.person_id)
                del self.members[person_id]
                self.former.add(person_id)
            case reg.IdentityCorrectedV1():
                person_id = str(event.person_id)
                self.members[person_id] = self.members[person_id].model_copy(
                    update={
                        "id_number_hash": event.id_number_hash,
                        "birth_year": event.birth_year,
                        "birth_month": event.birth_month,
                        "sealed": event.sealed,
                    }
                )
            case reg.PersonErasedV1():
                self.erased.add(str(event.person_id))
            case reg.MemberUpdatedV2():
                person_id = str(event.person_id)
                changes = {k: v for k in MEMBER_CHANGES if (v := getattr(event, k)) is not None}
                self.members[person_id] = self.members[person_id].model_copy(update=changes)
            case reg.CausesRecordedV1():
                self.primary_cause = event.primary_cause
                self.secondary_causes = tuple(event.secondary_causes)
            case reg.IncomeRecordedV1():  # or its correction
                self.incomes[event.year] = event
            case reg.ConditionsAssessedV1():
                self.housing_safe = event.housing_safe
                self.drinking_water_safe = event.drinking_water_safe
            case reg.NeedListedV1() | reg.MeasurePlannedV1() | reg.MeasureProgressedV1():
                self.ledger.apply(event)
            case reg.ResponsibilityAssignedV1():
                self.cadre = (event.cadre_name, event.cadre_unit)
            case reg.RelocationRecordedV1() | reg.CooperativeJoinedV1():
                pass  # kept in the read models; no rule depends on them yet
            case reg.StatusChanged():
                self.status, self.status_since = event.status, event.effective_date
            case _:
                raise TypeError(f"Household cannot apply {type(event).__name__}")
