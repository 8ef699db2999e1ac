"""Education assistance for poor students (教育扶贫, seed 四.9(1)) across two services and
the real broker: the registry's events file the households, training learns their members
from them, the county records a 中职 student's 2,000-yuan grant (助学金) and the fees
waived (免除学费和书本费) in training, training's relay publishes them, and evaluation shows
them in the household's 教育保障 and counts them in the roll-ups of every region above it.

Both services run in process (their lifespans: migrations, relay, consumers) on their own
SQLite files; the registry's part is its published events, as a registry would send them.
"""

from contextlib import AsyncExitStack
from datetime import date
from pathlib import Path
from uuid import UUID, uuid4

from tuopin_contracts import Envelope, Topic
from tuopin_contracts.examples import filed_v2
from tuopin_contracts.topics import Inbound
from tuopin_contracts.vocabulary import PovertyCause
from tuopin_evaluation.config import EvaluationSettings
from tuopin_evaluation.entrypoints.app import app as evaluation_app
from tuopin_eventkit import testing
from tuopin_eventkit.messaging.kafka import KafkaSettings, ensure_topics
from tuopin_eventkit.security.auth import Principal, Role
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.security.tokens import AuthSettings
from tuopin_eventkit.testing import bearer, client_for, envelope, eventually, members_of, publish
from tuopin_training.config import TrainingSettings
from tuopin_training.entrypoints.app import app as training_app
from tuopin_training.examples import grant

KEYS = IdentityKeys(TrainingSettings.model_fields["identity_key"].default.get_secret_value())
TONGWEI, LONGXI = "621121", "621122"  # 通渭县, 陇西县 (定西市)


def filed(county: str, numbers: list[str]) -> tuple[UUID, Envelope]:
    """A household registered in the county's village …100201, as the registry publishes it."""
    household = uuid4()
    members = members_of(KEYS, numbers)
    data = filed_v2(
        household,
        f"{county}100201",
        members,
        cause=PovertyCause.SCHOOLING,
        file_number=f"{county}-{household.hex[:6]}",
    )
    return household, envelope(data, household, 1)


def officer(county: str) -> dict[str, str]:
    """The county's account (its education bureau records through it)."""
    return bearer(AuthSettings(), Principal(f"edu-{county}", Role.COUNTY_OFFICER, region=county))


async def test_seed_4_9_1_grant_posted_in_training_shows_in_evaluation(
    tmp_path: Path, kafka_settings: KafkaSettings
) -> None:
    """Seed 四.9(1) "给中职学生每生每学年发放2000元助学金": posted once in training (a
    second grant for the same student-year refused), shown in evaluation's household view
    and counted — students assisted, yuan granted and waived — in the roll-ups."""
    students = {
        TONGWEI: testing.resident_id(date(2001, 9, 1), 11),
        LONGXI: testing.resident_id(date(2002, 3, 1), 12),
    }
    homes, filings = {}, []
    for n, county in enumerate((TONGWEI, LONGXI)):
        homes[county], envelope = filed(
            county, [testing.resident_id(date(1975, 1, 1), n), students[county]]
        )
        filings.append(envelope)
    topics = [
        Topic.REGISTRY,
        Topic.LOANS,
        Topic.TRAINING,
        Topic.EVALUATION,
        Inbound.CENTRE_POSTINGS,
    ]
    await ensure_topics(kafka_settings, topics)
    await publish(kafka_settings, Topic.REGISTRY, *filings)
    async with AsyncExitStack() as running:
        training, evaluation = [
            await running.enter_async_context(
                client_for(
                    app(
                        settings(
                            database_url=f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}",
                            kafka=kafka_settings,
                        )
                    )
                )
            )
            for name, settings, app in [
                ("training", TrainingSettings, training_app),
                ("evaluation", EvaluationSettings, evaluation_app),
            ]
        ]

        async def known_to_training() -> None:
            for home in homes.values():
                assert (await training.get(f"/v1/households/{home}")).status_code == 200

        await eventually(known_to_training, timeout=60)

        student = students[TONGWEI]
        for county, key, body, status in [
            (TONGWEI, "TW-2017-001", grant(TONGWEI, student), 201),
            (TONGWEI, "TW-2017-001", grant(TONGWEI, student), 201),  # a retry: the first answer
            (TONGWEI, "TW-2017-002", grant(TONGWEI, student, decided_on="2018-03-01"), 409),
            (TONGWEI, "TW-2017-003", grant(TONGWEI, student, level="higher_vocational"), 422),
            (LONGXI, "LX-2017-001", grant(TONGWEI, student), 403),  # another county's token
            (
                TONGWEI,
                "TW-2017-004",
                grant(TONGWEI, student, kind="tuition_waiver", amount_fen=180_000),
                201,
            ),
            (LONGXI, "LX-2017-002", grant(LONGXI, students[LONGXI], school="陇西县职专"), 201),
        ]:
            headers = {"Idempotency-Key": key, **officer(county)}
            answer = await training.post("/v1/education-assistance", json=body, headers=headers)
            assert answer.status_code == status, answer.text

        async def shown() -> dict:
            view = await evaluation.get(f"/v1/households/{homes[TONGWEI]}/education")
            assert view.status_code == 200, view.text
            assert view.json()["students_assisted"] == 1 and view.json()["waived_fen"] == 180_000
            return view.json()

        view = await eventually(shown, timeout=60)
        assert (view["granted_fen"], view["waived_fen"]) == (200_000, 180_000)
        (pupil,) = view["members"]
        assert pupil["member"].endswith(student[-4:]) and student not in str(view)
        (year,) = pupil["years"]
        assert (year["academic_year"], year["level"], year["granted_fen"]) == (
            2017,
            "secondary_vocational",
            200_000,
        )
        assert sorted(a["kind"] for a in year["assistance"]) == ["grant", "tuition_waiver"]
        before = await evaluation.get(
            f"/v1/households/{homes[TONGWEI]}/education", params={"as_of": "2017-10-14"}
        )
        assert (before.json()["students_assisted"], before.json()["members"]) == (0, [])

        async def counted() -> dict:
            answer = await evaluation.get(
                "/v1/rollups", params={"region": "621100", "level": "county"}
            )
            rows = answer.json()["rows"]
            by = {r["code"]: r for r in rows}
            assert by[LONGXI]["students_assisted"] == 1
            return by

        by = await eventually(counted, timeout=60)
        assert [
            (
                by[c]["students_assisted"],
                by[c]["education_granted_fen"],
                by[c]["education_waived_fen"],
            )
            for c in (TONGWEI, LONGXI)
        ] == [(1, 200_000, 180_000), (1, 200_000, 0)]
        city = await evaluation.get("/v1/rollups", params={"region": "620000", "level": "city"})
        (dingxi,) = [r for r in city.json()["rows"] if r["code"] == "621100"]
        assert (dingxi["students_assisted"], dingxi["education_granted_fen"]) == (2, 400_000)
        early = await evaluation.get(
            "/v1/rollups", params={"region": "621100", "level": "county", "as_of": "2017-09-30"}
        )
        assert [r["students_assisted"] for r in early.json()["rows"]] == [0, 0], early.text
        # A county officer sees its own county's figures, not the neighbour's household.
        mine = await evaluation.get(
            f"/v1/households/{homes[TONGWEI]}/education", headers=officer(TONGWEI)
        )
        assert mine.status_code == 200
        theirs = await evaluation.get(
            f"/v1/households/{homes[TONGWEI]}/education", headers=officer(LONGXI)
        )
        assert theirs.status_code == 403
