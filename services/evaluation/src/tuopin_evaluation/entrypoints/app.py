"""The evaluation service's composition root."""

from fastapi import FastAPI

from tuopin_contracts import Topic
from tuopin_evaluation.adapters import (
    access,
    assessments_api,
    counties_api,
    dashboard,
    education_api,
    return_warnings_api,
    signin,
)
from tuopin_evaluation.adapters.http import router
from tuopin_evaluation.adapters.messages import MESSAGES
from tuopin_evaluation.adapters.rollups_api import router as rollups_router
from tuopin_evaluation.application.assessments import frames as assessment_frames
from tuopin_evaluation.application.exit_judgement import exit_judgement
from tuopin_evaluation.application.households import household_facts
from tuopin_evaluation.application.reach import programme_reach
from tuopin_evaluation.application.return_watch import warning_list
from tuopin_evaluation.config import EvaluationSettings
from tuopin_eventkit.web.runtime import ServiceSpec
from tuopin_eventkit.web.service import create_app

spec = ServiceSpec(
    name="evaluation",
    title="Tuopin evaluation (考评)",
    settings=EvaluationSettings,
    topic=Topic.EVALUATION,
    routers=[
        router,
        assessments_api.router,
        rollups_router,
        counties_api.router,
        return_warnings_api.router,
        education_api.router,
        dashboard.router,
        signin.router,
    ],
    projections=[household_facts(), programme_reach()],
    reactions=[exit_judgement],  # verdicts on exits put on notice, return warnings
    inline_projections=[warning_list()],  # the counties' work list of return warnings
    private_tables=[assessment_frames],  # third-party assessments by county and year
    access=access.ACCESS,
    messages=MESSAGES,
)


def app(settings: EvaluationSettings | None = None) -> FastAPI:
    return create_app(spec, settings)
