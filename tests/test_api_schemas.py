"""Schemathesis against each service's OpenAPI document, in process (ASGI): no answer is a
5xx, and every answer whose status the document declares matches its schema.

Each service runs as deployed in miniature: its lifespan (migrations, relay, consumers)
on a fresh SQLite file and a Tansu broker, called as the province's administrator, who
reaches every operation, so the fuzzing gets past authorization into the handlers.

Bounded: 25 examples per operation, 20 valid and 5 invalid (``EXAMPLES``), derandomized
(the same cases every run, no example database), no shrinking (a failure is reported with
the case that found it). Status codes the document does not declare (401/403/404/409 of
the kernel, 413, 429) are not failures here: their bodies are all RFC 9457 problems from
one kernel handler, and FastAPI's 422 is declared as that problem (``problems.document``),
so a 422 is checked against it. ``status_code_conformance`` is deliberately not run.
"""

import time
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance

from tuopin_eventkit.messaging.kafka import KafkaSettings
from tuopin_eventkit.testing import ADMIN, bearer
from tuopin_eventkit.web.runtime import ServiceSpec
from tuopin_eventkit.web.service import create_app

SERVICES = ["registry", "loans", "training", "evaluation"]
# Per operation: valid requests (they reach the handlers) and invalid ones (validation).
EXAMPLES = {"positive": 20, "negative": 5}
CHECKS = [not_a_server_error, response_schema_conformance]

# Operations known to fail, with why; the lead clears them. The test fails when one of
# them passes again (so the list cannot go stale) as well as on any failure not listed.
# "<service>: the app" stands for a service that does not start at all.
KNOWN_FAILURES: dict[str, str] = {}


def spec_of(service: str) -> ServiceSpec:
    module = __import__(f"tuopin_{service}.entrypoints.app", fromlist=["spec"])
    return module.spec


def fuzz(operation: schemathesis.APIOperation, headers: dict[str, str]) -> None:
    """Valid and invalid requests for one operation; raises on the first failed check."""
    # Readiness answers what the machine is, not what was asked: its 503 (a dependency that
    # did not answer within 2 s, which a loaded test machine can cause) is a documented
    # answer, held to its schema; test_outages makes the dependencies fail on purpose.
    checks = [response_schema_conformance] if operation.path == "/readyz" else CHECKS
    for mode, examples in EXAMPLES.items():

        @given(case=operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode)))
        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=checks)

        run()


def fuzz_service(service: str, app: Any, headers: dict[str, str]) -> dict[str, str]:
    """Every operation of the app's document; what failed, by operation."""
    failures: dict[str, str] = {}
    # Loading the document starts the app's lifespan in schemathesis' event-loop thread;
    # it runs until shutdown_lifespans below.
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            label = f"{service}: {operation.method.upper()} {operation.path}"
            try:
                fuzz(operation, headers)
            except Exception as exc:  # for a 500, the app's own exception, re-raised in process
                notes = "\n".join(getattr(exc, "__notes__", []))  # the falsifying request
                failures[label] = f"{type(exc).__name__}: {exc}"[:2000] + f"\n{notes}"
    finally:
        asgi.shutdown_lifespans()
    return failures


# schemathesis' own generators trip this Hypothesis deprecation; nothing of ours.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@pytest.mark.parametrize("service", SERVICES)
def test_no_server_error_and_answers_match_the_schema(
    service: str, kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    spec = spec_of(service)
    config = spec.settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / f'{service}.db'}",
        kafka=kafka_settings,
        # Fuzzing calls the public endpoints hundreds of times from one client.
        public_rate_limit="100000/minute",
    )
    try:
        app = create_app(spec, config)
    except Exception as exc:
        failures = {f"{service}: the app": f"{type(exc).__name__}: {exc}"}
    else:
        started = time.monotonic()
        failures = fuzz_service(service, app, bearer(config.auth, ADMIN))
        print(f"{service}: {time.monotonic() - started:.1f}s")

    known = {label for label in KNOWN_FAILURES if label.startswith(f"{service}: ")}
    unexpected = {k: v for k, v in failures.items() if k not in known}
    fixed = known - set(failures)
    report: list[Any] = [f"{label}\n{error}" for label, error in sorted(unexpected.items())]
    report += [f"{label}: passes now, remove it from KNOWN_FAILURES" for label in sorted(fixed)]
    assert not report, "\n\n".join(report)
