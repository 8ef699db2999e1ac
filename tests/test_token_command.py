"""`tuopin token` mints what the services accept, and refuses what they would refuse."""

from typer.testing import CliRunner

from tuopin_cli.main import app
from tuopin_eventkit.security.auth import Principal, Role
from tuopin_eventkit.security.tokens import AuthSettings, Verifier


def test_a_minted_bank_token_verifies_as_that_bank() -> None:
    result = CliRunner().invoke(
        app, ["token", "--role", "bank", "--org", "gansu-rcc", "--subject", "rcc-gateway"]
    )
    assert result.exit_code == 0, result.output
    who = Verifier(AuthSettings()).verify(result.output.strip())
    assert who == Principal("rcc-gateway", Role.BANK, org="gansu-rcc")


def test_an_evaluator_token_carries_its_counties() -> None:
    args = ["token", "--role", "evaluator", "--county", "621121", "--county", "621122"]
    result = CliRunner().invoke(app, args)
    who = Verifier(AuthSettings()).verify(result.output.strip())
    assert who.counties == {"621121", "621122"} and who.actor.startswith("evaluator:")


def test_a_county_officer_needs_a_county_code() -> None:
    result = CliRunner().invoke(app, ["token", "--role", "county_officer", "--region", "62"])
    assert result.exit_code == 2 and "6-digit region" in result.output


def test_a_token_lives_no_longer_than_the_services_accept() -> None:
    args = ["token", "--role", "auditor", "--minutes", str(80 * 365 * 24 * 60)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "at most 720 minutes" in result.output
    longest = CliRunner().invoke(app, ["token", "--role", "auditor", "--minutes", "720"])
    assert Verifier(AuthSettings()).verify(longest.output.strip()).role == Role.AUDITOR


def test_an_evaluator_names_real_counties() -> None:
    result = CliRunner().invoke(app, ["token", "--role", "evaluator", "--county", "620000"])
    assert result.exit_code == 2 and "an evaluator token names its counties" in result.output
