"""A registry world for training's integration tests: households with real-looking members
(valid resident ID numbers, hashed with the service's identity key), published as the
registry publishes them, and a running training service over the given database and broker."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import count
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from tuopin_contracts import Envelope, EventData, Topic
from tuopin_contracts.events import registry as reg
from tuopin_contracts.examples import filed_v2
from tuopin_contracts.topics import Inbound
from tuopin_contracts.vocabulary import HouseholdStatus, PovertyCause
from tuopin_eventkit import testing
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.security.auth import Principal, Role
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.security.tokens import AuthSettings
from tuopin_eventkit.testing import (
    bearer,
    client_for,
    envelope,
    eventually,
    members_of,
    publish,
)
from tuopin_training.config import TrainingSettings
from tuopin_training.entrypoints.app import app

KEYS = IdentityKeys(TrainingSettings.model_fields["identity_key"].default.get_secret_value())
_serial = count(1)


def resident_id(birth: date, region: str = "620121") -> str:
    return testing.resident_id(birth, next(_serial) % 999 + 1, region)


@dataclass
class Home:
    """A registered household: its members' ID numbers by birth date, and its events."""

    village: str
    births: list[date]
    id: UUID = field(default_factory=uuid4)
    numbers: list[str] = field(default_factory=list)
    person_ids: list[UUID] = field(default_factory=list)
    events: list[Envelope] = field(default_factory=list)
    status: str = "identified"
    gone: set[int] = field(default_factory=set)  # members who left

    def __post_init__(self) -> None:
        self.numbers = [resident_id(b) for b in self.births]
        self.person_ids = [uuid4() for _ in self.births]
        members = members_of(KEYS, self.numbers, self.person_ids)
        self._add(filed_v2(self.id, self.village, members, cause=PovertyCause.LACK_OF_TECHNOLOGY))

    def _add(self, data: EventData) -> None:
        self.events.append(envelope(data, self.id, len(self.events) + 1))

    def remove(self) -> "Home":
        removal = reg.HouseholdRemovedV1(
            household_id=self.id,
            effective_date=date(2016, 6, 1),
            status=HouseholdStatus.REMOVED,
            reason="识别不准",
        )
        self._add(removal)
        self.status = "removed"
        return self

    def leaves(self, index: int) -> "Home":
        self._add(
            reg.MemberRemovedV1(
                household_id=self.id,
                effective_date=date(2016, 9, 1),
                person_id=self.person_ids[index],
            )
        )
        self.gone.add(index)
        return self


COOK = "4-03-02-01"


def centre_token(centre_id: str) -> str:
    """The centre's service-account token (embedded mode signs with the local key)."""
    who = Principal(f"centre-{centre_id}", Role.TRAINING_CENTRE, org=centre_id)
    return bearer(AuthSettings(), who)["Authorization"]


@dataclass
class Office:
    """The office (the client's caller, the province) and a centre, driven over HTTP; the
    centre posts with its own token."""

    client: httpx.AsyncClient
    centre_id: str = ""
    programme_id: str = ""

    async def setup(self, capacity: int = 30) -> "Office":
        answer = await self.client.post(
            "/v1/centres",
            json={
                "name": "定西市安定区职业技术学校",
                "county_code": "621121",
                "valid_from": "2016-01-01",
                "valid_until": "2020-12-31",
                "occupations": [
                    {"occupation": COOK, "occupation_name": "中式烹调师", "highest_level": 3}
                ],
            },
        )
        assert answer.status_code == 201, answer.text
        self.centre_id = answer.json()["centre_id"]
        answer = await self.client.post(
            "/v1/programmes",
            json={
                "centre_id": self.centre_id,
                "title": "兰州牛肉拉面技能培训",
                "kind": "labour_brand",
                "labour_brand": "lanzhou_beef_noodles",
                "occupation": COOK,
                "level": 4,
                "capacity": capacity,
                "starts_on": "2016-05-01",
                "ends_on": "2016-07-31",
            },
        )
        assert answer.status_code == 201, answer.text
        self.programme_id = answer.json()["programme_id"]
        return self

    def enrolment(self, ref: str, number: str, on: str = "2016-05-01") -> dict[str, Any]:
        return {
            "kind": "enrolment",
            "centre_id": self.centre_id,
            "enrolment_ref": ref,
            "programme_id": self.programme_id,
            "id_number": number,
            "enrolled_on": on,
        }

    async def post(
        self, body: dict[str, Any], key: str, token: str | None = None
    ) -> httpx.Response:
        """Post as the centre (``token``: as another caller; "" for none)."""
        token = centre_token(self.centre_id) if token is None else token
        headers = {"Idempotency-Key": key, "Authorization": token}
        return await self.client.post("/v1/centre-postings", json=body, headers=headers)

    async def certify(self, number: str, certificate: str, level: int = 5) -> httpx.Response:
        """A passed appraisal (鉴定) and a certificate on it, as two postings."""
        ref = f"A-{certificate}"
        appraisal = {
            "kind": "appraisal",
            "centre_id": self.centre_id,
            "appraisal_ref": ref,
            "id_number": number,
            "occupation": COOK,
            "level": level,
            "appraised_on": "2016-06-01",
            "passed": True,
        }
        assert (await self.post(appraisal, ref)).status_code == 201
        return await self.post(self.certificate(number, certificate, ref, level), certificate)

    def certificate(
        self,
        number: str,
        certificate: str,
        basis_ref: str,
        level: int = 5,
        basis: str = "appraisal",
    ) -> dict[str, Any]:
        return {
            "kind": "certificate",
            "centre_id": self.centre_id,
            "number": certificate,
            "id_number": number,
            "occupation": COOK,
            "level": level,
            "issued_on": "2016-06-10",
            "basis": basis,
            "basis_ref": basis_ref,
        }


@pytest.fixture
def service(database_url, kafka_settings):
    """Start training after the registry's events are on the topic; wait until it knows them."""

    @asynccontextmanager
    async def start(homes: list[Home]) -> AsyncIterator[httpx.AsyncClient]:
        await ensure_topics(
            kafka_settings, [Topic.REGISTRY, Topic.TRAINING, Inbound.CENTRE_POSTINGS]
        )
        await publish(kafka_settings, Topic.REGISTRY, *[e for h in homes for e in h.events])
        settings = TrainingSettings(database_url=database_url, kafka=kafka_settings)
        async with client_for(app(settings)) as client:

            async def arrived() -> None:
                for home in homes:
                    answer = await client.get(f"/v1/households/{home.id}")
                    assert answer.status_code == 200, answer.text
                    known = answer.json()
                    assert known["status"] == home.status
                    assert known["members"] == len(home.births) - len(home.gone)

            await eventually(arrived)
            yield client

    return start


@pytest.fixture
def kit() -> Any:
    """The helpers above, for the tests (conftest modules are not imported by name)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        Home=Home, Office=Office, resident_id=resident_id, keys=KEYS, centre_token=centre_token
    )
