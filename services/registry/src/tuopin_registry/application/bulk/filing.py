"""Filing a batch of households read from a file, in the caller's transaction and a
handful of statements: each household decided by the domain's own filing rules and the
same identity checks as a filing over HTTP, so both refuse in the same words."""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import NAMESPACE_URL, uuid4, uuid5

from pydantic import ValidationError
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_eventkit.batched import executemany
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.store.aggregate import InvalidTransition, RuleViolation
from tuopin_eventkit.store.store import Append, EventStore, NewEvent
from tuopin_registry.application import people
from tuopin_registry.application.bulk.columns import HISTORY_FIELDS
from tuopin_registry.application.bulk.lookups import active_members, filed_households
from tuopin_registry.application.bulk.report import (
    ALREADY_FILED,
    FILED,
    REJECTED,
    RowError,
    RowResult,
)
from tuopin_registry.application.bulk.rows import Filing
from tuopin_registry.application.commands import Entered, new_member
from tuopin_registry.application.commands import households as household_repository
from tuopin_registry.application.sealing import PeopleKey
from tuopin_registry.domain.filing import Violation, filing_violations
from tuopin_registry.domain.household import Household
from tuopin_registry.domain.members import Member
from tuopin_registry.reference.regions import county_known

_SEAL = insert(people.people)  # built once: its compiled form is cached (``executemany``)


@dataclass
class _Decided:
    """A household that passed every check the file alone allows, ready to be filed."""

    index: int
    household: Household
    people: list[tuple[int, Entered]]  # (row, member with their vault row)
    events: list[NewEvent]


async def file_batch(
    conn: AsyncConnection,
    store: EventStore,
    keys: IdentityKeys,
    vault: PeopleKey,
    filings: Sequence[Filing],
) -> list[RowResult]:
    """File many households in the caller's transaction, in a handful of statements.

    A household is rejected whole (with every row's errors) when a row is bad, a domain
    rule fails, a person is already an active member of another household, or a person or
    file number appears twice in the batch; a household whose file number is already filed
    is skipped as ``already filed``. The others are filed: the clear ID numbers sealed
    into the people vault (under ``vault``), one ``HouseholdRegistered`` event each
    through one ``append_many``.
    """
    outcome: list[list[RowResult] | None] = [None] * len(filings)
    for i, filing in enumerate(filings):
        if filing.errors:
            outcome[i] = _rejected(filing, filing.errors)

    # Already filed: skipped before any costly check, so an import resumes quickly.
    open_ = [i for i, o in enumerate(outcome) if o is None]
    filed = await filed_households(conn, [filings[i].file_number for i in open_])
    numbers: set[str] = set()
    for i in open_:
        filing = filings[i]
        if filing.file_number in filed:
            outcome[i] = _skipped(filing, filed[filing.file_number])
        elif filing.file_number in numbers:
            outcome[i] = _rejected(
                filing,
                [
                    RowError(
                        filing.rows[0],
                        filing.file_number,
                        "file_number",
                        f"file number {filing.file_number} is twice in the batch",
                    )
                ],
            )
        numbers.add(filing.file_number)

    decided = []
    for i, filing in enumerate(filings):
        if i % 50 == 49:
            await asyncio.sleep(0)  # a service's other requests go on during an upload
        if outcome[i] is None:
            done = _decide(keys, vault, i, filing)
            if isinstance(done, _Decided):
                decided.append(done)
            else:
                outcome[i] = _rejected(filing, done)

    # From here on the batch holds the append lock: no other writer can file the same
    # file number or person between these checks and the insert.
    await store.lock_appends(conn)
    filed = await filed_households(conn, [filings[d.index].file_number for d in decided])
    hashes = [e.member.id_number_hash for d in decided for _, e in d.people]
    active = await active_members(conn, [h for h in hashes if h])  # every filed member has one
    claimed: dict[str, tuple[str, int]] = {}  # identity → (file number, row) in this batch
    stream_type = household_repository(store).stream_type
    appends, sealed = [], []
    for d in decided:
        filing = filings[d.index]
        if filing.file_number in filed:  # filed by another writer while this batch was read
            outcome[d.index] = _skipped(filing, filed[filing.file_number])
            continue
        errors = []
        for row, entered in d.people:
            identity = entered.member.id_number_hash or ""
            if identity in active:
                household_id, file_number = active[identity]
                errors.append(
                    RowError(
                        row,
                        filing.file_number,
                        "id_number",
                        f"person {entered.masked} is already a member of household "
                        f"{file_number} ({household_id})",
                    )
                )
            elif identity in claimed:
                errors.append(
                    RowError(
                        row,
                        filing.file_number,
                        "id_number",
                        f"person {entered.masked} is also a member of household "
                        f"{claimed[identity][0]} (row {claimed[identity][1]}) in this file",
                    )
                )
        if errors:
            outcome[d.index] = _rejected(filing, errors)
            continue
        for row, entered in d.people:
            claimed[entered.member.id_number_hash or ""] = (filing.file_number, row)
            sealed.append(entered.vault_row)
        appends.append(Append(stream_type, d.household.id, 0, d.events))
        outcome[d.index] = [
            RowResult(row, filing.file_number, FILED, d.household.id) for row in filing.rows
        ]
    if sealed:
        await executemany(conn, _SEAL, sealed)
        await store.append_many(conn, appends)
    return [result for results in outcome if results for result in results]


def _decide(
    keys: IdentityKeys, vault: PeopleKey, index: int, filing: Filing
) -> _Decided | list[RowError]:
    """Members from their rows (ID numbers checked, hashed, masked, sealed) and the
    household from the domain's rules; or every error found."""
    errors: list[RowError] = []
    entered: list[tuple[int, Entered]] = []
    members: list[Member] = []
    for row, details in zip(filing.rows, filing.members, strict=True):
        try:
            person = new_member(keys, vault, details)
        except RuleViolation as exc:
            message = str(exc)
            column = next((c for c in ("sex", "birth_date") if message.startswith(c)), "id_number")
            errors.append(RowError(row, filing.file_number, column, message))
        except ValidationError as exc:  # the member's contract refuses what the cells let by
            errors += _refused(filing, exc, row)
        else:
            entered.append((row, person))
            members.append(person.member)
            continue
        # A stand-in, so that the household's rules still count this member's relation.
        members.append(Member(person_id=uuid4(), relation=details["relation"]))
    fields = {
        "household_id": uuid4(),
        "file_number": filing.file_number,
        "members": members,
        **{k: v for k, v in filing.household.items() if k not in HISTORY_FIELDS},
    }
    known = county_known(filing.household["county_code"])
    household = None
    if not errors:
        try:
            household = Household.register(county_known=known, **fields)
        except RuleViolation:
            pass  # reported below, each rule broken at its member's row
        except ValidationError as exc:  # the event's contract refuses what the cells let by
            return _refused(filing, exc)
    if household is None:  # the filing's rules, asked again only for a refused household
        violations = filing_violations(county_known=known, **fields)
        return errors + [_at_row(filing, v) for v in violations]
    history_errors = _history(household, filing)
    if history_errors:
        return history_errors
    events = [NewEvent.of(e) for e in household.pending]
    return _Decided(index, household, entered, events)


def _refused(filing: Filing, exc: ValidationError, row: int | None = None) -> list[RowError]:
    """What an event's contract refused, each error at its field: at ``row`` when given
    (a member's), else a member's at their row and the household's at its first."""
    found = []
    for error in exc.errors():
        at, loc = row if row is not None else filing.rows[0], error["loc"]
        if row is None and loc[:1] == ("members",) and len(loc) > 1 and isinstance(loc[1], int):
            at, loc = filing.rows[loc[1]], loc[2:]
        found.append(RowError(at, filing.file_number, str(loc[0]) if loc else "", error["msg"]))
    return found


def _at_row(filing: Filing, violation: Violation) -> RowError:
    """A broken filing rule at the row of the member it is about (else the first row)."""
    row = filing.rows[violation.member or 0]
    return RowError(row, filing.file_number, violation.field, violation.message)


def _history(household: Household, filing: Filing) -> list[RowError]:
    """A back-filled household's later steps, dated as they happened, through the
    household's own rules (a step before the one it follows, or a return without an
    exit, is refused): assistance, an exit verified in the old records, a return."""
    h, row, number = filing.household, filing.rows[0], filing.file_number
    steps: list[tuple[str, Callable[[], None]]] = []
    if h.get("assisted_on"):
        steps.append(("assisted_on", lambda: household.start_assistance(h["assisted_on"], None)))
    if h.get("exited_on"):
        verification = str(uuid5(NAMESPACE_URL, f"tuopin:earlier-exit:{household.id}"))
        source = f"the import of file number {number}"
        steps.append(
            (
                "exited_on",
                lambda: household.record_earlier_exit(verification, h["exited_on"], source),
            )
        )
    if h.get("returned_on") or h.get("return_cause"):
        if not (h.get("returned_on") and h.get("return_cause")):
            return [RowError(row, number, "returned_on", "a return gives its date and its cause")]
        steps.append(
            (
                "returned_on",
                lambda: household.return_to_poverty(h["return_cause"], h["returned_on"], None),
            )
        )
    for column, step in steps:
        try:
            step()
        except (RuleViolation, InvalidTransition) as exc:
            return [RowError(row, number, column, str(exc))]
        except ValidationError as exc:
            return [RowError(row, number, column, e["msg"]) for e in exc.errors()]
    return []


def _rejected(filing: Filing, errors: Sequence[RowError]) -> list[RowResult]:
    """Every row of a rejected household, each with its own errors (possibly none)."""
    by_row: dict[int, list[RowError]] = {}
    for error in errors:
        by_row.setdefault(error.row, []).append(error)
    return [
        RowResult(row, filing.file_number, REJECTED, None, tuple(by_row.get(row, ())))
        for row in filing.rows
    ]


def _skipped(filing: Filing, household_id: str) -> list[RowResult]:
    return [RowResult(row, filing.file_number, ALREADY_FILED, household_id) for row in filing.rows]
