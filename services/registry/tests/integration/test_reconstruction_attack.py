"""Security issue 12, performed: rebuild a resident ID number from what the registry
publishes — its answers and its topic — as the finding did.

A number is region (6 digits, for most people the county of their household, which
every record names), birth date (8), sequence (3) and check digit (1). The finding: a
mask that kept the region and the last four digits, beside a published birth date, left
one candidate (the number) with no key at all; elsewhere a handful, settled by the check
digit and "a few HMAC trials" with the identity key three services hold.

The attack here takes, for each person, everything published about them — every answer
and every event record as the relay puts it on the topic, linked by person id and file
number (the attacker's best case) — and assumes they were born in the household's
county. It enumerates the numbers consistent with the published birth facts and mask
digits, drops those whose check digit is wrong, and tries the rest against the identity
hash with the identity key, up to ``BUDGET`` trials (ten times the finding's hundred
candidates). A positive control runs the same code on the old publication and recovers
the number. What remains beyond the budget — exhausting the candidates with the key —
is the residual SECURITY.md states: the identity key must be kept like the vault's.
"""

import hashlib
import hmac
import json
import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from stdnum.cn import ric

from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.testing import client_for
from tuopin_registry.config import RegistrySettings
from tuopin_registry.entrypoints.app import app
from tuopin_registry.examples import filing, member, resident_id

VILLAGE = "620121100201"  # 榆中县: a county whose code has not changed since 1949
COUNTY = VILLAGE[:6]
BUDGET = 1_000  # HMAC trials: ten times the finding's "≤ 100 candidates"
# The earliest birth day an attacker who knows nothing of it would try.
EARLIEST = date(1900, 1, 1)


@dataclass(frozen=True)
class Found:
    candidates: int  # numbers consistent with what was published
    number: str | None  # the one the attack settled on, if any


def days_of(facts: dict[str, Any]) -> list[date] | int:
    """The birth days the published facts leave (a count when there are too many to list)."""
    if facts.get("birth_date"):
        return [date.fromisoformat(facts["birth_date"])]
    year, month = facts.get("birth_year"), facts.get("birth_month")
    if year and month:
        return [date(year, month, d) for d in range(1, monthrange(year, month)[1] + 1)]
    if year:
        first = date(year, 1, 1)
        return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]
    return (date(2016, 12, 31) - EARLIEST).days + 1


def attack(facts: dict[str, Any], county: str, identity_key: str | None) -> Found:
    """The finding's reconstruction on one person's published facts."""
    masks = [v for k, v in facts.items() if k.endswith(("masked", "id_number")) and v]
    tails = (re.search(r"[0-9Xx]*$", m)[0] for m in masks if isinstance(m, str))
    digits = max(tails, key=len, default="")
    region = county  # born in the household's county: the attacker's best case
    known_tail = digits if len(digits) >= 4 else ""  # sequence and check digit
    days = days_of(facts)
    per_day = 1 if known_tail else 1000
    if isinstance(days, int) or len(days) * per_day > 100 * BUDGET:
        total = days if isinstance(days, int) else len(days)
        return Found(total * per_day, None)  # more than the attack can even list
    candidates = []
    for day in days:
        body = f"{region}{day:%Y%m%d}"
        for sequence in [known_tail[:3]] if known_tail else (f"{s:03d}" for s in range(1000)):
            check = ric.calc_check_digit(body + sequence + "0")
            if not known_tail or check == known_tail[3]:
                candidates.append(body + sequence + check)
    if len(candidates) == 1:  # no key needed
        return Found(1, candidates[0])
    target = facts.get("id_number_hash")
    if identity_key and target and len(candidates) <= BUDGET:
        secret = identity_key.encode()
        for number in candidates:
            if hmac.new(secret, number.encode(), hashlib.sha256).hexdigest() == target:
                return Found(len(candidates), number)
    return Found(len(candidates), None)


def linked(documents: list[Any]) -> dict[str, dict[str, Any]]:
    """Every field published beside each person id, merged across every document; and a
    household's fields (a notice's, by file number) given to its head."""
    people: dict[str, dict[str, Any]] = {}
    households: dict[str, dict[str, Any]] = {}
    heads: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("person_id"), str):
                facts = people.setdefault(node["person_id"], {})
                facts.update({k: v for k, v in node.items() if not isinstance(v, dict | list)})
            if isinstance(node.get("file_number"), str):
                facts = households.setdefault(node["file_number"], {})
                facts.update({k: v for k, v in node.items() if not isinstance(v, dict | list)})
                for m in node.get("members") or []:
                    if isinstance(m, dict) and m.get("relation") == "head":
                        heads[node["file_number"]] = m["person_id"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for document in documents:
        walk(document)
    for file_number, head in heads.items():
        for key, value in households[file_number].items():
            if "id_number" in key or "birth" in key:
                people[head].setdefault(key, value)
    return people


def test_the_attack_recovers_the_number_from_the_old_publication() -> None:
    """The positive control: what a v2 event and the old answers showed of a person."""
    number = resident_id(date(1985, 5, 17), region=COUNTY)
    key = "a-service-identity-key"
    old = {
        "person_id": "p1",
        "birth_date": "1985-05-17",
        "id_number_masked": number[:4] + "*" * 10 + number[-4:],
        "id_number_hash": hmac.new(key.encode(), number.encode(), hashlib.sha256).hexdigest(),
    }
    assert attack(old, COUNTY, None) == Found(1, number)  # no key needed
    born_elsewhere = attack(old, "620102", None)  # a wrong county guess: nothing found …
    assert born_elsewhere.number is None
    # … but the birth year alone beside the mask, with the key, still settles it.
    year_only = {k: v for k, v in old.items() if k != "birth_date"} | {"birth_year": 1985}
    assert attack(year_only, COUNTY, key).number == number


@pytest.fixture
def settings(make_settings, people_key: str) -> RegistrySettings:
    return make_settings(people_key=people_key, identity_key="the-identity-key-three-services-hold")


async def test_what_the_registry_publishes_does_not_give_the_number_back(settings) -> None:
    births = [date(1985, 5, 17), date(1987, 11, 3), date(2008, 9, 1)]
    numbers = [
        resident_id(births[0], region=COUNTY),
        resident_id(births[1], male=False, region=COUNTY),
        resident_id(births[2], region=COUNTY),
    ]
    newborn_birth = date(2016, 12, 24)
    newborn = resident_id(newborn_birth, male=False, region=COUNTY)
    names = ["王建国", "李秀英", "王小明"]
    body = filing(
        "620121-0001",
        village=VILLAGE,
        members=[
            member("head", name=names[0], id_number=numbers[0]),
            member("spouse", name=names[1], id_number=numbers[1], health="chronic_illness"),
            member("child", name=names[2], id_number=numbers[2], schooling="primary"),
        ],
    )
    application = app(settings)
    async with client_for(application) as client:
        answers = [await client.post("/v1/households", json=body)]
        assert answers[0].status_code == 201, answers[0].text
        household = answers[0].json()
        hid = household["household_id"]
        spouse = next(m["person_id"] for m in household["members"] if m["relation"] == "spouse")
        joining = {
            "member": member("child", name="王小红", id_number=newborn),
            "effective_date": "2017-01-05",
            "reason": "出生",
        }
        answers.append(await client.post(f"/v1/households/{hid}/members", json=joining))
        change = {"effective_date": "2017-03-01", "health": "serious_illness"}
        answers.append(
            await client.post(f"/v1/households/{hid}/members/{spouse}/changes", json=change)
        )
        for url in (
            f"/v1/households/{hid}",
            f"/v1/households/{hid}?known_at=2030-01-01T00:00:00Z",
            f"/v1/households/{hid}/history",
            f"/v1/households?region={COUNTY}",
            f"/v1/villages/{VILLAGE}/public-notice",
            f"/v1/summary?region={COUNTY}",
            "/v1/events",
        ):
            answers.append(await client.get(url))
        assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers]
        runtime = application.state.runtime
        async with runtime.engine.connect() as conn:
            recorded = await runtime.store.read_all(conn, 0, 1000)
        # The topic's records, byte for byte as the relay produces them.
        records = [e.envelope(runtime.store.source).to_json() for e in recorded]

    published = [a.text for a in answers] + [r.decode() for r in records]
    everyone = list(zip([*numbers, newborn], [*births, newborn_birth], strict=True))
    for number, birth in everyone:
        for text in published:
            assert number not in text
            assert birth.isoformat() not in text and f"{birth:%Y%m%d}" not in text  # no birth date
            assert not re.search(rf"\*{{4,}}{number[-4:]}", text)  # no mask of anyone filed
    topic = [r.decode() for r in records]
    assert not any(name in text for name in names for text in topic)  # the topic names no one

    people = linked([json.loads(text) for text in published])
    hashes = IdentityKeys(settings.identity_key.get_secret_value())
    for number, _ in everyone:
        [facts] = [
            f for f in people.values() if f.get("id_number_hash") == hashes.resident(number).hash
        ]
        without_key = attack(facts, COUNTY, None)
        with_key = attack(facts, COUNTY, settings.identity_key.get_secret_value())
        assert without_key.number is None and with_key.number is None, facts
        # Birth year and month are published (age rules need them): a month of days, a
        # thousand sequences each — beyond "a few HMAC trials", not beyond a key holder.
        assert with_key.candidates >= 28 * 1000
