"""`tuopin --help` and `tuopin token` start without importing any service: each service's
command group is imported only when it is called (tuopin_cli.lazy)."""

import json
import subprocess
import sys

from typer.testing import CliRunner

from tuopin_cli.main import app

SERVICE_PACKAGES = ["tuopin_registry", "tuopin_loans", "tuopin_training", "tuopin_evaluation"]
# What the services are built on, and `up` alone needs: none of it for a token.
SERVER_SIDE = ["sqlalchemy", "fastapi", "aiokafka", "httpx"]

PROBE = """
import json, sys
args, watched = json.loads(sys.argv[1]), set(json.loads(sys.argv[2]))
sys.argv = ["tuopin", *args]
from tuopin_cli.main import app
try:
    app()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in watched)))
"""


def loaded_by(*args: str, watch: list[str] = SERVICE_PACKAGES + SERVER_SIDE) -> list[str]:
    """The modules of ``watch`` a fresh `tuopin ARGS` process imported."""
    run = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(watch)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_help_and_token_import_no_service() -> None:
    assert loaded_by("--help") == []
    # Nor, for the listing, the token machinery (PyJWT, cryptography, pydantic-settings).
    assert loaded_by("--help", watch=["jwt", "cryptography", "pydantic_settings"]) == []
    assert loaded_by("token", "--role", "province_admin", "--region", "62") == []


def test_help_still_lists_every_service_and_a_service_group_still_runs() -> None:
    listing = CliRunner().invoke(app, ["--help"])
    assert listing.exit_code == 0
    for name in ["token", "up", *[p.removeprefix("tuopin_") for p in SERVICE_PACKAGES]]:
        assert name in listing.output
    assert "建档立卡" in listing.output
    group = CliRunner().invoke(app, ["loans", "--help"])
    assert group.exit_code == 0, group.output
    assert "rebuild" in group.output and "migrate" in group.output
    assert "loans [OPTIONS] COMMAND" in group.output  # the real group, under its own name
