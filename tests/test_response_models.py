"""Every route says what it answers: a 2xx JSON answer in each service's OpenAPI document
has a schema that names its fields (a response model), not an untyped object. A command
route declares its model like any other; the kernel's ``respond`` checks its answer."""

from typing import Any

import pytest

from tuopin_evaluation.entrypoints.app import app as evaluation
from tuopin_loans.entrypoints.app import app as loans
from tuopin_registry.entrypoints.app import app as registry
from tuopin_training.entrypoints.app import app as training

APPS = {"registry": registry, "loans": loans, "training": training, "evaluation": evaluation}


def _untyped(schema: dict[str, Any]) -> bool:
    if "$ref" in schema or "anyOf" in schema:
        return False
    if schema.get("type") == "array":
        return _untyped(schema.get("items", {}))
    return schema.get("type") in (None, "object") and not schema.get("properties")


def untyped_routes(document: dict[str, Any]) -> set[str]:
    found = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if status.startswith("2") and schema is not None and _untyped(schema):
                    found.add(f"{method.upper()} {path}")
    return found


@pytest.mark.parametrize("service", sorted(APPS))
def test_every_route_answers_with_a_response_model(service: str) -> None:
    assert untyped_routes(APPS[service]().openapi()) == set(), "routes answering untyped JSON"
