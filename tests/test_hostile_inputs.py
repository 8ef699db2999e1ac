"""Hostile input is refused at the door (issue 12, input bounds): never a 5xx, never half a
write. Every service runs as deployed in miniature (lifespan, relay, consumers) on a fresh
database — SQLite, and PostgreSQL as well when ``TUOPIN_TEST_POSTGRES_URL`` is set — with a
small world seeded first (households arrived from the registry, a village, loans at each
stage, a centre with its programme and records, an assessment), so that requests reach the
command handlers and their aggregates rather than stopping at a 404.

- Regression tests: the values observed to answer 500 (``rural_population: 1e30``,
  ``cooperatives: 1e20``, ``signed_on: 9999-12-31`` overflowing into the year 10002,
  ``withdrawn_on: 0001-01-01``, a NUL byte in a name or a reason on PostgreSQL) answer a 422
  problem and write nothing, over HTTP and through the partners' inbound topic; the
  extremes the bounds allow (a loan signed on 2100-12-31, 10^12 fen of income) are taken.
- A property test over every command route (POST, PUT, PATCH) of the four services; a route
  without an example request in its world fails it, so none is left out. Each route runs
  its example requests with each value in turn at and just past its bounds as the OpenAPI
  document states them, and with the hostile values of its type (1e30, NaN, far dates, NUL
  bytes, lone surrogates; Hypothesis' explicit examples), then ``TUOPIN_PROPERTY_EXAMPLES``
  (default 12) generated requests per example request: from the route's OpenAPI schema by
  schemathesis (valid and invalid) aimed at the seeded aggregate, or the example with one
  or two values replaced by boundary, hostile, random or wrongly typed ones. Derandomized:
  every run tries the same requests. Every answer must be below 500, and a 4xx must leave
  the event store's head where it was and say its refusal in Chinese (issue 17: the
  requests prefer zh-CN; a detail or listed message left in English fails the route).
"""

import asyncio
import copy
import csv
import io
import json
import math
import os
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from urllib.parse import quote
from uuid import UUID, uuid4

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from tuopin_contracts import Envelope, Topic
from tuopin_contracts.examples import exited, filed_v2, wage_income
from tuopin_contracts.topics import Inbound
from tuopin_contracts.vocabulary import PovertyCause
from tuopin_eventkit.chinese import has_chinese
from tuopin_eventkit.messaging.kafka import KafkaSettings, ensure_topics
from tuopin_eventkit.security.auth import Principal, Role
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.settings import ServiceSettings
from tuopin_eventkit.testing import (
    ADMIN,
    bearer,
    client_for,
    envelope,
    eventually,
    members_of,
    publish,
    read_topic,
)
from tuopin_eventkit.web.runtime import ServiceSpec
from tuopin_eventkit.web.service import create_app
from tuopin_registry.examples import filing, member, resident_id
from tuopin_training.examples import grant

SERVICES = ["registry", "loans", "training", "evaluation"]
COMMANDS = {"post", "put", "patch"}
EXAMPLES = int(os.environ.get("TUOPIN_PROPERTY_EXAMPLES", "12"))
KEYS = IdentityKeys(ServiceSettings.model_fields["identity_key"].default.get_secret_value())
COUNTY, VILLAGE = "621121", "621121100201"
BANK, COOK = "gansu-rcc", "4-03-02-01"
EVALUATOR = Principal("test-evaluator", Role.EVALUATOR, counties=frozenset({COUNTY}))


def spec_of(service: str) -> ServiceSpec:
    module = __import__(f"tuopin_{service}.entrypoints.app", fromlist=["spec"])
    spec: ServiceSpec = module.spec
    return spec


# --- requests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One call: the route's template, its path and query values, a JSON body (or a CSV
    upload for the registry's import) and the caller."""

    method: str
    route: str
    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    who: Principal = ADMIN
    upload: str | None = None  # CSV text, sent as the multipart field "file"
    # Body fields that name the caller's own organisation (a bank's bank_id, a centre's
    # centre_id): kept as they are, or the request stops at a 403 before any handler.
    pinned: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.method.upper()} {self.route}"

    def url(self) -> str:
        return self.route.format(**{k: quote(v, safe="") for k, v in self.path.items()})


def bank() -> Principal:
    return Principal(BANK, Role.BANK, org=BANK)


def centre(centre_id: str) -> Principal:
    return Principal(f"centre-{centre_id}", Role.TRAINING_CENTRE, org=centre_id)


@dataclass
class World:
    """A running service, its client and a valid example request for each command route."""

    service: str
    client: httpx.AsyncClient
    auth: Any
    seeds: dict[str, list[Request]] = field(default_factory=dict)

    def seed(self, request: Request) -> None:
        self.seeds.setdefault(request.key, []).append(request)

    async def send(self, request: Request) -> httpx.Response:
        headers = {
            "Idempotency-Key": f"prop-{uuid4()}",
            "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",  # a refusal's words: said in Chinese
            **bearer(self.auth, request.who),
        }
        query = {k: v for k, v in request.query.items() if v is not None}
        if request.upload is not None:
            files = {"file": ("export.csv", request.upload.encode("utf-8", "surrogatepass"))}
            return await self.client.request(
                request.method, request.url(), params=query, files=files, headers=headers
            )
        content = None
        if request.body is not None:
            # NaN and Infinity as JavaScript writes them; lone surrogates as \ud800 escapes.
            content = json.dumps(request.body, allow_nan=True).encode()
            headers["Content-Type"] = "application/json"
        return await self.client.request(
            request.method, request.url(), params=query, content=content, headers=headers
        )

    async def ok(self, request: Request) -> dict[str, Any]:
        """Send a request of the world's setup, which must succeed; its answer."""
        answer = await self.send(request)
        assert answer.status_code < 300, f"{request.key}: {answer.status_code} {answer.text}"
        body: dict[str, Any] = answer.json()
        return body

    async def head(self) -> int:
        answer = await self.client.get("/v1/events", params={"limit": 1})
        assert answer.status_code == 200, answer.text
        return int(answer.json()["head"])


def born(year: int, serial: int) -> str:
    """A valid resident ID number of someone born on 1 March of ``year`` (榆中县)."""
    body = f"620121{year}0301{serial % 999 + 1:03d}"
    return body + ric.calc_check_digit(body + "0")


@dataclass
class Household:
    """A household as the registry publishes it: members' ID numbers known to the test."""

    village: str
    numbers: list[str]
    id: UUID = field(default_factory=uuid4)

    def events(self) -> list[Envelope]:
        members = members_of(KEYS, self.numbers)
        filed = filed_v2(self.id, self.village, members, cause=PovertyCause.LACK_OF_FUNDS)
        return [envelope(filed, self.id, 1)]


# --- the worlds ----------------------------------------------------------------------------


@asynccontextmanager
async def running(
    service: str, database_url: str, kafka: KafkaSettings, homes: Sequence[Household] = ()
) -> AsyncIterator[World]:
    """The service on its database, after the registry's events for ``homes`` arrived."""
    await ensure_topics(kafka, [*Topic, *Inbound])
    if homes:
        await publish(kafka, Topic.REGISTRY, *(e for h in homes for e in h.events()))
    spec = spec_of(service)
    config = spec.settings(
        database_url=database_url,
        kafka=kafka,
        log_level="WARNING",
        public_rate_limit="100000/minute",
    )
    app = create_app(spec, config)
    async with client_for(app) as client:
        yield World(service, client, config.auth)


async def registry_world(w: World) -> World:
    """A village with a measure; three households: one for its facts and ledger (a need, a
    measure, a member who left), one for the exit path, one to remove."""
    village = {
        "village_code": VILLAGE,
        "name": "石门村",
        "poor": True,
        "rural_population": 1200,
        "effective_date": "2016-01-01",
        "reason": "建档",
    }
    await w.ok(Request("post", "/v1/villages", body=village))
    homes = []
    for n in range(3):
        members = [
            member(id_number=resident_id()),
            member("spouse", name="李秀英", id_number=resident_id(male=False)),
            member("child", name="王小明", id_number=resident_id(date(2008, 9, 1))),
        ]
        filed = filing(f"621121-S{n}", members=members)
        homes.append(await w.ok(Request("post", "/v1/households", body=filed)))
    h, life, gone = (home["household_id"] for home in homes)
    head, spouse, child = (m["person_id"] for m in homes[0]["members"])

    def household(route: str, body: Any, at: str = h, **path: str) -> Request:
        return Request(
            "post",
            "/v1/households/{household_id}/" + route,
            {"household_id": at, **path},
            body=body,
        )

    def village_(route: str, body: Any, **path: str) -> Request:
        return Request(
            "post",
            "/v1/villages/{village_code}/" + route,
            {"village_code": VILLAGE, **path},
            body=body,
        )

    need = {"effective_date": "2016-05-01", "kind": "housing", "description": "危房改造"}
    need_id = (await w.ok(household("needs", need)))["needs"][0]["need_id"]
    plan = {
        "effective_date": "2016-05-02",
        "kind": "housing",
        "plan": "改造",
        "funds": 2_000_000,
        "due_date": "2016-12-31",
        "need_id": need_id,
    }
    measure = (await w.ok(household("measures", plan)))["measures"][0]["measure_id"]
    left = {"effective_date": "2016-06-01", "reason": "分户"}
    await w.ok(household("members/{item_id}/removal", left, item_id=child))
    v_plan = {**plan, "need_id": None}
    v_measure = (await w.ok(village_("measures", v_plan)))["measures"][0]["measure_id"]

    # Every optional field given, so that each is tried at its bounds.
    dated = {"effective_date": "2016-06-01", "reason": "入户核实"}
    about = {
        "education": "junior_secondary",
        "schooling": "not_in_school",
        "health": "healthy",
        "disabled": False,
        "labour_ability": "full",
        "medical_insurance": True,
        "pension_insurance": True,
    }
    adult = member(
        id_number=resident_id(date(1985, 5, 17)), sex="male", birth_date="1985-05-17", **about
    )
    baby = member(
        "child",
        name="王小红",
        id_number=resident_id(date(2016, 5, 1), male=False),
        sex="female",
        birth_date="2016-05-01",
        **about,
    )
    income = {
        **dated,
        "year": 2016,
        "wages": 600_000,
        "production_and_business": 200_000,
        "property": 0,
        "transfers": 100_000,
    }
    await w.ok(household("incomes", income))  # so that its correction reaches the rules
    progress = {
        **dated,
        "progress_percent": 50,
        "spent": 1_000_000,
        "note": "主体完工",
        "completed": False,
    }
    for request in [
        Request("post", "/v1/villages", body={**village, "village_code": "621121100202"}),
        Request("post", "/v1/households", body=filing("621121-S9", members=[adult])),
        household("members", {**dated, "member": baby}),
        household("members/{item_id}/removal", dated, item_id=spouse),
        household("members/{item_id}/changes", {**dated, **about}, item_id=head),
        household(
            "causes", {**dated, "primary_cause": "illness", "secondary_causes": ["disaster"]}
        ),
        household("incomes", income),
        household("income-corrections", {**income, "reason": "银行流水核实"}),
        household(
            "members/{item_id}/identity-correction",
            {"id_number": resident_id(date(1985, 5, 18)), **dated},
            item_id=head,
        ),
        household("conditions", {**dated, "housing_safe": True, "drinking_water_safe": True}),
        household("needs", need),
        household("measures", plan),
        household("measures/{item_id}/progress", progress, item_id=measure),
        household("responsibility", {**dated, "cadre_name": "张伟", "cadre_unit": "县财政局"}),
        household("relocation", {**dated, "relocating": True, "resettlement_site": "新村"}),
        household("cooperative", {**dated, "cooperative": "种养合作社"}),
        household("assistance", dated, at=life),
        household(
            "exit-proposal", {"appraisal_date": "2017-10-01", "reason": "民主评议通过"}, at=life
        ),
        household(
            "exit-notice",
            {"notice_from": "2017-10-02", "notice_until": "2017-10-09", "reason": "公示"},
            at=life,
        ),
        household("return-to-poverty", {**dated, "cause": "disaster"}, at=life),
        household("exit-annulment", {"reason": "验收时错记"}, at=life),
        household("removal", {"effective_date": "2016-06-01", "reason": "识别不准"}, at=gone),
        Request(
            "post",
            "/v1/people/{person_id}/erasure",
            {"person_id": child},
            body={"effective_date": "2016-07-01", "reason": "申请 2016-001"},
        ),
        village_(
            "responsibility",
            {
                **dated,
                "first_secretary": "刘洋",
                "work_team": ["刘洋", "陈静"],
                "responsible_unit": "省财政厅",
            },
        ),
        village_(
            "profile",
            {
                **dated,
                "poor": True,
                "rural_population": 1200,
                "cooperatives": 2,
                "mutual_aid_fund": 50_000_000,
            },
        ),
        village_(
            "conditions",
            {
                **dated,
                "source": "通渭县扶贫办 验收表 2016-12",
                "road_access": True,
                "collective_income": 3_000_000,
                "dangerous_houses": 12,
                "dangerous_houses_renovated": 12,
            },
        ),
        village_("needs", need),
        village_("measures", v_plan),
        village_("measures/{item_id}/progress", progress, item_id=v_measure),
        Request("post", "/v1/imports", upload=import_csv()),
    ]:
        w.seed(request)
    return w


def import_csv() -> str:
    """A 建档立卡 export of one household, as offices upload it (English headers)."""
    from tuopin_registry.application import bulk

    household = {
        "file_number": "621121-I1",
        "county_code": COUNTY,
        "village_code": VILLAGE,
        "poverty_attribute": "一般贫困户",
        "primary_cause": "因病",
        "identified_year": "2016",
        "effective_date": "2016-04-01",
    }
    people = [
        {"name": "赵刚", "id_number": resident_id(), "relation": "户主", "birth_date": ""},
        {"name": "钱芳", "id_number": resident_id(male=False), "relation": "配偶"},
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, list(bulk.COLUMNS))
    writer.writeheader()
    writer.writerows({**household, **p} for p in people)
    return out.getvalue()


async def loans_world(w: World, home: Household) -> World:
    """A county quota and risk fund; loans L-1 approved, L-2 disbursed, L-3 defaulted; a
    village mutual-aid fund with a loan; a quarter's subsidy statements issued."""

    def posting(kind: str, ref: str, **fields: Any) -> Request:
        body = {"kind": kind, "bank_id": BANK, "loan_ref": ref, **fields}
        return Request("post", "/v1/bank-postings", body=body, who=bank(), pinned=("bank_id",))

    def approved(ref: str) -> Request:
        return posting(
            "approved",
            ref,
            product="microcredit",
            household_id=str(home.id),
            borrower_id_number=home.numbers[0],
            amount=1_000_000,
            term_months=36,
            decided_on="2016-05-03",
        )

    def mutual_aid(route: str, body: Any, **path: str) -> Request:
        return Request(
            "post",
            "/v1/villages/{village_code}/mutual-aid/" + route,
            {"village_code": home.village, **path},
            body=body,
        )

    signed = {"amount": 1_000_000, "term_months": 36, "signed_on": "2016-05-04"}
    quota = Request(
        "put",
        "/v1/programme/quotas/{county_code}",
        {"county_code": COUNTY},
        body={"amount": 100_000_000, "allocated_on": "2016-04-01"},
    )
    fund = Request(
        "post",
        "/v1/funds/{fund_id}/contributions",
        {"fund_id": f"county-{COUNTY}"},
        body={"contributor": "finance", "amount": 10_000_000, "received_on": "2016-04-01"},
    )
    await w.ok(quota)
    await w.ok(fund)
    for ref, steps in [("L-1", 0), ("L-2", 2), ("L-3", 3)]:
        await w.ok(approved(ref))
        if steps >= 2:
            await w.ok(posting("signed", ref, **signed))
            await w.ok(posting("disbursed", ref, amount=1_000_000, disbursed_on="2016-05-05"))
        if steps >= 3:
            await w.ok(posting("defaulted", ref, defaulted_on="2017-06-01"))
    capital = {"source": "finance", "amount": 50_000_000, "received_on": "2016-04-01"}
    await w.ok(mutual_aid("contributions", capital))
    lend = {
        "household_id": str(home.id),
        "amount": 500_000,
        "term_months": 12,
        "lent_on": "2016-05-01",
    }
    lent = (await w.ok(mutual_aid("loans", lend)))["loan_id"]
    statements = Request(
        "post",
        "/v1/subsidy/{quarter}/statements",
        {"quarter": "2016Q2"},
        body={"issued_on": "2016-07-10"},
    )
    statement = (await w.ok(statements))["statements"][0]["statement_id"]

    for request in [
        quota,
        fund,
        approved("L-9"),
        posting(
            "rejected",
            "R-1",
            product="microcredit",
            household_id=str(home.id),
            reason="信用记录不良",
            decided_on="2016-05-03",
        ),
        posting("signed", "L-1", **signed),
        posting("disbursed", "L-2", amount=1, disbursed_on="2016-05-06"),
        posting("repaid", "L-2", principal=100_000, interest=3_000, received_on="2016-08-20"),
        posting("overdue", "L-2", days_past_due=30, as_of="2016-09-20"),
        posting("defaulted", "L-2", defaulted_on="2017-06-01"),
        posting("written_off", "L-3", written_off_on="2018-06-01"),
        posting("claim", "L-3", lodged_on="2017-07-01"),
        posting("repaid", "L-3", principal=10_000, interest=0, received_on="2017-08-01"),
        posting(
            "premium",
            "L-2",
            insurance="guarantee",
            premium=10_000,
            subsidy=5_000,
            paid_on="2016-05-06",
        ),
        replace(statements, path={"quarter": "2016Q3"}, body={"issued_on": "2016-10-10"}),
        Request(
            "post",
            "/v1/subsidy/statements/{statement_id}/payment",
            {"statement_id": statement},
            body={"paid_on": "2016-07-20"},
        ),
        mutual_aid("contributions", {**capital, "source": "donation", "amount": 100_000}),
        mutual_aid("loans", {**lend, "amount": 100_000, "term_months": 6}),
        mutual_aid(
            "loans/{loan_id}/repayments",
            {"principal": 100_000, "received_on": "2016-09-01"},
            loan_id=lent,
        ),
    ]:
        w.seed(request)
    return w


async def training_world(w: World, home: Household) -> World:
    """Centre C with a programme, an enrolment (E-0), a passed appraisal (A-0) and a
    certificate (C-0); centre C2 to withdraw."""
    terms = {
        "name": "定西市安定区职业技术学校",
        "county_code": COUNTY,
        "valid_from": "2016-01-01",
        "valid_until": "2020-12-31",
        "occupations": [{"occupation": COOK, "occupation_name": "中式烹调师", "highest_level": 3}],
    }
    c = (await w.ok(Request("post", "/v1/centres", body=terms)))["centre_id"]
    other = {**terms, "name": "第二学校"}
    c2 = (await w.ok(Request("post", "/v1/centres", body=other)))["centre_id"]
    opening = {
        "centre_id": c,
        "title": "兰州牛肉拉面技能培训",
        "kind": "labour_brand",
        "labour_brand": "lanzhou_beef_noodles",
        "occupation": COOK,
        "level": 4,
        "capacity": 30,
        "starts_on": "2016-05-01",
        "ends_on": "2016-07-31",
        "free_for_poor_labour": True,
        "fee_fen": 150_000,
    }
    p = (await w.ok(Request("post", "/v1/programmes", body=opening)))["programme_id"]

    def posting(kind: str, **fields: Any) -> Request:
        body = {"kind": kind, "centre_id": c, **fields}
        return Request(
            "post", "/v1/centre-postings", body=body, who=centre(c), pinned=("centre_id",)
        )

    one, two = home.numbers
    enrol = {"programme_id": p, "enrolled_on": "2016-05-01"}
    appraisal = {"occupation": COOK, "level": 5, "appraised_on": "2016-06-01", "passed": True}
    certificate = {
        "occupation": COOK,
        "level": 5,
        "issued_on": "2016-06-10",
        "basis": "appraisal",
        "basis_ref": "A-0",
    }
    await w.ok(posting("enrolment", enrolment_ref="E-0", id_number=two, **enrol))
    await w.ok(posting("appraisal", appraisal_ref="A-0", id_number=two, **appraisal))
    await w.ok(posting("certificate", number="C-0", id_number=two, **certificate))

    for request in [
        Request("post", "/v1/centres", body=terms),
        Request("post", "/v1/centres/{centre_id}/accreditations", {"centre_id": c}, body=terms),
        Request(
            "post",
            "/v1/centres/{centre_id}/withdrawal",
            {"centre_id": c2},
            body={"withdrawn_on": "2017-01-01", "reason": "违规发证"},
        ),
        Request("post", "/v1/programmes", body=opening),
        posting("enrolment", enrolment_ref="E-1", id_number=one, **enrol),
        posting(
            "attendance",
            enrolment_ref="E-0",
            period_from="2016-05-01",
            period_to="2016-05-31",
            sessions_held=20,
            sessions_attended=18,
        ),
        posting("completion", enrolment_ref="E-0", completed_on="2016-07-31"),
        posting(
            "drop_out",
            enrolment_ref="E-0",
            left_on="2016-06-15",
            reason="employed",
            note="外出务工",
        ),
        posting("appraisal", appraisal_ref="A-1", id_number=one, **appraisal),
        posting("certificate", number="C-1", id_number=two, **certificate),
        posting(
            "certificate",
            number="C-2",
            id_number=two,
            **certificate,
            valid_until="2019-06-09",
            basis_centre_id=c,
        ),
        posting("revocation", number="C-0", revoked_on="2017-01-01", reason="冒名顶替"),
        posting(
            "academic_certificate",
            number="X-1",
            id_number=two,
            school="定西职校",
            speciality="烹饪",
            education="secondary_vocational",
            graduated_on="2017-07-01",
        ),
        posting(
            "placement",
            placement_ref="P-1",
            id_number=two,
            employer="兰州拉面馆",
            place="上海",
            outside_province=True,
            start_date="2016-08-01",
            months_worked=3,
            enrolment_ref="E-0",
        ),
        # Seed 四.9(1): the county records a 中职 student's 2,000-yuan grant for a year.
        Request("post", "/v1/education-assistance", body=grant(COUNTY, two, school="定西职校")),
    ]:
        w.seed(request)
    return w


async def evaluation_world(w: World, kafka: KafkaSettings, home: Household) -> World:
    """An assessment of the county drawn over two households, one finding recorded; a
    household exited in 2017 and fallen below the line in 2018, its return warning open."""
    fallen = [
        exited(home.id, date(2017, 12, 1)),
        wage_income(home.id, 2018, 100_000, 2),
    ]
    await publish(
        kafka, Topic.REGISTRY, *(envelope(f, home.id, n) for n, f in enumerate(fallen, 2))
    )

    async def warned() -> str:
        items = (await w.client.get("/v1/return-warnings")).json()["items"]
        assert len(items) == 1, items
        return str(items[0]["warning_id"])

    warning = {"warning_id": await eventually(warned)}
    draw = {
        "county_code": COUNTY,
        "year": 2017,
        "assessor": "兰州大学第三方评估组",
        "sample_size": 2,
        "seed": 7,
    }
    drawn = await w.ok(Request("post", "/v1/assessments", body=draw, who=EVALUATOR))
    at = {"assessment_id": drawn["assessment_id"]}
    view = (await w.client.get("/v1/assessments/{assessment_id}".format(**at))).json()
    first, second = (h["household_id"] for h in view["households"])
    finding = {"household_id": first, "people": 2, "approves": True, "wrongly_exited": False}
    on = "/v1/assessments/{assessment_id}/"
    await w.ok(Request("post", on + "findings", at, body=finding, who=EVALUATOR))
    for request in [
        Request("post", "/v1/assessments", body=draw, who=EVALUATOR, pinned=("county_code",)),
        Request(
            "post", on + "findings", at, body={**finding, "household_id": second}, who=EVALUATOR
        ),
        Request(
            "post",
            on + "survey",
            at,
            body={"people_surveyed": 40, "missed_poor_people": 1},
            who=EVALUATOR,
        ),
        Request("post", on + "publication", at),
        Request(
            "post",
            "/v1/counties/{county}/delisting",
            {"county": COUNTY},
            query={"as_of": "2017-12-31"},
        ),
        Request(
            "post",
            "/v1/return-warnings/{warning_id}/acknowledgement",
            warning,
            body={
                "acknowledged_on": "2019-01-05",
                "cadre_name": "王明",
                "cadre_unit": "县扶贫办",
                "measures": ["临时救助"],
            },
        ),
        Request(
            "post",
            "/v1/return-warnings/{warning_id}/closure",
            warning,
            body={"closed_on": "2019-03-01", "reason": "收入回升"},
        ),
        # The dashboard's development sign-in (embedded mode): it mints, it writes nothing.
        Request("post", "/signin/development", body={"role": "county_officer", "region": COUNTY}),
    ]:
        w.seed(request)
    return w


@asynccontextmanager
async def world_of(service: str, database_url: str, kafka: KafkaSettings) -> AsyncIterator[World]:
    """The service with its world seeded and every seed's path ready."""
    homes = [Household(VILLAGE, [born(1980, i * 3), born(1995, i * 3 + 1)]) for i in range(3)]
    consumes = service != "registry"
    async with running(service, database_url, kafka, homes if consumes else []) as w:
        if consumes:
            await eventually(lambda: arrived(w, homes))
        match service:
            case "registry":
                yield await registry_world(w)
            case "loans":
                yield await loans_world(w, homes[0])
            case "training":
                yield await training_world(w, homes[0])
            case "evaluation":
                yield await evaluation_world(w, kafka, homes[0])


async def arrived(w: World, homes: list[Household]) -> None:
    """The registry's households reached the service's read model."""
    for home in homes:
        match w.service:
            case "loans":
                answer = await w.client.get(
                    f"/v1/borrowers/{home.id}/eligibility", params={"as_of": "2016-05-03"}
                )
                assert answer.json().get("status") == "identified", answer.text
            case "training":
                answer = await w.client.get(f"/v1/households/{home.id}")
                assert answer.status_code == 200, answer.text
            case "evaluation":
                stats = (await w.client.get("/v1/stats")).json()
                assert stats["total_households"] == len(homes), stats


# --- regression: the values observed to answer 500 -----------------------------------------


async def refused(w: World, request: Request, status: int = 422) -> dict[str, Any]:
    """The request is answered ``status`` with a problem body, and writes nothing."""
    before = await w.head()
    answer = await w.send(request)
    assert answer.status_code == status, f"{request.key}: {answer.status_code} {answer.text}"
    assert answer.headers["content-type"] == "application/problem+json"
    assert await w.head() == before
    problem: dict[str, Any] = answer.json()
    return problem


def changed(request: Request, /, **values: Any) -> Request:
    """The seed with body values replaced (``a__b`` reaches into ``body["a"]["b"]``)."""
    body = copy.deepcopy(request.body)
    for name, value in values.items():
        *outer, last = name.split("__")
        target = body
        for part in outer:
            target = target[int(part) if isinstance(target, list) else part]
        target[int(last) if isinstance(target, list) else last] = value
    return replace(request, body=body)


def only(w: World, key: str, kind: str | None = None) -> Request:
    seeds = [s for s in w.seeds[key] if kind is None or s.body.get("kind") == kind]
    return seeds[0]


async def test_the_registry_refuses_the_observed_hostile_values(
    database_url: str, kafka_settings: KafkaSettings
) -> None:
    async with world_of("registry", database_url, kafka_settings) as w:
        village = only(w, "POST /v1/villages")
        profile = only(w, "POST /v1/villages/{village_code}/profile")
        filed = only(w, "POST /v1/households")
        hostile = [
            changed(village, rural_population=1e30),
            changed(village, rural_population=10**30),  # the same as a JSON integer
            changed(village, rural_population=10**8 + 1),
            changed(profile, cooperatives=1e20),
            changed(profile, cooperatives=10**20),
            changed(profile, mutual_aid_fund=10**12 + 1),
            changed(profile, mutual_aid_fund=-1),
            changed(village, name="石门\x00村"),
            changed(profile, reason="核实\x00"),
            changed(filed, members__0__name="王\x00建国"),
            changed(filed, members__0__name="王\ud800建国"),
            changed(filed, effective_date="9999-12-31"),
            changed(filed, effective_date="0001-01-01"),
            changed(filed, identified_year=10**30),
        ]
        for request in hostile:
            problem = await refused(w, request)
            assert problem["type"].endswith("/invalid-request"), problem
        # The extremes of the bounds are taken, and kept (64-bit columns for fen).
        widest = changed(village, village_code="621121100299", name="字" * 100)
        assert (await w.send(changed(widest, rural_population=10**8))).status_code == 201
        income = only(w, "POST /v1/households/{household_id}/incomes")
        most = {k: 10**12 for k in ("wages", "production_and_business", "property", "transfers")}
        recorded = await w.send(changed(income, **most))
        assert recorded.status_code == 200, recorded.text
        assert recorded.json()["incomes"][-1]["per_head"] == 4 * 10**12 // 2  # head, spouse
        listed = await w.client.get("/v1/households", params={"region": VILLAGE})
        assert listed.status_code == 200, listed.text
        # Query strings too: an instant before year 1 in UTC, a NUL in a filter.
        read = "/v1/households/{household_id}"
        at = {"household_id": str(uuid4())}
        for query in [{"known_at": "0001-01-01T00:00:00+08:00"}, {"as_of": "9999-12-31"}]:
            await refused(w, Request("get", read, at, query=query))
        await refused(w, Request("get", "/v1/households", query={"cadre": "张\x00伟"}))
        await refused(w, Request("get", "/v1/villages", query={"belt": "\x00"}))


async def test_loans_refuse_far_dates_and_compute_the_farthest_allowed(
    database_url: str, kafka_settings: KafkaSettings
) -> None:
    async with world_of("loans", database_url, kafka_settings) as w:
        sign = only(w, "POST /v1/bank-postings", "signed")  # L-1, approved
        # 9999-12-31 + 36 months was the year 10002: a 500 from the date arithmetic.
        for signed_on in ["9999-12-31", "2101-01-01", "0001-01-01", "1899-12-31"]:
            await refused(w, changed(sign, signed_on=signed_on))
        for amount in [1e30, 10**30, 10**12 + 1, 0, -1]:
            await refused(w, changed(sign, amount=amount))
        await refused(w, changed(sign, loan_ref="L-\x001"))
        await refused(w, changed(sign, term_months=241))
        # The farthest allowed: the last day of 2100 for the longest term the bounds take
        # (refused by the rules, not by an overflow), then for the term approved.
        longest = await w.send(changed(sign, signed_on="2100-12-31", term_months=240))
        assert longest.status_code == 422, longest.text
        last = await w.send(changed(sign, signed_on="2100-12-31"))
        assert last.status_code == 200, last.text
        assert last.json()["maturity_date"] == "2103-12-31"
        # Mutual aid: lent on the last day of 2100, due 240 months on at most.
        lend = only(w, "POST /v1/villages/{village_code}/mutual-aid/loans")
        answer = await w.send(changed(lend, lent_on="2100-12-31", term_months=240))
        assert answer.status_code < 500, answer.text
        await refused(w, changed(lend, lent_on="9999-12-31"))
        await refused(w, Request("get", "/v1/banks/{bank_id}/loans", {"bank_id": "rcc\x00"}))

        # The same postings through the inbound topic reach the dead letters as 4xx problems.
        before = await w.head()
        token = bearer(w.auth, bank())["Authorization"]
        postings = [
            ("k-date", changed(sign, signed_on="9999-12-31").body),
            ("k-name", changed(sign, loan_ref="L-\x001").body),
            ("k-\x00", sign.body),
            ("k" * 256, sign.body),
        ]
        for key, body in postings:
            raw = json.dumps(body).encode()
            headers = {"idempotency-key": key, "authorization": token}
            await publish(kafka_settings, Inbound.BANK_POSTINGS, raw, headers=headers)
        dead = await read_topic(kafka_settings, Inbound.BANK_POSTINGS.dlq, len(postings))
        statuses = sorted(json.loads(dict(r.headers)["problem"])["status"] for r in dead)
        assert statuses == [400, 400, 422, 422]
        assert await w.head() == before


async def test_training_refuses_a_withdrawal_before_the_calendar(
    database_url: str, kafka_settings: KafkaSettings
) -> None:
    async with world_of("training", database_url, kafka_settings) as w:
        withdrawal = only(w, "POST /v1/centres/{centre_id}/withdrawal")
        # 0001-01-01 minus a day (the last day of the accreditation) was an OverflowError.
        for withdrawn_on in ["0001-01-01", "1899-12-31", "9999-12-31"]:
            await refused(w, changed(withdrawal, withdrawn_on=withdrawn_on))
        await refused(w, changed(withdrawal, reason="违规\x00发证"))
        accredit = only(w, "POST /v1/centres")
        await refused(w, changed(accredit, occupations__0__occupation_name="中式\x00烹调师"))
        await refused(w, changed(accredit, valid_until="10000-01-01"))
        placement = only(w, "POST /v1/centre-postings", "placement")
        await refused(w, changed(placement, employer="\x00"))
        await refused(w, changed(placement, months_worked=10**20))
        # The first day of the calendar: the last day of the accreditation is 1899-12-31.
        first = await w.send(changed(withdrawal, withdrawn_on="1900-01-01"))
        assert first.status_code < 500, first.text


async def test_evaluation_refuses_hostile_assessments_and_dates(
    database_url: str, kafka_settings: KafkaSettings
) -> None:
    async with world_of("evaluation", database_url, kafka_settings) as w:
        draw = only(w, "POST /v1/assessments")
        for request in [
            changed(draw, assessor="评估\x00组"),
            changed(draw, year=9999),
            changed(draw, sample_size=1e30),
            changed(draw, seed=2**64),
        ]:
            await refused(w, request)
        survey = only(w, "POST /v1/assessments/{assessment_id}/survey")
        await refused(w, changed(survey, people_surveyed=10**20))
        delisting = only(w, "POST /v1/counties/{county}/delisting")
        for as_of in ["9999-12-31", "0001-01-01"]:
            await refused(w, replace(delisting, query={"as_of": as_of}))


# --- the property: every command route, generated and hostile requests ----------------------

INTEGERS = [
    -1,
    0,
    1,
    100,
    101,
    240,
    241,
    10**8,
    10**8 + 1,
    10**12,
    10**12 + 1,
    2**31,
    2**53 + 1,
    2**63 - 1,
    2**63,
    10**20,
    10**30,
    -(10**30),
]
NUMBERS = [1e20, 1e30, -1e30, 1.5, 0.0, math.nan, math.inf, -math.inf]
DATES = [
    "0001-01-01",
    "1899-12-31",
    "1900-01-01",
    "2100-12-31",
    "2101-01-01",
    "9999-12-31",
    "10000-01-01",
    "2016-02-30",
    "2016-13-01",
    "2016-1-1",
    "",
    "2016-04-01T00:00:00",
]
STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfff",
    "😀" * 101,
    "𠀋" * 51,
    "\u202e" * 3,
    "x" * 41,
    "x" * 61,
    "x" * 201,
    "x" * 501,
    "x" * 1001,
    "x" * 2001,
    "null",
    "1e30",
    "9999-12-31",
    "<script>",
    "'; DROP TABLE events; --",
    "62112119850101001X",
]
DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")


def hostile(value: Any) -> st.SearchStrategy[Any]:
    """Values to put where ``value`` stood: boundaries, overflows, bad types and bytes."""
    wrong = st.sampled_from([None, True, [], {}, "x", 1])
    if isinstance(value, bool):
        return st.one_of(st.sampled_from([None, 0, 2, "true", [True]]), wrong)
    if isinstance(value, int | float):
        return st.one_of(
            st.sampled_from(INTEGERS),
            st.sampled_from(NUMBERS),
            st.integers(),
            wrong,
            st.floats(allow_nan=False, allow_infinity=False),
        )
    if isinstance(value, str) and DATE_SHAPE.fullmatch(value):
        return st.one_of(st.sampled_from(DATES), st.dates().map(date.isoformat), wrong)
    if isinstance(value, str):
        return st.one_of(st.sampled_from(STRINGS), st.text(max_size=300), wrong)
    if isinstance(value, list):
        return st.one_of(st.just([]), st.just(value * 41), wrong)
    return st.one_of(st.sampled_from(INTEGERS + DATES + STRINGS), wrong)


def leaves(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of every value inside a JSON body (containers too: they may be replaced)."""
    found = [at] if at else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += leaves(inner, (*at, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += leaves(inner, (*at, index))
    return found


def put(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    *outer, last = path
    target = document
    for part in outer:
        target = target[part]
    target[last] = value
    return document


@st.composite
def mutated(draw: st.DrawFn, seed: Request) -> Request:
    """The seed with one or two of its values (body, query, or a CSV cell) made hostile."""
    if seed.upload is not None:
        rows = list(csv.reader(io.StringIO(seed.upload)))
        cells = [(r, c) for r in range(1, len(rows)) for c in range(len(rows[r]))]
        for _ in range(draw(st.integers(1, 2))):
            r, c = draw(st.sampled_from(cells))
            rows[r][c] = str(draw(hostile(rows[r][c] or "x")))
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return replace(seed, upload=out.getvalue())
    document = {"body": copy.deepcopy(seed.body), "query": dict(seed.query)}
    paths = [p for p in leaves(document) if len(p) > 1]
    paths = [p for p in paths if not (p[0] == "body" and p[1] in seed.pinned)]
    if not paths:
        return seed
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(paths))
        original: Any = document
        for part in path:
            # Replaced by the first change: a container may now be a string, whose
            # characters can be read by index but not assigned.
            if not isinstance(original, dict | list) or part not in _keys(original):
                break
            original = original[part]
        else:
            put(document, path, draw(hostile(original)))
    return replace(seed, body=document["body"], query=document["query"])


def generated(operation: schemathesis.APIOperation, seed: Request) -> st.SearchStrategy[Request]:
    """Bodies and queries from the route's OpenAPI schema, valid and invalid, sent to the
    seed's aggregate (its path) as the seed's caller."""
    modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    cases = st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in modes))

    def request(case: schemathesis.Case) -> Request:
        body = case.body if isinstance(case.body, dict | list | str | int | float) else None
        if isinstance(body, dict):
            body = {**body, **{k: seed.body[k] for k in seed.pinned}}
        query = dict(case.query or {}) if isinstance(case.query, dict) else {}
        return replace(seed, body=body, query=query)

    return cases.map(request)


def requests(operation: schemathesis.APIOperation | None, seeds: list[Request]):
    seeded = st.sampled_from(seeds).flatmap(mutated)
    if operation is None:  # a multipart upload: its cells are mutated instead
        return st.one_of(st.sampled_from(seeds), seeded)
    return st.one_of(st.sampled_from(seeds), seeded, seeded, generated(operation, seeds[0]))


# The boundaries of each value, read from the route's OpenAPI schema: every example request
# is also tried with each of its values, one at a time, at and past its bounds.
CALENDAR = ["0001-01-01", "1899-12-31", "1900-01-01", "2100-12-31", "2101-01-01", "9999-12-31"]
NO_NUL = r"^[^\x00]*$"


def resolved(doc: dict[str, Any], schema: dict[str, Any], value: Any) -> dict[str, Any]:
    """The schema ``value`` answers to: references followed, ``null`` options dropped, a
    discriminated union's member chosen by the value's ``kind``."""
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    options = schema.get("anyOf") or schema.get("oneOf")
    if not options:
        return schema
    options = [resolved(doc, option, value) for option in options]
    options = [o for o in options if o.get("type") != "null"] or options
    if isinstance(value, dict) and "kind" in value:
        kind = value["kind"]
        options = [o for o in options if _kind(o) == kind] or options
    return options[0]


def _kind(schema: dict[str, Any]) -> Any:
    return schema.get("properties", {}).get("kind", {}).get("const")


def schema_at(doc: dict[str, Any], schema: dict[str, Any], document: Any, path: tuple) -> Any:
    for part in path:
        schema = resolved(doc, schema, document)
        key = "items" if isinstance(part, int) else "properties"
        schema = schema.get(key, {}) if isinstance(part, int) else schema.get(key, {}).get(part, {})
        document = document[part]
    return resolved(doc, schema, document)


def boundaries(schema: dict[str, Any], value: Any) -> list[Any]:
    """The values at and just past the schema's bounds, and the hostile ones of its type."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int | float):
        found: list[Any] = [-1, 10**30, 1e30, math.nan]
        for bound, step in (("minimum", -1), ("maximum", 1)):
            if bound in schema:
                found += [int(schema[bound]), int(schema[bound]) + step]
        return found
    if isinstance(value, str) and schema.get("format") == "date":
        return CALENDAR
    if isinstance(value, str):
        found = ["a\x00b", "\ud800"]
        free = schema.get("pattern") in (None, NO_NUL) and not {"enum", "const"} & set(schema)
        if free and "maxLength" in schema:
            found += ["字" * schema["maxLength"], "x" * (schema["maxLength"] + 1)]
        return found
    return []


def swept(doc: dict[str, Any], operation: dict[str, Any], seed: Request) -> list[Request]:
    """The seed with each of its values in turn at and past its bounds."""
    if seed.upload is not None:
        rows = list(csv.reader(io.StringIO(seed.upload)))
        cells = [(r, c) for r in range(1, len(rows)) for c in range(len(rows[r])) if rows[r][c]]
        values = ["a\x00b", "x" * 2001, "1e30", *CALENDAR]
        found = []
        for (r, c), value in ((cell, value) for cell in cells for value in values):
            changed_rows = copy.deepcopy(rows)
            changed_rows[r][c] = value
            out = io.StringIO()
            csv.writer(out).writerows(changed_rows)
            found.append(replace(seed, upload=out.getvalue()))
        return found
    body_schema = (
        operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    ).get("schema", {})
    query_schema = {
        "properties": {
            p["name"]: p["schema"] for p in operation.get("parameters", []) if p["in"] == "query"
        }
    }
    found = []
    parts = [("body", body_schema, seed.body), ("query", query_schema, seed.query)]
    for part, schema, document in parts:
        for path in leaves(document):
            if part == "body" and path[0] in seed.pinned:
                continue
            for value in boundaries(schema_at(doc, schema, document, path), _at(document, path)):
                changed_document = put(copy.deepcopy(document), path, value)
                found.append(replace(seed, **{part: changed_document}))
    return found


def _keys(container: dict[str, Any] | list[Any]) -> Any:
    return container if isinstance(container, dict) else range(len(container))


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


Call = Callable[[Coroutine[Any, Any, Any]], Any]


def unsaid_in_chinese(answer: httpx.Response) -> list[str]:
    """A refusal's texts (its detail, and each message a list of it holds) that the
    service's catalogue and the kernel's left in English, though Chinese was preferred."""
    if answer.status_code < 400 or "problem+json" not in answer.headers.get("content-type", ""):
        return []
    problem = answer.json()
    texts = [problem.get("detail"), problem.get("title")]
    texts += [
        item.get("message") if isinstance(item, dict) else item
        for name, value in problem.items()
        if name not in ("errors", "rules") and isinstance(value, list)  # schema msgs, codes
        for item in value
    ]
    return [t for t in texts if isinstance(t, str) and not has_chinese(t)]


def described(request: Request) -> str:
    """The request, for a failure's message (bodies cut at 600 characters)."""
    sent = request.upload if request.upload is not None else request.body
    body = json.dumps(sent, allow_nan=True)[:600]
    return f"{request.method.upper()} {request.url()} query={request.query!r} body={body}"


def properties(w: World, call: Call) -> tuple[dict[str, str], Counter[str]]:
    """Run every command route's examples (``EXAMPLES`` per example request of the route):
    what failed, by route, and how many answers of each class (2xx, 4xx) were seen."""
    doc = call(w.client.get("/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(doc)
    routes = [(m, p) for p, ops in doc["paths"].items() for m in ops if m in COMMANDS]
    failures: dict[str, str] = {}
    answered: Counter[str] = Counter()
    head = [call(w.head())]

    async def check(request: Request) -> None:
        try:
            answer = await w.send(request)
        except (UnicodeEncodeError, httpx.InvalidURL, httpx.LocalProtocolError):
            return  # no client can send it (a lone surrogate in a URL or a header)
        except Exception as exc:  # the app's own error, re-raised in process: a 500
            raise AssertionError(f"{described(request)}\nraised {exc!r}") from exc
        answered[f"{answer.status_code // 100}xx"] += 1
        said = f"{described(request)}\nanswered {answer.status_code} {answer.text[:300]}"
        assert answer.status_code < 500, said
        unsaid = unsaid_in_chinese(answer)
        assert not unsaid, f"{said}\nnot in Chinese: {unsaid}"
        now = await w.head()
        if answer.status_code >= 400:
            assert now == head[0], f"{said}\nand the head moved {head[0]} → {now}"
        head[0] = now

    for method, path in routes:
        key = f"{method.upper()} {path}"
        seeds = w.seeds.get(key)
        if not seeds:
            failures[key] = "no example request in the world: add one (a seed) for this route"
            continue
        json_body = "multipart/form-data" not in json.dumps(doc["paths"][path][method])
        operation = schema[path][method] if json_body else None

        explicit = [r for seed in seeds for r in swept(doc, doc["paths"][path][method], seed)]

        @given(request=requests(operation, seeds))
        @settings(
            max_examples=EXAMPLES * len(seeds),
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def route(request: Request) -> None:
            call(check(request))

        for request in explicit:
            route = example(request=request)(route)

        try:
            route()
        except Exception as exc:
            notes = "\n".join(getattr(exc, "__notes__", []))  # the falsifying request
            failures[key] = f"{type(exc).__name__}: {exc}"[:1500] + f"\n{notes}"[:1500]
    return failures, answered


# schemathesis' own generators trip this Hypothesis deprecation; nothing of ours.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@pytest.mark.parametrize("service", SERVICES)
async def test_no_command_answers_5xx_or_writes_on_a_4xx(
    service: str, database_url: str, kafka_settings: KafkaSettings
) -> None:
    async with world_of(service, database_url, kafka_settings) as w:
        loop = asyncio.get_running_loop()

        def call(coroutine: Coroutine[Any, Any, Any]) -> Any:
            return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

        started = time.monotonic()
        failures, answered = await asyncio.to_thread(properties, w, call)
        took = time.monotonic() - started
        print(f"{service}: {sum(answered.values())} requests {dict(answered)} in {took:.1f}s")
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in sorted(failures.items()))
