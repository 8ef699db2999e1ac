"""The rules a household's filing keeps, each broken one reported with the field it
concerns and the member it is about, as loans' eligibility reports every rule it fails.

A filing over HTTP and the bulk import both check a new household with
:func:`filing_violations`, so a rule is worded once and both say the same. It is given
the filing's fields, not its event: the event's contract holds some of these rules too
(one head, the village in the county), and would stop at the first broken one.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from tuopin_contracts.events.registry import SealedMember
from tuopin_contracts.vocabulary import PovertyCause, Relation
from tuopin_eventkit.store.aggregate import RuleViolation


@dataclass(frozen=True)
class Violation:
    """One filing rule broken: the field it concerns and, when it is one member's, that
    member's index in the filing (the import turns it into the member's row)."""

    field: str
    message: str
    member: int | None = None


def filing_violations(
    *,
    county_code: str,
    village_code: str,
    members: Sequence[SealedMember],
    primary_cause: PovertyCause,
    secondary_causes: Sequence[PovertyCause] = (),
    county_known: bool = True,
    **_: Any,  # the filing's other fields, which no rule here concerns
) -> list[Violation]:
    """Every rule a new household's filing breaks (empty when it may be filed): one
    definition for a filing over HTTP and for the import, so both say the same.
    ``county_known``: the county code is one of Gansu's in the region table (a code of the
    right shape can still name no county)."""
    found = []
    if not county_known:
        found.append(Violation("county_code", f"no county {county_code} in Gansu"))
    if not village_code.startswith(county_code):
        message = f"village {village_code} does not lie in county {county_code}"
        found.append(Violation("village_code", message))
    heads = [i for i, m in enumerate(members) if m.relation is Relation.HEAD]
    if len(heads) != 1:
        message = f"a household has exactly one head, not {len(heads)}"
        found += [Violation("relation", message, i) for i in heads[1:]] or [
            Violation("relation", message)
        ]
    found += repeated_people(members)
    found += cause_violations(primary_cause, secondary_causes)
    return found


def refuse(violations: list[Violation]) -> None:
    """Raise the violations, if any, as one rule violation naming each rule once, each
    violation listed with its field (and member) as the import reports it."""
    if violations:
        raise RuleViolation(
            "; ".join(dict.fromkeys(v.message for v in violations)),
            violations=[
                {"field": v.field, "message": v.message}
                | ({} if v.member is None else {"member": v.member})
                for v in violations
            ],
        )


def repeated_people(members: Sequence[SealedMember]) -> list[Violation]:
    """Each member who is someone already listed before them (same person, same number)."""
    ids: set[UUID] = set()
    hashes: set[str] = set()
    found = []
    for i, m in enumerate(members):
        if m.person_id in ids or (m.id_number_hash and m.id_number_hash in hashes):
            found.append(
                Violation("id_number", "the same person appears twice in the household", i)
            )
        ids.add(m.person_id)
        if m.id_number_hash:
            hashes.add(m.id_number_hash)
    return found


def cause_violations(primary: PovertyCause, secondary: Sequence[PovertyCause]) -> list[Violation]:
    found = []
    if primary in secondary:
        found.append(
            Violation(
                "secondary_causes", f"{primary} is the primary cause; it cannot be secondary too"
            )
        )
    if len(set(secondary)) != len(secondary):
        found.append(Violation("secondary_causes", "a secondary cause is listed twice"))
    return found
