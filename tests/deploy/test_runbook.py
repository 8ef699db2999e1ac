"""deploy/README.md: every command in it exists — Tuopin's own commands, make targets, files,
compose services, Kubernetes objects and Kafka tools — and the ones that can run here do."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from tuopin_cli.main import app as tuopin
from tuopin_contracts import examples
from tuopin_contracts.topics import Topic
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.testing import publish

README = Path(__file__).resolve().parents[2] / "deploy" / "README.md"
# The tools of the apache/kafka image (and of Strimzi's) that the runbook may name.
KAFKA_TOOLS = {
    "kafka-topics.sh",
    "kafka-consumer-groups.sh",
    "kafka-console-consumer.sh",
    "kafka-get-offsets.sh",
}
SUBCOMMANDS = {"serve", "migrate", "rebuild", "import", "status", "dlq"}
PACKAGES = {
    f"tuopin_{name}"
    for name in ("contracts", "eventkit", "cli", "registry", "loans", "training", "evaluation")
}


def commands() -> list[list[str]]:
    """Every shell command in the runbook's sh blocks, continuation lines joined and
    pipelines and && chains split."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", README.read_text(), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            if not line or line.startswith("#"):
                continue
            for part in re.split(r"\s*(?:\|\s|&&)\s*", line):
                found.append(shlex.split(part, comments=True))
    return found


def test_the_runbook_has_commands() -> None:
    assert len(commands()) > 30


def test_tuopin_commands_exist(deploy) -> None:
    runner = CliRunner()
    checked = 0
    for command in commands():
        for i, word in enumerate(command):
            if i == 0 and word in ("tuopin", ".venv/bin/tuopin") and len(command) > 2:
                service, sub = command[i + 1], command[i + 2]
                result = runner.invoke(tuopin, [service, sub, "--help"])
                assert result.exit_code == 0, (command, result.output)
                checked += 1
            match = re.fullmatch(r"(?:\.venv/bin/)?tuopin-(\w+)", word)
            if match and i + 1 < len(command) and command[i + 1] in SUBCOMMANDS:
                service = deploy.services[match.group(1)]
                assert word.rsplit("/", 1)[-1] in service.scripts
                result = runner.invoke(tuopin, [service.name, command[i + 1], "--help"])
                assert result.exit_code == 0, (command, result.output)
                checked += 1
            if word == "rebuild" and i + 1 < len(command):
                owner = command[i + 1].split(".")[0]
                service = deploy.services[owner]
                service.spec.projection(command[i + 1])  # raises if unknown
    assert checked >= 3


def test_every_projection_is_in_the_replay_table(deploy) -> None:
    table = README.read_text().split("## Replay a projection", 1)[1].split("\n## ", 1)[0]
    for service in deploy.services.values():
        for projection in [*service.spec.projections, *service.spec.inline_projections]:
            assert f"`{projection.name}`" in table, projection.name


def test_make_targets_files_and_kafka_tools_exist(deploy) -> None:
    makefile = (deploy.ROOT / "Makefile").read_text()
    for command in commands():
        if command[0] == "make":
            assert re.search(rf"^{command[1]}:", makefile, re.M), command
        for word in command:
            if re.match(r"deploy/[\w./-]+$", word):
                assert (deploy.ROOT / word).exists(), word
            if word.startswith("/opt/kafka/bin/"):
                assert word.rsplit("/", 1)[-1] in KAFKA_TOOLS, word
    for ref in re.findall(r"`(make [\w-]+)`", README.read_text()):
        assert re.search(rf"^{ref.split()[1]}:", makefile, re.M), ref


def test_compose_commands_name_services_that_exist(compose) -> None:
    services = set(compose["services"])
    global_with_value = {"--profile", "-f", "--file", "-p", "--project-name"}
    with_value = {"-e", "--env", "-u", "--user", "-w", "--workdir"}
    for command in commands():
        if command[:2] != ["docker", "compose"]:
            continue
        words, i = command[2:], 0
        while words[i].startswith("-"):
            i += 2 if words[i] in global_with_value else 1
        sub, rest, arguments, j = words[i], words[i + 1 :], [], 0
        while j < len(rest):
            if rest[j].startswith("-"):
                j += 2 if rest[j] in with_value else 1
                continue
            arguments.append(rest[j])
            if sub in ("exec", "run"):
                break  # the service; what follows is the command run in it
            j += 1
        if sub in ("exec", "run", "build", "up", "stop", "start"):
            assert set(arguments) <= services, command
            assert sub not in ("exec", "run") or arguments, command


def test_kubernetes_commands_name_objects_that_exist(deploy) -> None:
    prod = deploy.render("prod")
    (namespace,) = prod.of("Namespace")
    names = {(d["kind"].lower(), d["metadata"]["name"]) for d in prod.docs}
    for command in commands():
        if command[0] != "kubectl":
            continue
        if "-n" in command:
            assert command[command.index("-n") + 1] == namespace["metadata"]["name"]
        for word in command:
            match = re.fullmatch(r"(deployment|kafka|job)/([\w-]+)", word)
            if match and not match.group(2).endswith("xxxxx"):
                assert (match.group(1), match.group(2)) in names, word
        if "kafkatopic" in command:
            assert ("kafkatopic", command[command.index("kafkatopic") + 1]) in names
        if "cnpg" in command and "backup" in command:
            assert ("cluster", command[command.index("backup") + 1]) in names


def selector_matches(selector: str, labels: dict[str, str]) -> bool:
    for term in selector.split(","):
        key, op, value = re.fullmatch(r"([\w./-]+)\s*(!=|==|=)\s*([\w.-]+)", term.strip()).groups()
        if (labels.get(key) == value) != (op != "!="):
            return False
    return True


def test_the_apply_phases_apply_every_resource_exactly_once(deploy) -> None:
    start = README.read_text().split("### Kubernetes", 1)[1].split("\n## ", 1)[0]
    selectors = re.findall(r"kubectl apply -k deploy/k8s/overlays/prod -l '([^']+)'", start)
    assert len(selectors) == 3
    for overlay in deploy.OVERLAYS:
        for doc in deploy.render(overlay).docs:
            labels = doc["metadata"].get("labels", {})
            hits = [s for s in selectors if selector_matches(s, labels)]
            assert len(hits) == 1, (doc["kind"], doc["metadata"]["name"], hits)
            component = labels.get("app.kubernetes.io/component")
            if doc["kind"] in ("Deployment", "Job"):
                assert component in ("api", "migration")


def test_the_referenced_tests_exist(deploy) -> None:
    for path, name in re.findall(r"`([\w/]+\.py)::(\w+)`", README.read_text()):
        assert re.search(
            rf"^async def {name}\(|^def {name}\(", (deploy.ROOT / path).read_text(), re.M
        )


def test_the_task_job_is_a_valid_job_in_the_service_pod_template(deploy) -> None:
    import kubernetes_validate

    prod = deploy.render("prod")
    deployment = prod.get("Deployment", "loans")
    command = ["tuopin-loans", "rebuild", "loans.borrower_households"]
    done = subprocess.run(
        [sys.executable, str(deploy.K8S / "task.py"), *command],
        input=json.dumps(deployment),
        capture_output=True,
        text=True,
        check=True,
    )
    job = json.loads(done.stdout)
    kubernetes_validate.validate(job, "1.30", strict=True)
    pod = job["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    assert container["command"] == command
    assert container["env"] == deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    assert "readinessProbe" not in container and "ports" not in container
    labels = pod["metadata"]["labels"]
    policy = prod.get("NetworkPolicy", "loans-task")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    assert not prod.get("Service", "loans")["spec"]["selector"].items() <= labels.items()
    assert job["metadata"]["namespace"] == "tuopin"


# --- the commands that can run here --------------------------------------------------------


def run_tuopin(*args: str, env: dict[str, str]) -> str:
    tool = Path(sys.executable).parent / "tuopin"
    done = subprocess.run(
        [str(tool), *args], env={**os.environ, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_migrate_and_replay_an_inline_projection(tmp_path) -> None:
    env = {"TUOPIN_REGISTRY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"}
    assert "migrated to heads" in run_tuopin("registry", "migrate", env=env)
    out = run_tuopin("registry", "rebuild", "registry.household_index", env=env)
    assert "rebuilt from zero, 0 events applied" in out


async def test_replay_a_projection_from_its_topic(tmp_path, kafka_settings) -> None:
    await ensure_topics(kafka_settings, [Topic.REGISTRY])
    await publish(
        kafka_settings, Topic.REGISTRY, *[examples.household_registered() for _ in range(3)]
    )
    env = {
        "TUOPIN_LOANS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'loans.db'}",
        "TUOPIN_LOANS_KAFKA__BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
    }
    run_tuopin("loans", "migrate", env=env)
    for _ in range(2):  # a replay gives the same result however often it runs
        out = run_tuopin("loans", "rebuild", "loans.borrower_households", env=env)
        assert "rebuilt from zero, 3 events applied" in out


def exposed_metrics() -> dict[str, set[str]]:
    """Every metric family and sample name the services expose, with its label names."""
    from prometheus_client.metrics import MetricWrapperBase

    from tuopin_eventkit import metrics

    exposed: dict[str, set[str]] = {}
    for metric in vars(metrics).values():
        if not isinstance(metric, MetricWrapperBase):
            continue
        (family,) = metric.describe()
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}
        for suffix in ["", *suffixes.get(family.type, [])]:
            exposed[family.name + suffix] = set(metric._labelnames) | {"le"}
    return exposed


def test_the_metrics_named_in_the_runbook_and_the_alerts_exist(deploy) -> None:
    exposed = exposed_metrics()
    rules = (deploy.DEPLOY / "prometheus" / "rules.yml").read_text()
    for text in (README.read_text(), rules):
        for name, labels in re.findall(r"\b(tuopin_[a-z_]+)(?:\{([^}]*)\})?", text):
            if name in PACKAGES:
                continue
            assert name in exposed, name
            for label in re.findall(r"(\w+)\s*(?:=~|=|,|$)", labels):
                assert label in exposed[name], f"{name} has no label {label}"
    assert 'outcome="dead_letter"' in rules
