"""Judging a publicised exit from the facts evaluation holds, and publishing the verdict."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.dates import born
from tuopin_contracts.events.evaluation import Criterion
from tuopin_evaluation.application import reference
from tuopin_evaluation.application.facts import households, incomes, member_on, members
from tuopin_evaluation.domain.exit_standard import (
    HouseholdFacts,
    Person,
    RuleSet,
    rule_set_on,
    verify,
)
from tuopin_evaluation.domain.verification import ExitVerification
from tuopin_eventkit.store.aggregate import NotFound
from tuopin_eventkit.store.repository import Repository
from tuopin_eventkit.store.store import EventStore


def verifications(store: EventStore) -> Repository[ExitVerification]:
    return Repository(store, "exit-verification", ExitVerification)


async def facts_of(conn: AsyncConnection, household_id: str, on: date) -> HouseholdFacts:
    """What evaluation holds of a household, with the members it had on ``on``."""
    home = (
        await conn.execute(select(households).where(households.c.household_id == household_id))
    ).first()
    if home is None:
        raise NotFound(f"evaluation has no facts of household {household_id}")
    people = await conn.execute(
        select(members).where(members.c.household_id == household_id, member_on(on))
    )
    earned = await conn.execute(select(incomes).where(incomes.c.household_id == household_id))
    return HouseholdFacts(
        members=tuple(
            Person(born(p.birth_year, p.birth_month), p.schooling, p.medical_insurance)
            for p in people
        ),
        income_per_head={row.year: row.per_head for row in earned},
        housing_safe=home.housing_safe,
        drinking_water_safe=home.drinking_water_safe,
    )


def criteria_for(
    facts: HouseholdFacts, on: date, year: int, rules: RuleSet | None = None
) -> list[Criterion]:
    """The exit standard in force on ``on`` (or ``rules``, what-if), on the income of ``year``."""
    chosen = rules or rule_set_on(list(reference.rule_sets()), on)
    return verify(facts, on, year, chosen, reference.poverty_lines())


async def recompute(
    conn: AsyncConnection, household_id: str, on: date, year: int, rules: RuleSet | None
) -> list[Criterion]:
    """A household's exit verdict recomputed from the facts evaluation holds now (incomes are
    kept by year, members by the days they joined and left), as of ``on``, under the rules
    in force then or another rule set."""
    return criteria_for(await facts_of(conn, household_id, on), on, year, rules)


async def judge_exit(
    conn: AsyncConnection, store: EventStore, verification_id: str, household_id: str, on: date
) -> None:
    """Judge the household as of ``on`` — its members then, their ages then, the income of
    that year, the rules in force then — whenever the notice is processed."""
    repository = verifications(store)
    if await repository.get(conn, verification_id) is not None:
        return  # already judged (a replay of the notice)
    facts = await facts_of(conn, household_id, on)
    try:
        criteria = criteria_for(facts, on, on.year)
    except LookupError as unjudgeable:  # e.g. a back-filled exit before any standard
        # A verdict all the same, so the household does not wait on notice forever: the
        # county sees why, and evaluation can judge a new notice once the rules say how.
        criteria = [
            Criterion(
                name="exit_standard",
                value=str(unjudgeable),
                threshold="a standard in force",
                passed=False,
            )
        ]
    await repository.save(
        conn, ExitVerification.conclude(verification_id, household_id, on, criteria)
    )
