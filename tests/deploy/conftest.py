"""Shared pieces of the offline deployment checks: the repository's facts (services, their
settings, topics), the compose file with its variables interpolated, and the Kubernetes
overlays rendered by kustomize — the real one when it is installed, else the small renderer
below, which covers exactly the kustomize features deploy/k8s uses."""

import copy
import functools
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import jsonpatch
import pytest
import yaml
from pydantic_settings import BaseSettings

from tuopin_eventkit.web.runtime import ServiceSpec

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = ("dev", "prod")


# --- the repository's facts ----------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    name: str
    spec: ServiceSpec

    @property
    def prefix(self) -> str:
        return f"TUOPIN_{self.name.upper()}_"

    @property
    def port(self) -> int:
        return int(self.spec.settings.model_fields["port"].default)

    @property
    def package(self) -> str:
        return f"tuopin-{self.name}"

    @property
    def scripts(self) -> dict[str, str]:
        pyproject = tomllib.loads((ROOT / "services" / self.name / "pyproject.toml").read_text())
        return dict(pyproject["project"].get("scripts", {}))

    def topics_used(self) -> set[str]:
        """The topic it publishes to, the topics it consumes (projections, reactions), its
        intake's."""
        used = {t for p in self.spec.subscriptions for t in p.topics}
        if self.spec.intake is not None:
            used.add(self.spec.intake.topic)
        return used | ({self.spec.topic} if self.spec.topic else set())

    def consumer_groups(self) -> set[str]:
        """The Kafka consumer groups it joins, named as the kernel names them: each
        projection's or reaction's consumer its name, the intake ``<service>.intake``."""
        from tuopin_eventkit.messaging.kafka import KafkaSettings
        from tuopin_eventkit.web.inbound import IntakeConsumer
        from tuopin_eventkit.web.runtime import Runtime

        groups = {p.name for p in self.spec.subscriptions}  # ProjectionConsumer's group_id
        if self.spec.intake is not None:
            settings = SimpleNamespace(kafka=KafkaSettings())
            runtime = cast(Runtime, SimpleNamespace(spec=self.spec, settings=settings))
            groups.add(IntakeConsumer(runtime, self.spec.intake).group)
        return groups

    def kafka_acls(self) -> set[tuple[str, str, str]]:
        """(resource type, name, operation) it needs on the broker, and nothing more: its
        relay writes its topic and reads it back (the log check); every projection and
        reaction reads its topics in its own group and parks dead letters on their .dlq
        (which ``status`` and ``dlq`` read); the intake reads its topic (and ``dlq
        redrive`` writes a refused posting back) and its .dlq; ``ensure_topics`` describes
        each topic it names and its .dlq."""
        acls: set[tuple[str, str, str]] = set()

        def allow(kind: str, name: str, *operations: str) -> None:
            acls.update((kind, name, op) for op in operations)

        if self.spec.topic:
            allow("topic", self.spec.topic, "Describe", "Read", "Write")
            allow("topic", f"{self.spec.topic}.dlq", "Describe")
        for topic in {t for p in self.spec.subscriptions for t in p.topics}:
            allow("topic", topic, "Describe", "Read")
            allow("topic", f"{topic}.dlq", "Describe", "Read", "Write")
        if self.spec.intake is not None:
            allow("topic", self.spec.intake.topic, "Describe", "Read", "Write")
            allow("topic", f"{self.spec.intake.topic}.dlq", "Describe", "Read", "Write")
        for group in self.consumer_groups():
            allow("group", group, "Describe", "Read")
        return acls

    def settings_from(self, environment: Mapping[str, str]) -> BaseSettings:
        """Its settings as the service itself would read them from this environment."""
        saved = {k: v for k, v in os.environ.items() if k.startswith(self.prefix)}
        for key in saved:
            del os.environ[key]
        os.environ.update({k: str(v) for k, v in environment.items()})
        try:
            return self.spec.settings()
        finally:
            for key in environment:
                os.environ.pop(key, None)
            os.environ.update(saved)

    def unknown_variables(self, environment: Mapping[str, str]) -> list[str]:
        """Variables with this service's prefix that match no setting (silently ignored)."""
        fields = self.spec.settings.model_fields
        unknown = []
        for key in environment:
            if not key.startswith(self.prefix):
                continue
            name, _, nested = key.removeprefix(self.prefix).lower().partition("__")
            field = fields.get(name)
            if field is None:
                unknown.append(key)
            elif nested:
                model = field.annotation
                if not hasattr(model, "model_fields") or nested not in model.model_fields:
                    unknown.append(key)
        return unknown


def _specs() -> dict[str, ServiceSpec]:
    from tuopin_evaluation.entrypoints.app import spec as evaluation
    from tuopin_loans.entrypoints.app import spec as loans
    from tuopin_registry.entrypoints.app import spec as registry
    from tuopin_training.entrypoints.app import spec as training

    return {s.name: s for s in (registry, loans, training, evaluation)}


@functools.cache
def services() -> dict[str, Service]:
    found = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").exists())
    specs = _specs()
    assert sorted(specs) == found, "a service package without a spec here, or the reverse"
    return {name: Service(name, specs[name]) for name in found}


def all_topics() -> set[str]:
    from tuopin_contracts.topics import Inbound, Topic

    return {name for topic in [*Topic, *Inbound] for name in (topic.value, topic.dlq)}


def event_topics() -> set[str]:
    """The services' event topics: the history, kept forever."""
    from tuopin_contracts.topics import Topic

    return {topic.value for topic in Topic}


def intake_topics() -> set[str]:
    """Where partners post (clear resident-ID numbers): kept 30 days."""
    from tuopin_contracts.topics import Inbound

    return {topic.value for topic in Inbound}


# --- compose -------------------------------------------------------------------------------

# Compose interpolation (the subset the file uses, as the spec defines it): $$ escapes,
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}.
_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
)

# A complete environment, as an operator's .env would give it.
TEST_ENV = {
    "POSTGRES_PASSWORD": "test-postgres-password",
    "TUOPIN_DB_PASSWORD": "test-db-password",
    "TUOPIN_IDENTITY_KEY": "test-identity-key",
    "TUOPIN_REGISTRY_PEOPLE_KEY": "dGVzdC1wZW9wbGUta2V5LTMyLWJ5dGVzLWxvbmchISE=",
    "TUOPIN_OIDC_ISSUER": "https://sso.test/realms/tuopin",
    "TUOPIN_OIDC_JWKS_URL": "https://sso.test/realms/tuopin/certs",
    "TUOPIN_KAFKA_TLS_PASSWORD": "test-keystore-password",
    "TUOPIN_KAFKA_ADMIN_PASSWORD": "test-kafka-admin-password",
    "TUOPIN_KAFKA_REGISTRY_PASSWORD": "test-kafka-registry-password",
    "TUOPIN_KAFKA_LOANS_PASSWORD": "test-kafka-loans-password",
    "TUOPIN_KAFKA_TRAINING_PASSWORD": "test-kafka-training-password",
    "TUOPIN_KAFKA_EVALUATION_PASSWORD": "test-kafka-evaluation-password",
}


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        present = name in env and (env[name] != "" or not (op or "").startswith(":"))
        if present:
            return env[name]
        if op in (":-", "-"):
            return arg
        if op in (":?", "?"):
            raise KeyError(f"{name}: {arg}")
        return ""

    return _VARIABLE.sub(substitute, value)


def variables(value: Any) -> Iterator[re.Match[str]]:
    """Every ${…} in a loaded compose document."""
    if isinstance(value, dict):
        for v in value.values():
            yield from variables(v)
    elif isinstance(value, list):
        for v in value:
            yield from variables(v)
    elif isinstance(value, str):
        yield from (m for m in _VARIABLE.finditer(value) if m.group("name"))


def environment_of(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


@pytest.fixture(scope="session")
def compose_raw() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="session")
def compose(compose_raw: dict[str, Any]) -> dict[str, Any]:
    """The compose file as docker compose sees it once .env holds every secret."""
    return interpolate(compose_raw, TEST_ENV)


# --- Kubernetes ----------------------------------------------------------------------------


def real_kustomize() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        probe = subprocess.run(
            ["kubectl", "kustomize", "--help"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return ["kubectl", "kustomize"]
    return None


def kustomize(directory: Path) -> list[dict[str, Any]]:
    command = real_kustomize()
    assert command is not None
    out = subprocess.run([*command, str(directory)], capture_output=True, text=True, check=True)
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


# Kinds deploy/k8s uses that have no namespace.
CLUSTER_SCOPED = {"Namespace"}
# Kinds whose pod template gets the images transformer.
POD_TEMPLATES = {"Deployment": ("spec", "template"), "Job": ("spec", "template")}
SUPPORTED = {"apiVersion", "kind", "namespace", "resources", "images", "patches", "labels"}


def mini_kustomize(directory: Path) -> list[dict[str, Any]]:
    """kustomize build for what deploy/k8s uses, and nothing more: resources (files and
    kustomization directories), labels (metadata only), JSON 6902 patches with targets,
    images, namespace. Anything else is refused, so it can never silently differ."""
    k = yaml.safe_load((directory / "kustomization.yaml").read_text())
    if unsupported := set(k) - SUPPORTED:
        raise NotImplementedError(f"{directory}: kustomize fields {sorted(unsupported)}")
    docs: list[dict[str, Any]] = []
    for entry in k.get("resources", []):
        path = directory / entry
        if path.is_dir():
            docs += mini_kustomize(path)
        else:
            docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    for label in k.get("labels", []):
        if set(label) != {"pairs"}:
            raise NotImplementedError(f"labels options {sorted(label)}")
        for doc in docs:
            doc["metadata"].setdefault("labels", {}).update(label["pairs"])
    for patch in k.get("patches", []):
        if set(patch) != {"target", "patch"}:
            raise NotImplementedError(f"patch fields {sorted(patch)}")
        operations = yaml.safe_load(patch["patch"])
        if not isinstance(operations, list):
            raise NotImplementedError("only JSON 6902 patches")
        hits = [i for i, doc in enumerate(docs) if _targets(doc, patch["target"])]
        assert hits, f"patch target {patch['target']} matches nothing"
        for i in hits:
            docs[i] = jsonpatch.apply_patch(docs[i], operations)
    for image in k.get("images", []):
        for doc in docs:
            if doc["kind"] in POD_TEMPLATES:
                template = doc
                for key in POD_TEMPLATES[doc["kind"]]:
                    template = template[key]
                for container in template["spec"].get("containers", []):
                    if _repository(container["image"]) == image["name"]:
                        name = image.get("newName", image["name"])
                        container["image"] = f"{name}:{image['newTag']}"
    if namespace := k.get("namespace"):
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = namespace
    return docs


def _repository(image: str) -> str:
    """An image reference without its tag or digest."""
    name = image.partition("@")[0]
    head, _, last = name.rpartition("/")
    last = last.partition(":")[0]
    return f"{head}/{last}" if head else last


def _targets(doc: dict[str, Any], target: Mapping[str, str]) -> bool:
    if set(target) - {"group", "kind", "name"}:
        raise NotImplementedError(f"patch target fields {sorted(target)}")
    api = doc["apiVersion"]
    group = api.split("/")[0] if "/" in api else ""
    return (
        target.get("kind", doc["kind"]) == doc["kind"]
        and target.get("name", doc["metadata"]["name"]) == doc["metadata"]["name"]
        and target.get("group", group) == group
    )


@dataclass(frozen=True)
class Rendered:
    overlay: str
    renderer: str
    docs: list[dict[str, Any]]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [d for d in self.of(kind) if d["metadata"]["name"] == name]
        assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
        return copy.deepcopy(found[0])


@functools.cache
def render(overlay: str) -> Rendered:
    directory = K8S / "overlays" / overlay
    if real_kustomize():
        return Rendered(overlay, " ".join(real_kustomize() or []), kustomize(directory))
    return Rendered(overlay, "tests/deploy mini_kustomize", mini_kustomize(directory))


@pytest.fixture(params=OVERLAYS, scope="session")
def rendered(request: pytest.FixtureRequest) -> Rendered:
    return render(request.param)


# --- what the test modules get -----------------------------------------------------------
# (Test modules cannot import this file under --import-mode=importlib; they get it all
# through fixtures: `deploy` for the helpers, `service` for each service in turn.)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "service" in metafunc.fixturenames:
        metafunc.parametrize("service", list(services().values()), ids=list(services()))


@pytest.fixture(scope="session")
def deploy() -> SimpleNamespace:
    return SimpleNamespace(
        ROOT=ROOT,
        DEPLOY=DEPLOY,
        K8S=K8S,
        OVERLAYS=OVERLAYS,
        TEST_ENV=TEST_ENV,
        services=services(),
        topics=all_topics(),
        event_topics=event_topics(),
        intake_topics=intake_topics(),
        interpolate=interpolate,
        variables=variables,
        environment_of=environment_of,
        real_kustomize=real_kustomize,
        kustomize=kustomize,
        mini_kustomize=mini_kustomize,
        render=render,
    )
