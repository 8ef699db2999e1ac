"""The loans service's composition root."""

from pathlib import Path

from fastapi import FastAPI

from tuopin_contracts import Topic
from tuopin_eventkit.service import ServiceSpec, create_app
from tuopin_loans.adapters.http import router
from tuopin_loans.application.borrower_households import projection
from tuopin_loans.config import LoansSettings

spec = ServiceSpec(
    name="loans",
    title="Tuopin loans (精准扶贫专项贷款)",
    settings=LoansSettings,
    migrations=Path(__file__).parents[1] / "migrations" / "versions",
    topic=Topic.LOANS,
    routers=[router],
    projections=[projection],
)


def app(settings: LoansSettings | None = None) -> FastAPI:
    return create_app(spec, settings)
