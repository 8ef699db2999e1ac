"""The checked-in schemas are exactly what the models generate, and cover every topic and type."""

import shutil
from pathlib import Path

import pytest
import yaml

from tuopin_contracts import Topic, catalogue, generate
from tuopin_contracts.envelope import CONTENT_TYPE


@pytest.fixture(scope="module")
def asyncapi() -> dict:
    return yaml.safe_load((generate.SCHEMAS_DIR / "asyncapi.yaml").read_text("utf-8"))


def resolve(document: dict, ref: str) -> dict:
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_no_generated_file_is_stale() -> None:
    stale = generate.stale(generate.generate())
    assert not stale, f"stale: {[p.name for p in stale]}; run .venv/bin/tuopin-contracts"


def test_generation_is_deterministic() -> None:
    assert generate.generate() == generate.generate()


def test_check_reports_stale_files_without_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    schemas = tmp_path / "schemas"
    shutil.copytree(generate.SCHEMAS_DIR, schemas)
    monkeypatch.setattr(generate, "SCHEMAS_DIR", schemas)
    (schemas / "envelope.json").write_text("{}\n")
    (schemas / "registry.gone.v1.json").write_text("{}\n")
    (schemas / "asyncapi.yaml").unlink()

    with pytest.raises(SystemExit) as exited:
        generate.main(["--check"])

    assert exited.value.code == 1
    printed = capsys.readouterr().out
    for name in ("envelope.json", "registry.gone.v1.json", "asyncapi.yaml"):
        assert name in printed
    assert (schemas / "envelope.json").read_text() == "{}\n"
    assert not (schemas / "asyncapi.yaml").exists()

    generate.main([])
    generate.main(["--check"])
    assert not (schemas / "registry.gone.v1.json").exists()


def test_a_schema_file_per_event_type() -> None:
    for name in catalogue.types:
        schema = (generate.SCHEMAS_DIR / f"{name}.json").read_text("utf-8")
        assert f'"$id": "{name}"' in schema


def test_asyncapi_has_a_channel_and_a_dead_letter_channel_per_topic(asyncapi: dict) -> None:
    assert asyncapi["asyncapi"] == "3.0.0"
    addresses = {channel["address"] for channel in asyncapi["channels"].values()}
    assert addresses == {topic.value for topic in Topic} | {topic.dlq for topic in Topic}


def test_asyncapi_has_a_message_per_catalogue_type_on_its_topic(asyncapi: dict) -> None:
    channels = {channel["address"]: channel for channel in asyncapi["channels"].values()}
    for name, model in catalogue.types.items():
        message = resolve(asyncapi, channels[model.TOPIC.value]["messages"][name]["$ref"])
        assert message["contentType"] == CONTENT_TYPE
        assert message["bindings"]["kafka"]["key"]["type"] == "string"
        payload = message["payload"]
        assert payload["properties"]["type"] == {"const": name}
        assert resolve(asyncapi, payload["properties"]["data"]["$ref"])["title"] == name
    event_messages = {
        ref["$ref"].rsplit("/", 1)[1]
        for topic in Topic
        for ref in channels[topic.value]["messages"].values()
    }
    assert event_messages == set(catalogue.types)


def test_each_channel_has_a_send_operation(asyncapi: dict) -> None:
    sent = {
        operation["channel"]["$ref"]
        for operation in asyncapi["operations"].values()
        if operation["action"] == "send"
    }
    assert sent == {f"#/channels/{channel}" for channel in asyncapi["channels"]}
    for operation in asyncapi["operations"].values():
        channel = operation["channel"]["$ref"]
        for message in operation["messages"]:
            assert message["$ref"].startswith(f"{channel}/messages/")
            resolve(asyncapi, message["$ref"])


def test_registry_topic_is_sent_by_the_registry(asyncapi: dict) -> None:
    operation = asyncapi["operations"]["registryPublishes"]
    assert resolve(asyncapi, operation["channel"]["$ref"])["address"] == Topic.REGISTRY.value
    assert operation["tags"] == [{"name": "registry"}]
