"""The loans service's composition root."""

from fastapi import FastAPI

from tuopin_contracts import Topic
from tuopin_eventkit.web.runtime import ServiceSpec
from tuopin_eventkit.web.service import create_app
from tuopin_loans.adapters import access, http, mutual_aid_api, postings
from tuopin_loans.adapters.messages import MESSAGES
from tuopin_loans.application.borrower_households import projection
from tuopin_loans.application.loan_book import book
from tuopin_loans.application.mutual_aid_book import ledger
from tuopin_loans.config import LoansSettings

spec = ServiceSpec(
    name="loans",
    title="Tuopin loans (精准扶贫专项贷款, 贴息, 风险补偿基金)",
    settings=LoansSettings,
    topic=Topic.LOANS,
    routers=[postings.router, http.router, mutual_aid_api.router],
    projections=[projection],
    inline_projections=[book, ledger],
    intake=postings.intake,
    access=access.ACCESS,
    messages=MESSAGES,
)


def app(settings: LoansSettings | None = None) -> FastAPI:
    return create_app(spec, settings)
