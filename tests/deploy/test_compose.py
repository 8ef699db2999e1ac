"""docker-compose.yml, offline: the Compose Specification's JSON Schema, then the wiring —
settings read by the services' own settings classes, dependencies, ports, topics, secrets."""

import json
import os
import shlex
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from jsonschema.protocols import Validator

SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
LONG_RUNNING = {"kafka", "postgres"}


@pytest.fixture(scope="module")
def validator() -> Validator:
    schema = json.loads(SCHEMA.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def tuopin_services(compose, deploy):
    return {name: compose["services"][name] for name in deploy.services}


# --- the specification ---------------------------------------------------------------------


def test_the_file_matches_the_compose_specification(validator, compose_raw, compose) -> None:
    for document in (compose_raw, compose):  # as written, and once the variables are set
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_the_schema_is_not_vacuous(validator, compose) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["registry"]["depends_on"]["kafka"]["condition"] = "service_ready"
    broken["services"]["loans"]["restart_policy"] = "always"
    paths = {tuple(e.absolute_path)[:3] for e in validator.iter_errors(broken)}
    assert ("services", "registry", "depends_on") in paths
    assert ("services", "loans") in paths


def test_every_secret_comes_from_the_environment(compose_raw, deploy) -> None:
    """No literal secret: each is a required ${VAR:?…} without a default, and every
    required variable is named in deploy/compose.env.example."""
    example = (deploy.DEPLOY / "compose.env.example").read_text()
    for name, service in compose_raw["services"].items():
        for key, value in deploy.environment_of(service).items():
            if any(word in key for word in ("PASSWORD", "SECRET", "_KEY")):
                found = list(deploy.variables(value))
                assert found, f"{name}: {key} is a literal"
                assert all(m.group("op") == ":?" for m in found), f"{name}: {key} has a default"
    required = {m.group("name") for m in deploy.variables(compose_raw) if m.group("op") == ":?"}
    assert required == set(deploy.TEST_ENV)
    for name in required:
        assert f"\n{name}=\n" in example, f"{name} missing (or given a value) in the example"


def test_a_missing_secret_stops_compose(compose_raw, deploy) -> None:
    env = dict(deploy.TEST_ENV, TUOPIN_IDENTITY_KEY="")
    with pytest.raises(KeyError, match="TUOPIN_IDENTITY_KEY"):
        deploy.interpolate(compose_raw, env)


# --- the wiring ----------------------------------------------------------------------------


def test_settings_are_read_by_the_service_as_intended(compose, deploy, service) -> None:
    """Each variable is one the service reads (a typo would be silently ignored), and the
    values land in the service's own settings class."""
    for name in (service.name, f"{service.name}-migrate"):
        env = deploy.environment_of(compose["services"][name])
        assert not service.unknown_variables(env), name
        settings = service.settings_from(env)
        assert settings.port == service.port
        assert settings.host == "0.0.0.0"
        assert settings.migrate_on_start is False
        assert settings.database_url.startswith("postgresql+asyncpg://")
        assert settings.kafka.bootstrap_servers == "kafka:9092"
        if service.name in ("registry", "loans", "training"):
            assert settings.identity_key.get_secret_value() == "test-identity-key"
        # Deployed, only the OIDC provider's keys are trusted, never the embedded one.
        assert settings.auth.jwks_url == "https://sso.test/realms/tuopin/certs"
        assert settings.auth.issuer == "https://sso.test/realms/tuopin"


def test_the_database_url_points_at_the_service_own_database(compose, deploy, service) -> None:
    postgres = compose["services"]["postgres"]
    databases = deploy.environment_of(postgres)["TUOPIN_DATABASES"].split()
    assert sorted(databases) == sorted(deploy.services)
    env = deploy.environment_of(compose["services"][service.name])
    url = urlsplit(env[f"{service.prefix}DATABASE_URL"])
    assert (url.hostname, url.port) == ("postgres", 5432)
    assert url.path == f"/{service.name}"
    assert url.username == service.name  # the role that owns that database, and only it
    assert url.password == deploy.TEST_ENV["TUOPIN_DB_PASSWORD"]
    init = [v for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v]
    assert init and (deploy.ROOT / init[0].split(":")[0]).exists()


def test_the_broker_address_is_a_kafka_listener(compose, deploy, service) -> None:
    kafka = deploy.environment_of(compose["services"]["kafka"])
    advertised = dict(item.split("://") for item in kafka["KAFKA_ADVERTISED_LISTENERS"].split(","))
    inter_broker = kafka["KAFKA_INTER_BROKER_LISTENER_NAME"]
    env = deploy.environment_of(compose["services"][service.name])
    assert env[f"{service.prefix}KAFKA__BOOTSTRAP_SERVERS"] == advertised[inter_broker]
    # KRaft, one node: broker and controller, the controller quorum being itself.
    assert set(kafka["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert kafka["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{kafka['KAFKA_NODE_ID']}@kafka:9093"
    listeners = {item.split("://")[0] for item in kafka["KAFKA_LISTENERS"].split(",")}
    protocols = dict(
        item.split(":") for item in kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    assert listeners == set(protocols) >= {kafka["KAFKA_CONTROLLER_LISTENER_NAMES"], inter_broker}


def test_dependencies_wait_for_what_each_service_needs(compose, deploy, service) -> None:
    services = compose["services"]
    for name, definition in services.items():
        for dependency in definition.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
    migrate = services[f"{service.name}-migrate"]
    assert migrate["command"] == [f"tuopin-{service.name}", "migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    main = services[service.name]
    assert main["image"] == migrate["image"] and main["environment"] == migrate["environment"]
    assert main["depends_on"] == {
        f"{service.name}-migrate": {"condition": "service_completed_successfully"},
        "kafka-topics": {"condition": "service_completed_successfully"},
        "postgres": {"condition": "service_healthy"},
        "kafka": {"condition": "service_healthy"},
    }
    for needed in ("postgres", "kafka"):
        assert "healthcheck" in services[needed]


def test_no_dependency_cycle(compose) -> None:
    graph = {name: set(s.get("depends_on", {})) for name, s in compose["services"].items()}
    done: set[str] = set()
    while graph.keys() - done:
        ready = {n for n in graph.keys() - done if graph[n] <= done}
        assert ready, f"cycle among {sorted(graph.keys() - done)}"
        done |= ready


def test_services_are_healthchecked_on_readyz(compose, service) -> None:
    check = compose["services"][service.name]["healthcheck"]["test"]
    assert check[:2] == ["CMD", "python"]
    assert f"http://127.0.0.1:{service.port}/readyz" in check[-1]


def test_published_ports_do_not_clash(compose, deploy) -> None:
    seen: dict[tuple[str, str], str] = {}
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            host_ip, published, target = str(port).rsplit(":", 2)
            assert host_ip == "127.0.0.1", f"{name}: publish on the loopback only"
            assert (host_ip, published) not in seen, f"{name} and {seen[(host_ip, published)]}"
            seen[(host_ip, published)] = name
            if name in deploy.services:
                assert int(target) == deploy.services[name].port
    # 9092 stays free for `make run` (the embedded broker); Kafka's host listener is elsewhere.
    assert ("127.0.0.1", "9092") not in seen


def test_the_containers_are_hardened(compose, deploy) -> None:
    for name, service in compose["services"].items():
        if service.get("image", "").startswith("tuopin/"):
            assert service["read_only"] is True and service["tmpfs"] == ["/tmp"], name
            assert service["cap_drop"] == ["ALL"], name
            assert "no-new-privileges:true" in service["security_opt"], name


def test_named_volumes_are_declared(compose) -> None:
    declared = set(compose.get("volumes", {}))
    used = set()
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                used.add(source)
    assert used == declared
    assert {"kafka-data", "postgres-data"} <= declared


# --- topics --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def created_topics(compose, deploy, tmp_path_factory) -> dict[str, dict[str, str]]:
    """Runs the topic job's script with a stand-in kafka-topics.sh that records each call."""
    job = compose["services"]["kafka-topics"]
    assert job["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert job["restart"] == "no"
    script = job["entrypoint"][-1]
    mounts = dict(reversed(v.split(":")[:2]) for v in job["volumes"])
    source = deploy.ROOT / mounts[script]
    tmp = tmp_path_factory.mktemp("topics")
    log = tmp / "calls"
    stub = tmp / "kafka-topics.sh"
    stub.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {log}\n')
    stub.chmod(0o755)
    env = dict(deploy.environment_of(job), KAFKA_TOPICS=str(stub), PATH=os.environ["PATH"])
    subprocess.run([*job["entrypoint"][:-1], str(source)], env=env, check=True)
    created: dict[str, dict[str, str]] = {}
    for line in log.read_text().splitlines():
        args = shlex.split(line)
        if "--create" not in args:
            continue
        assert (
            "--if-not-exists" in args and args[args.index("--bootstrap-server") + 1] == "kafka:9092"
        )
        options = {
            a: args[i + 1] for i, a in enumerate(args) if a.startswith("--") and i + 1 < len(args)
        }
        configs = dict(args[i + 1].split("=") for i, a in enumerate(args) if a == "--config")
        created[options["--topic"]] = {**configs, "partitions": options["--partitions"]}
    return created


def test_the_topic_job_creates_every_topic_and_its_dead_letters(created_topics, deploy) -> None:
    assert set(created_topics) == deploy.topics
    for name, topic in created_topics.items():
        assert topic["retention.ms"] == "-1", name  # the log is never deleted
        if not name.endswith(".dlq"):
            assert int(topic["partitions"]) >= 6, name


def test_every_topic_a_service_uses_is_created(created_topics, service) -> None:
    assert service.topics_used() <= set(created_topics)


# --- Prometheus ----------------------------------------------------------------------------


def test_prometheus_scrapes_every_service(compose, deploy) -> None:
    prometheus = compose["services"]["prometheus"]
    assert prometheus["profiles"] == ["metrics"]
    config = yaml.safe_load((deploy.DEPLOY / "prometheus" / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    targets = {t for group in job["static_configs"] for t in group["targets"]}
    assert targets == {f"{s.name}:{s.port}" for s in deploy.services.values()}
    assert [r.replace("/etc/prometheus/", "") for r in config["rule_files"]] == ["rules.yml"]


def test_postgres_init_script_gives_each_service_its_own_database(deploy) -> None:
    """Runs the init script against the test PostgreSQL (CI has one), under unique names."""
    url = os.environ.get("TUOPIN_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TUOPIN_TEST_POSTGRES_URL is not set")
    server = urlsplit(url)
    base = {
        "PATH": os.environ["PATH"],
        "PGHOST": server.hostname or "127.0.0.1",
        "PGPORT": str(server.port or 5432),
    }
    suffix = f"deploytest{os.getpid()}"
    names = [f"a_{suffix}", f"b_{suffix}"]
    admin = server.username or "postgres"
    env = dict(base, POSTGRES_USER=admin, TUOPIN_DATABASES=" ".join(names), TUOPIN_DB_PASSWORD="pw")

    def psql(user: str, db: str, sql: str) -> subprocess.CompletedProcess[str]:
        command = ["psql", "-X", "-At", "-U", user, "-d", db, "-c", sql]
        return subprocess.run(command, env=base, capture_output=True, text=True, check=False)

    try:
        script = deploy.DEPLOY / "postgres" / "init-databases.sh"
        subprocess.run(["bash", str(script)], env=env, check=True, capture_output=True)
        for name in names:
            owner = psql(
                admin,
                "postgres",
                f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{name}'",
            )
            assert owner.stdout.strip() == name
            assert psql(name, name, "SELECT current_database()").stdout.strip() == name
        refused = psql(names[0], names[1], "SELECT 1")
        assert refused.returncode != 0 and "permission denied" in refused.stderr
    finally:
        for name in names:
            psql(admin, "postgres", f"DROP DATABASE IF EXISTS {name}")
            psql(admin, "postgres", f"DROP ROLE IF EXISTS {name}")
