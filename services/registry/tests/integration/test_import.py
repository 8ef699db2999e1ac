"""Importing the province's existing records: good households land, a bad row keeps its
whole household out with every error reported, importing again changes nothing, an
interrupted import resumes, and the same works from a spreadsheet, over HTTP and from the
command line."""

import csv
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from typer.testing import CliRunner

from tuopin_eventkit.security.auth import Principal, Role
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.testing import bearer, client_for
from tuopin_registry.adapters import sheets
from tuopin_registry.adapters.messages import REPORTED
from tuopin_registry.application import bulk
from tuopin_registry.application.bulk import filing as batch_filing
from tuopin_registry.application.bulk.rows import read_filings
from tuopin_registry.application.people import people, reveal
from tuopin_registry.entrypoints.app import app
from tuopin_registry.examples import filing, member, resident_id

HEADER = list(bulk.COLUMNS)  # the English headers
VILLAGE = "621121100201"


def household(file_number: str, village: str = VILLAGE, **more: str) -> dict[str, str]:
    return {
        "file_number": file_number,
        "county_code": village[:6],
        "village_code": village,
        "poverty_attribute": "一般贫困户",
        "primary_cause": "因病",
        "secondary_causes": "缺资金、缺技术",
        "identified_year": "2016",
        "effective_date": "2016-04-01",
        **more,
    }


def person(relation: str = "户主", **more: str) -> dict[str, str]:
    male = relation in ("户主", "之子")
    born = date(1985, 5, 17) if relation in ("户主", "配偶") else date(2008, 9, 1)
    return {
        "name": "王建国",
        "id_number": resident_id(born, male=male),
        "relation": relation,
        "education": "初中",
        "health": "健康",
        "medical_insurance": "是",
        **more,
    }


def rows(home: dict[str, str], *members: dict[str, str]) -> list[dict[str, str]]:
    return [{**home, **m} for m in members]


def write_csv(path: Path, records: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, HEADER)
        writer.writeheader()
        writer.writerows(records)
    return path


@pytest.fixture
async def service(settings):
    application = app(settings)
    async with client_for(application) as client:
        yield client, application.state.runtime


async def run_import(runtime, path: Path, **options) -> bulk.Report:
    keys = IdentityKeys(runtime.settings.identity_key.get_secret_value())
    vault = runtime.settings.people()
    return await sheets.import_file(runtime.engine, runtime.store, keys, vault, path, **options)


async def head_of_feed(client) -> int:
    return (await client.get("/v1/events")).json()["head"]


async def filed_numbers(client) -> set[str]:
    listed = (await client.get("/v1/households", params={"limit": 500})).json()
    return {h["file_number"] for h in listed["items"]}


async def vault(runtime) -> set[str]:
    """The clear numbers the vault holds, opened with the service's key."""
    async with runtime.engine.connect() as conn:
        sealed = (await conn.execute(select(people.c.person_id))).scalars().all()
        return {await reveal(conn, runtime.settings.people(), p) for p in sealed}


async def test_good_households_land_and_a_bad_row_keeps_its_household_out(
    service, tmp_path
) -> None:
    client, runtime = service
    elsewhere = member(id_number=resident_id())
    filed_before = await client.post(
        "/v1/households", json=filing("621121-0900", members=[elsewhere])
    )
    assert filed_before.status_code == 201

    good = rows(household("621121-0001"), person(), person("配偶"), person("之子"))
    good2 = rows(household("621121-0002"), person(), person("之女", schooling="小学三年级"))
    bad_checksum = rows(
        household("621121-0003"), person(), person("之子", id_number="620102198505170010")
    )
    outside = rows(household("621121-0004", village_code="621122100201"), person())
    unknown_cause = rows(household("621121-0005", primary_cause="因懒"), person(), person("配偶"))
    already_elsewhere = rows(
        household("621121-0006"), person(), person("配偶", id_number=elsewhere["id_number"])
    )
    reused_number = rows(household("621121-0001"), person())  # 0001 again, after others
    records = good + good2 + bad_checksum + outside + unknown_cause + already_elsewhere
    path = write_csv(tmp_path / "export.csv", records + reused_number)

    report = await run_import(runtime, path, batch_size=3)

    t = report.totals
    assert (t.rows, t.households, t.filed, t.already_filed, t.rejected) == (13, 7, 2, 0, 5)
    assert (t.people, t.rejected_rows) == (5, 8)
    assert await filed_numbers(client) == {"621121-0900", "621121-0001", "621121-0002"}
    assert await head_of_feed(client) == 3
    # Nothing of a rejected household was written, not even its good members' numbers.
    kept = await vault(runtime)
    assert kept == {elsewhere["id_number"]} | {r["id_number"] for r in good + good2}

    errors = {(e.row, e.column): e for e in report.errors}
    assert "checksum" in errors[8, "id_number"].message
    assert "**************0010" in errors[8, "id_number"].message  # masked, never in clear
    assert errors[9, "village_code"].message == (
        "village 621122100201 does not lie in county 621121"
    )
    assert "unknown value '因懒'" in errors[10, "primary_cause"].message
    assert "is already a member of household 621121-0900" in errors[13, "id_number"].message
    assert "used again (first at row 2)" in errors[14, "file_number"].message
    # Every row of a rejected household is in the report, those without errors of their own too,
    # after the household's real errors: row 8's bad number comes before row 7's pointer to it.
    assert errors[7, ""].message == "not filed: another row of this household has errors"
    assert {e.row for e in report.errors} == set(range(7, 15))
    assert [(e.row, e.column) for e in report.errors][:2] == [(8, "id_number"), (7, "")]
    report_rows = list(csv.reader(report.errors_csv(REPORTED).splitlines()))
    assert report_rows[0] == [
        "行号 row",
        "户编号 file_number",
        "列 column",
        "错误 message (zh-CN)",
        "message (en)",
    ]
    # The message in Chinese first, the English beside it.
    assert report_rows[1][:4] == [
        "8",
        "621121-0003",
        "id_number",
        "身份证号码（**************0010）无效：校验码错误",
    ]
    assert "checksum" in report_rows[1][4]
    assert report_rows[2][3:] == [
        "未建档：本户其他行有错误（见上）",
        "not filed: another row of this household has errors",
    ]
    assert "620102198505170010" not in report.errors_csv(REPORTED)


async def test_a_household_breaking_the_filing_rules_is_refused_in_the_apis_words(
    service, tmp_path
) -> None:
    """One definition of the household's rules: each broken rule at its row and column in
    the import's report, and the very message the API answers for the same household."""
    client, runtime = service
    second_head = {"id_number": resident_id(date(1988, 3, 2), male=False)}
    over_http = await client.post(
        "/v1/households",
        json=filing(
            members=[member(), member("head", **second_head)], secondary_causes=["illness"]
        ),
    )
    assert over_http.status_code == 422
    in_chinese = await client.post(
        "/v1/households",
        json=filing(
            members=[member(), member("head", **second_head)], secondary_causes=["illness"]
        ),
        headers={"Accept-Language": "zh-CN"},
    )

    home = household("621121-0001", secondary_causes="因病")
    path = write_csv(tmp_path / "export.csv", rows(home, person(), person("户主", **second_head)))
    report = await run_import(runtime, path)

    assert report.totals.rejected == 1
    errors = {(e.row, e.column): e.message for e in report.errors}
    assert errors == {
        (3, "relation"): "a household has exactly one head, not 2",
        (2, "secondary_causes"): "illness is the primary cause; it cannot be secondary too",
    }
    assert over_http.json()["detail"] == "; ".join(
        [errors[3, "relation"], errors[2, "secondary_causes"]]
    )
    reported = [line[3] for line in csv.reader(report.errors_csv(REPORTED).splitlines()[1:])]
    assert reported == [
        "“因病”已是主要致贫原因，不能再列为其他致贫原因",
        "一户须有且只有一名户主，此户有 2 名",
    ]
    # The same Chinese over HTTP (one catalogue): the detail, and each violation listed
    # with its field and member as the report lists it by column and row.
    said = in_chinese.json()
    assert said["detail"].startswith("；".join(reversed(reported)) + "（")
    assert [(v["field"], v.get("member"), v["message"]) for v in said["violations"]] == [
        ("relation", 1, f"{reported[1]}（{errors[3, 'relation']}）"),
        ("secondary_causes", None, f"{reported[0]}（{errors[2, 'secondary_causes']}）"),
    ]


async def test_importing_the_same_file_again_changes_nothing(service, tmp_path) -> None:
    client, runtime = service
    records = rows(household("621121-0001"), person(), person("配偶"))
    records += rows(household("621121-0002"), person())
    records += rows(household("621121-0003", primary_cause="因懒"), person())
    path = write_csv(tmp_path / "export.csv", records)
    first = await run_import(runtime, path)
    assert (first.totals.filed, first.totals.rejected) == (2, 1)
    head, kept = await head_of_feed(client), await vault(runtime)

    again = await run_import(runtime, path)
    t = again.totals
    assert (t.filed, t.already_filed, t.rejected, t.people) == (0, 2, 1, 0)
    assert await head_of_feed(client) == head
    assert await vault(runtime) == kept
    assert [e.row for e in again.errors] == [5]


async def test_an_interrupted_import_resumes_where_it_stopped(
    service, tmp_path, monkeypatch
) -> None:
    client, runtime = service
    records = []
    for n in range(1, 7):
        records += rows(household(f"621121-{n:04d}"), person(), person("配偶"))
    path = write_csv(tmp_path / "export.csv", records)

    real = batch_filing.file_batch
    batches = 0

    async def fails_on_the_third_batch(*args, **kwargs):
        nonlocal batches
        batches += 1
        if batches == 3:
            raise ConnectionError("the database went away")
        return await real(*args, **kwargs)

    monkeypatch.setattr(batch_filing, "file_batch", fails_on_the_third_batch)
    with pytest.raises(ConnectionError):
        await run_import(runtime, path, batch_size=2)
    assert len(await filed_numbers(client)) == 4  # two batches committed
    monkeypatch.setattr(batch_filing, "file_batch", real)

    resumed = await run_import(runtime, path, batch_size=2)
    assert (resumed.totals.already_filed, resumed.totals.filed) == (4, 2)
    assert len(await filed_numbers(client)) == 6
    assert await head_of_feed(client) == 6


async def test_a_spreadsheet_with_chinese_headers_and_values_imports(service, tmp_path) -> None:
    client, runtime = service
    book = Workbook()
    sheet = book.active
    sheet.append(["甘肃省建档立卡贫困户信息"])
    sheet.append(["户编号", "村代码", "贫困户属性", "主要致贫原因", "其他致贫原因", "识别年度"])
    sheet["G2"], sheet["H2"], sheet["I2"], sheet["J2"] = (
        "建档日期",
        "姓名",
        "证件号码",
        "与户主关系",
    )
    sheet["K2"], sheet["L2"], sheet["M2"] = "在校生状况", "劳动技能", "是否参加新农合/医保"
    head_id, child_id = resident_id(), resident_id(date(2008, 9, 1), male=False)
    home = [6211210001, int(VILLAGE), "低保贫困户", "因学", "缺劳力；因病", 2016]
    home.append(datetime(2016, 4, 1))
    sheet.append([*home, "王建国", head_id, "户主", "非在校生", "普通劳动力", "是"])
    sheet.append([*home, "王小红", child_id, "之女", "初中二年级", "无劳动力", "是"])
    book.save(tmp_path / "花名册.xlsx")

    report = await run_import(runtime, tmp_path / "花名册.xlsx")
    assert (report.totals.filed, report.totals.people, report.errors) == (1, 2, [])
    [listed] = (await client.get("/v1/households", params={"region": "621121"})).json()["items"]
    filed = (await client.get(f"/v1/households/{listed['household_id']}")).json()
    assert filed["file_number"] == "6211210001" and filed["county_code"] == "621121"
    assert filed["poverty_attribute"] == "subsistence_allowance"
    assert filed["primary_cause"] == "schooling"
    assert filed["secondary_causes"] == ["lack_of_labour", "illness"]
    head, child = sorted(filed["members"], key=lambda m: m["relation"] != "head")
    assert (head["relation"], head["labour_ability"], head["medical_insurance"]) == (
        "head",
        "full",
        True,
    )
    assert (child["relation"], child["sex"], child["schooling"]) == (
        "child",
        "female",
        "junior_secondary",
    )


async def test_an_upload_answers_with_totals_and_its_error_report_downloads(
    service, tmp_path
) -> None:
    client, runtime = service
    records = rows(household("621121-0001"), person(), person("配偶"))
    records += rows(household("621121-0002", village_code="621122100201"), person())
    content = write_csv(tmp_path / "export.csv", records).read_bytes()
    upload = {"file": ("建档立卡.csv", content, "text/csv")}

    # A file names households of many villages: importing is the province's act.
    county = bearer(runtime.settings.auth, Principal("clerk", Role.COUNTY_OFFICER, region="621121"))
    refused = await client.post("/v1/imports", files=upload, headers=county)
    assert refused.status_code == 403 and await head_of_feed(client) == 0

    clerk = Principal("import-clerk", Role.PROVINCE_ADMIN, region="62")
    answer = await client.post(
        "/v1/imports", files=upload, headers=bearer(runtime.settings.auth, clerk)
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["filename"] == "建档立卡.csv" and body["started_at"].endswith("+00:00")
    assert body["totals"] == {
        "rows": 3,
        "households": 2,
        "households_filed": 1,
        "households_already_filed": 0,
        "households_rejected": 1,
        "people_filed": 2,
        "rows_rejected": 1,
    }
    assert answer.headers["location"] == f"/v1/imports/{body['import_id']}"
    assert (await client.get(answer.headers["location"])).json() == body

    report = await client.get(body["errors_url"])
    assert report.status_code == 200
    assert report.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in report.headers["content-disposition"]
    lines = list(csv.reader(report.text.lstrip("\ufeff").splitlines()))
    assert lines == [
        ["行号 row", "户编号 file_number", "列 column", "错误 message (zh-CN)", "message (en)"],
        [
            "4",
            "621121-0002",
            "village_code",
            "村 621122100201 不属于县 621121",
            "village 621122100201 does not lie in county 621121",
        ],
    ]

    [event] = (await client.get("/v1/events")).json()["items"]
    assert event["event"]["actor"] == clerk.actor == "province_admin:import-clerk@62"
    assert event["event"]["correlationid"] == body["import_id"]

    again = await client.post("/v1/imports", files=upload)
    assert again.json()["totals"]["households_already_filed"] == 1
    assert again.json()["import_id"] != body["import_id"]


async def test_an_upload_with_an_idempotency_key_is_imported_once(service, tmp_path) -> None:
    client, _ = service
    content = write_csv(tmp_path / "a.csv", rows(household("621121-0001"), person())).read_bytes()
    headers = {"Idempotency-Key": "county-621121-2016-batch-1"}
    first = await client.post("/v1/imports", files={"file": ("a.csv", content)}, headers=headers)
    again = await client.post("/v1/imports", files={"file": ("a.csv", content)}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    other = await client.post(
        "/v1/imports", files={"file": ("b.csv", content + b"\n")}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")


async def test_an_unreadable_upload_or_an_unknown_import_is_a_problem(service) -> None:
    client, _ = service
    answer = await client.post("/v1/imports", files={"file": ("x.csv", b"a,b\n1,2\n")})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith("/unreadable-file")
    assert "no header row" in answer.json()["detail"]
    assert await head_of_feed(client) == 0

    missing = await client.get("/v1/imports/8f14e45f-ceea-4671-8e9f-36b5e5b0b1a1/errors.csv")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_the_command_line_imports_reports_and_exits_1_on_rejections_2_on_an_unreadable_file(
    tmp_path, monkeypatch
) -> None:
    from tuopin_registry.entrypoints.cli import app as cli

    monkeypatch.setenv("TUOPIN_REGISTRY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/r.db")
    records = rows(household("621121-0001"), person(), person("配偶"))
    records += rows(household("621121-0002", primary_cause="因懒"), person())
    path = write_csv(tmp_path / "export.csv", records)

    # A household rejected: the good one is filed, and the import fails with the counts.
    ran = CliRunner().invoke(cli, ["import", str(path), "--batch", "1"])
    assert ran.exit_code == 1, ran.output
    assert re.search(r"filed +1 households, 2 people", ran.output)
    assert re.search(r"rejected +1 households, 1 rows", ran.output)
    assert "1 户被拒绝，未建档（接受 1 户）" in ran.output
    assert "1 households rejected, 1 accepted" in ran.output
    report = (tmp_path / "export.errors.csv").read_text(encoding="utf-8-sig")
    assert "4,621121-0002,primary_cause,无法识别的值 '因懒'；应为以下之一：因病、" in report
    assert ",unknown value '因懒'; expected one of 因病、" in report

    again = CliRunner().invoke(cli, ["import", str(path), "--errors", str(tmp_path / "again.csv")])
    assert again.exit_code == 1 and re.search(r"already filed +1 households", again.output)
    assert (tmp_path / "again.csv").exists()

    # Every household accepted (filed now or before): success.
    good = write_csv(tmp_path / "good.csv", rows(household("621121-0003"), person()))
    accepted = CliRunner().invoke(cli, ["import", str(good)])
    assert accepted.exit_code == 0, accepted.output
    assert re.search(r"filed +1 households, 1 people", accepted.output)
    assert re.search(r"rejected +0 households", accepted.output)

    (tmp_path / "notes.csv").write_text("just,some\nnotes,here\n")
    unreadable = CliRunner().invoke(cli, ["import", str(tmp_path / "notes.csv")])
    assert unreadable.exit_code == 2
    assert "前 20 行中没有表头行" in unreadable.output  # Chinese first, the English beside
    assert "no header row" in unreadable.output


async def test_a_back_filled_export_carries_each_households_history(service, tmp_path) -> None:
    """Issue 13: an export of 2015–2017 records with assistance, exits (verified in the old
    system) and returns lands dated as it happened; a step out of order, or a return
    without its cause, keeps its household out with the column named."""
    client, runtime = service
    history = {
        "621121-0101": {
            "effective_date": "2015-03-01",
            "assisted_on": "2015-04-01",
            "exited_on": "2016-11-08",
        },
        "621121-0102": {
            "effective_date": "2015-05-01",
            "assisted_on": "2015-06-01",
            "exited_on": "2016-10-08",
            "returned_on": "2017-12-01",
            "return_cause": "因病",
        },
        "621121-0103": {"effective_date": "2016-06-01", "assisted_on": "2016-05-01"},
        "621121-0104": {"effective_date": "2015-06-01", "returned_on": "2016-01-01"},
    }
    records = [
        r
        for number, steps in history.items()
        for r in rows(household(number, **steps), person(), person("之子", name="王小明"))
    ]
    report = await run_import(runtime, write_csv(tmp_path / "backfill.csv", records))
    assert report.totals.filed == 2
    errors = {(e.file_number, e.column): e.message for e in report.errors if e.column}
    assert "identified since 2016-06-01" in errors[("621121-0103", "assisted_on")]
    assert "date and its cause" in errors[("621121-0104", "returned_on")]

    ids = {
        h["file_number"]: h["household_id"]
        for h in (await client.get("/v1/households")).json()["items"]
    }

    async def status(number: str, day: str) -> str:
        found = await client.get(f"/v1/households/{ids[number]}", params={"as_of": day})
        return found.json()["status"]

    assert [await status("621121-0101", d) for d in ("2015-12-31", "2016-12-31")] == [
        "assisting",
        "exited",
    ]
    assert [await status("621121-0102", d) for d in ("2016-12-31", "2017-12-31")] == [
        "exited",
        "returned",
    ]
    events = (await client.get(f"/v1/households/{ids['621121-0101']}/history")).json()["events"]
    exited = events[-1]
    assert exited["effectivedate"] == "2016-11-08"
    assert "verified before the register" in exited["data"]["reason"]
    # Importing the file again changes nothing.
    again = await run_import(runtime, write_csv(tmp_path / "backfill.csv", records))
    assert again.totals.filed == 0


async def test_a_value_an_events_contract_refuses_is_a_row_error_not_a_crash(
    service, tmp_path
) -> None:
    """The cells' checks guard first, the events' contracts last (the domain records the
    contracts' events). A value the cells let by — set here after reading, as a gap in
    them would — is the household's error at its row and field; the batch's others file."""
    client, runtime = service
    records = [
        *rows(household("621121-0001"), person(), person("配偶")),
        *rows(household("621121-0002"), person(), person("之子")),
        *rows(household("621121-0003"), person(), person("之子")),
    ]
    with sheets.open_sheet(write_csv(tmp_path / "export.csv", records)) as sheet:
        filings = list(read_filings(sheet))
    filings[1].household["identified_year"] = 2200  # the filing's contract: at most 2100
    filings[2].members[1]["education"] = "a level no one has"  # a member's: the vocabulary

    keys = IdentityKeys(runtime.settings.identity_key.get_secret_value())
    async with runtime.engine.begin() as conn:
        results = await batch_filing.file_batch(
            conn, runtime.store, keys, runtime.settings.people(), filings
        )

    assert [(r.row, r.outcome) for r in results] == [
        (2, "filed"),
        (3, "filed"),
        (4, "rejected"),
        (5, "rejected"),
        (6, "rejected"),
        (7, "rejected"),
    ]
    errors = {(e.row, e.column): e.message for r in results for e in r.errors}
    assert errors == {
        (4, "identified_year"): "Input should be less than or equal to 2100",
        (7, "education"): errors[7, "education"],
    }
    assert errors[7, "education"].startswith("Input should be")
    assert await filed_numbers(client) == {"621121-0001"}
