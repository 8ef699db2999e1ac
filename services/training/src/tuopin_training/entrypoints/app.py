"""The training service's composition root."""

from pathlib import Path

from fastapi import FastAPI

from tuopin_contracts import Topic
from tuopin_eventkit.service import ServiceSpec, create_app
from tuopin_training.adapters.http import router
from tuopin_training.application.trainee_households import projection
from tuopin_training.config import TrainingSettings

spec = ServiceSpec(
    name="training",
    title="Tuopin training (技能培训)",
    settings=TrainingSettings,
    migrations=Path(__file__).parents[1] / "migrations" / "versions",
    topic=Topic.TRAINING,
    routers=[router],
    projections=[projection],
)


def app(settings: TrainingSettings | None = None) -> FastAPI:
    return create_app(spec, settings)
