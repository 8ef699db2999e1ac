"""The services' command groups, imported only when one is called: importing a service's
CLI imports its whole app (FastAPI, SQLAlchemy models, …), seconds each, which `tuopin
--help` and `tuopin token` have no use for."""

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

# name -> (module holding the service's Typer ``app``, the line `tuopin --help` shows)
SERVICES = {
    "registry": ("tuopin_registry.entrypoints.cli", "建档立卡（Tuopin registry）"),
    "loans": (
        "tuopin_loans.entrypoints.cli",
        "扶贫贷款：精准扶贫专项贷款、贴息、风险补偿金（Tuopin loans）",
    ),
    "training": ("tuopin_training.entrypoints.cli", "技能培训与教育资助（Tuopin training）"),
    "evaluation": ("tuopin_evaluation.entrypoints.cli", "考核评估（Tuopin evaluation）"),
}


class ServiceGroup(TyperGroup):
    """Stands in for a service's command group in the listing; called, it imports the
    real one and hands it the arguments (click invokes ``sub_ctx.command``, the real one)."""

    def __init__(self, name: str, module: str, help: str) -> None:
        super().__init__(name=name, help=help)
        self.module = module

    def load(self) -> TyperGroup:
        command = typer.main.get_command(importlib.import_module(self.module).app)
        assert isinstance(command, TyperGroup)  # a service's CLI has several commands
        command.name = self.name
        return command

    def make_context(self, info_name: Any, args: Any, parent: Any = None, **extra: Any) -> Any:
        return self.load().make_context(info_name, args, parent=parent, **extra)


class TuopinGroup(TyperGroup):
    """`tuopin`'s own commands, then one lazy group per service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, (module, help) in SERVICES.items():
            self.add_command(ServiceGroup(name, module, help))
