"""The training service's composition root."""

from fastapi import FastAPI

from tuopin_contracts import Topic
from tuopin_contracts.topics import Inbound
from tuopin_eventkit.web.inbound import Intake
from tuopin_eventkit.web.runtime import ServiceSpec
from tuopin_eventkit.web.service import create_app
from tuopin_training.adapters import access
from tuopin_training.adapters.http import router
from tuopin_training.adapters.messages import MESSAGES
from tuopin_training.adapters.postings_api import handle
from tuopin_training.application import records, trainee_households
from tuopin_training.application.postings import CentrePosting
from tuopin_training.config import TrainingSettings

spec = ServiceSpec(
    name="training",
    title="Tuopin training (技能培训)",
    settings=TrainingSettings,
    topic=Topic.TRAINING,
    routers=[router],
    projections=[trainee_households.projection],
    inline_projections=[records.projection],
    # The inbound topic takes what the posting endpoint takes, under the same rule.
    intake=Intake(
        topic=Inbound.CENTRE_POSTINGS,
        body=CentrePosting,
        handle=handle,
        rule=access.ACCESS["POST /v1/centre-postings"],
    ),
    access=access.ACCESS,
    messages=MESSAGES,
)


def app(settings: TrainingSettings | None = None) -> FastAPI:
    return create_app(spec, settings)
