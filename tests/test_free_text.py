"""Free text is screened for personal numbers in every service's request bodies.

One rule (``tuopin_contracts.text.FreeText``), used by every input model: a resident ID
number or a mainland mobile number typed into a reason, note, description, plan or a
unit's name is refused. This walks every service's OpenAPI document: every string a JSON
request body may carry is either screened free text, a code (pattern, enum, format), or
one of the identifiers listed here with why it is not free text — so a new free-text
field that forgets the rule fails here.
"""

from collections.abc import Iterator
from importlib import import_module
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import TypeAdapter, ValidationError

from tuopin_contracts.text import MARK, FreeText, personal_number

SERVICES = ["registry", "loans", "training", "evaluation"]

# Strings in request bodies that are identifiers, not text people compose, and why.
NOT_FREE_TEXT = {
    "id_number": "the resident ID number itself, checked, hashed and sealed",
    "borrower_id_number": "the resident ID number itself, hashed at once, never stored",
    "file_number": "the 建档立卡 file number, a code",
    "need_id": "a need's id",
    "bank_id": "a bank's id",
    "loan_ref": "the bank's own loan number",
    "enrolment_ref": "the centre's own record number",
    "appraisal_ref": "the centre's own record number",
    "placement_ref": "the centre's own record number",
    "basis_ref": "the centre's own record number",
    "number": "a certificate's number",
    "occupation_name": "the name of an occupation of the national catalogue (the event's)",
}

PERSONAL = [
    "联系电话13800138000",
    "tel 138 0013 8000",
    "+86-138-0013-8000",
    "１３８００１３８０００",  # full-width
    "身份证620102198503020039号",
    "620102 19850302 003x",
    "620102-1985-0302-0039",
]
ORDINARY = [
    "2016-04-01 至 2017-03-31",
    "资金 50000 元, 3 年",
    "订单 12345678901234567890",  # longer than either
    "0931-8888888",  # a landline
    "12800138000",  # no mobile prefix 12
    "因病致贫, 需要医疗救助",
]


@pytest.mark.parametrize("text", PERSONAL)
def test_personal_numbers_are_refused_without_being_repeated(text: str) -> None:
    assert personal_number(text) is not None
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(FreeText).validate_python(text)
    [error] = refused.value.errors(include_input=False)
    assert error["type"] == "personal_number" and text not in error["msg"]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_passes(text: str) -> None:
    assert personal_number(text) is None
    assert TypeAdapter(FreeText).validate_python(text) == text


def strings(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(route, field, schema) of every string a JSON request body may carry."""
    components = doc.get("components", {}).get("schemas", {})

    def walk(schema: Any, field: str, seen: frozenset[str]) -> Iterator[tuple[str, Any]]:
        if not isinstance(schema, dict):
            return
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                yield from walk(components[name], field, seen | {name})
            return
        if schema.get("type") == "string":
            yield field, schema
        for name, sub in schema.get("properties", {}).items():
            yield from walk(sub, name, seen)
        for key in ("items", "additionalProperties"):
            yield from walk(schema.get(key), field, seen)
        for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            for sub in schema.get(key, []):
                yield from walk(sub, field, seen)

    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                for field, schema in walk(content["application/json"]["schema"], "", frozenset()):
                    yield f"{method.upper()} {path}", field, schema


@pytest.mark.parametrize("service", SERVICES)
def test_every_free_text_field_of_every_request_body_is_screened(service: str) -> None:
    spec = import_module(f"tuopin_{service}.entrypoints.app").spec
    app = FastAPI(title=spec.title)
    for router in spec.routers:
        app.include_router(router)
    screened, unscreened = set(), []
    for route, field, schema in strings(app.openapi()):
        if schema.get(MARK):
            screened.add(field)
        elif not any(k in schema for k in ("pattern", "format", "enum", "const")):
            if field not in NOT_FREE_TEXT:
                unscreened.append(f"{route}: {field}")
    assert unscreened == []
    assert screened  # each service has free text, and it is screened
