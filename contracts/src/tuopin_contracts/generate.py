"""Generate the published contract from the models, deterministically.

``schemas/<type>.json`` holds one JSON Schema per event type, ``schemas/envelope.json`` the
envelope's, and ``schemas/asyncapi.yaml`` an AsyncAPI 3.0 document of every topic.
``tuopin-contracts`` rewrites what is stale; ``tuopin-contracts --check`` writes nothing and
exits 1 if any file on disk differs from what the models generate.
"""

import argparse
import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from tuopin_contracts import Envelope, EventData, Topic, catalogue
from tuopin_contracts.envelope import CONTENT_TYPE

SCHEMAS_DIR = Path(__file__).parent / "schemas"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
KAFKA_BINDING_VERSION = "0.5.0"

Schema = dict[str, Any]


def json_schema(model: type[BaseModel], name: str) -> Schema:
    """The model's JSON Schema as a standalone document identified by ``name``."""
    return {"$schema": JSON_SCHEMA_DIALECT, **model.model_json_schema(), "$id": name, "title": name}


def service_of(topic: Topic) -> str:
    """``tuopin.registry.events`` → ``registry``: each service publishes to its own topic."""
    return topic.split(".")[1]


def kafka_key(description: str) -> Schema:
    return {
        "kafka": {
            "bindingVersion": KAFKA_BINDING_VERSION,
            "key": {"type": "string", "description": description},
        }
    }


def component_schemas() -> dict[str, Schema]:
    """Payload schemas keyed by type name, with nested definitions hoisted beside them."""
    schemas: dict[str, Schema] = {}
    for model in catalogue.types.values():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            if schemas.setdefault(name, definition) != definition:
                raise ValueError(f"two different nested models are both named {name}")
        schemas[model.TYPE] = schema | {"title": model.TYPE}
    return schemas


def event_message(model: type[EventData]) -> Schema:
    """The envelope as it travels, with ``type`` fixed and ``data`` this event's payload."""
    payload = Envelope.model_json_schema()
    payload["properties"] |= {
        "type": {"const": model.TYPE},
        "data": {"$ref": f"#/components/schemas/{model.TYPE}"},
    }
    return {
        "name": model.TYPE,
        "title": model.__name__,
        "contentType": CONTENT_TYPE,
        "payload": payload,
        "bindings": kafka_key(
            "The CloudEvents subject (the aggregate id), so one aggregate's events stay in order."
        ),
    }


DEAD_LETTER: Schema = {
    "name": "deadLetter",
    "summary": "A record a consumer can never apply, parked with the reason.",
    "contentType": "application/octet-stream",
    "payload": {"description": "The original record value, byte for byte (it may be malformed)."},
    "headers": {
        "type": "object",
        "properties": {
            "error": {"type": "string", "description": "Why the record could not be applied."},
            "consumer": {"type": "string", "description": "The projection that gave it up."},
            "origin": {"type": "string", "description": "<topic>/<partition>/<offset> it had."},
        },
    },
    "bindings": kafka_key("The original record's key."),
}


def asyncapi() -> Schema:
    channels: Schema = {}
    operations: Schema = {}
    for topic in Topic:
        service, dlq = service_of(topic), f"{service_of(topic)}Dlq"
        types = [model.TYPE for model in catalogue.on_topic(topic)]
        channels[service] = {
            "address": topic.value,
            "description": f"Every event the {service} service publishes, in commit order.",
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in types},
        }
        channels[dlq] = {
            "address": topic.dlq,
            "description": f"Records from {topic.value} that a consumer could not apply.",
            "messages": {"deadLetter": {"$ref": "#/components/messages/deadLetter"}},
        }
        operations[f"{service}Publishes"] = {
            "action": "send",
            "summary": f"The {service} service publishes its events.",
            "tags": [{"name": service}],
            "channel": {"$ref": f"#/channels/{service}"},
            "messages": [{"$ref": f"#/channels/{service}/messages/{name}"} for name in types],
        }
        operations[f"{service}DeadLetters"] = {
            "action": "send",
            "summary": f"Any consumer of {topic.value} parks there a record it can never apply.",
            "channel": {"$ref": f"#/channels/{dlq}"},
            "messages": [{"$ref": f"#/channels/{dlq}/messages/deadLetter"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Tuopin events",
            "version": version("tuopin-contracts"),
            "description": (
                "Every event Tuopin's services publish: CloudEvents 1.0 in structured JSON mode"
                " over Kafka, keyed by subject (the aggregate id). Generated by tuopin-contracts"
                " from the models in tuopin_contracts; do not edit by hand."
            ),
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": component_schemas(),
            "messages": {
                "deadLetter": DEAD_LETTER,
                **{model.TYPE: event_message(model) for model in catalogue.types.values()},
            },
        },
    }


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # spell out repeated parts instead of &id001 anchors


def generate() -> dict[Path, str]:
    """Every generated file and its exact content."""
    documents = {"envelope": json_schema(Envelope, "envelope")} | {
        name: json_schema(model, name) for name, model in catalogue.types.items()
    }
    files = {
        SCHEMAS_DIR / f"{name}.json": json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)
        + "\n"
        for name, doc in documents.items()
    }
    asyncapi_yaml = yaml.dump(asyncapi(), Dumper=_Dumper, sort_keys=True, allow_unicode=True)
    return files | {SCHEMAS_DIR / "asyncapi.yaml": asyncapi_yaml}


def stale(files: dict[Path, str]) -> list[Path]:
    """Files that differ from their generated content, are missing, or are no longer generated."""
    on_disk = {path for path in SCHEMAS_DIR.glob("*") if path.suffix in {".json", ".yaml"}}
    return sorted(
        path
        for path in on_disk | files.keys()
        if path not in files or not path.is_file() or path.read_text("utf-8") != files[path]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="tuopin-contracts", description="Generate the JSON Schemas and AsyncAPI document."
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if any file is stale"
    )
    args = parser.parse_args(argv)
    files = generate()
    outdated = stale(files)
    for path in outdated:
        if args.check:
            print(f"stale: {path}")
        elif path in files:
            path.parent.mkdir(exist_ok=True)
            path.write_text(files[path], encoding="utf-8", newline="\n")
            print(f"wrote {path}")
        else:
            path.unlink()
            print(f"removed {path}")
    if args.check and outdated:
        print("run tuopin-contracts to regenerate them")
        raise SystemExit(1)
