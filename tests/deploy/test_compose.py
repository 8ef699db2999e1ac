"""docker-compose.yml, offline: the Compose Specification's JSON Schema, then the wiring —
settings read by the services' own settings classes, dependencies, ports, topics, secrets."""

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from jsonschema.protocols import Validator

from tuopin_eventkit.settings import refuse_development_keys

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
            if re.search(r"PASSWORD|SECRET|_KEY$", key) or "password=" in value:
                found = list(deploy.variables(value))
                assert found, f"{name}: {key} is a literal"
                assert all(m.group("op") == ":?" for m in found), f"{name}: {key} has a default"
                literal = re.sub(r"\$\{[^}]*\}", "", value)
                assert not re.search(r'password="[^"]', literal), f"{name}: {key} has a literal"
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
        # over TLS, verifying the broker against the CA kafka-tls made, signed in as the
        # service's own user (the one kafka-setup creates, with its password from .env)
        assert settings.kafka.security_protocol == "SASL_SSL"
        assert settings.kafka.sasl_mechanism == "SCRAM-SHA-512"
        assert settings.kafka.sasl_username == f"tuopin-{service.name}"
        password = deploy.TEST_ENV[f"TUOPIN_KAFKA_{service.name.upper()}_PASSWORD"]
        assert settings.kafka.sasl_password.get_secret_value() == password
        setup = deploy.environment_of(compose["services"]["kafka-setup"])
        assert setup[f"{service.name.upper()}_PASSWORD"] == password
        assert service.name in setup["USERS"].split()
        assert mounted_volume(compose["services"][name], settings.kafka.ssl_cafile) == (
            "kafka-ca",
            "ca.crt",
        )
        tls = compose["services"]["kafka-tls"]
        ca_dir = deploy.environment_of(tls)["CA_DIR"]
        assert mounted_volume(tls, f"{ca_dir}/ca.crt") == ("kafka-ca", "ca.crt")
        # deployed: no development key gets through; no proxy in front, none believed
        assert settings.environment == "production"
        refuse_development_keys(settings, environ={})
        assert settings.forwarded_allow_ips == []
        if service.name in ("registry", "loans", "training"):
            assert settings.identity_key.get_secret_value() == "test-identity-key"
        # Deployed, only the OIDC provider's keys are trusted, never the embedded one.
        assert settings.auth.jwks_url == "https://sso.test/realms/tuopin/certs"
        assert settings.auth.issuer == "https://sso.test/realms/tuopin"
        if service.name == "evaluation":  # the dashboard's sign-in page, a public client
            assert settings.auth.client_id == "tuopin-dashboard"


def mounted_volume(service, path) -> tuple[str, str]:
    """(named volume, file in it) that a compose service sees at ``path``."""
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        if str(path).startswith(target.rstrip("/") + "/"):
            assert not source.startswith((".", "/")), volume
            return source, str(path)[len(target.rstrip("/")) + 1 :]
    raise AssertionError(f"nothing mounted at {path}")


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


def test_no_plain_listener_every_connection_is_tls_and_signed_in(compose) -> None:
    kafka = compose["services"]["kafka"]
    env = compose["services"]["kafka"]["environment"]
    listeners = env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    protocols = dict(item.split(":") for item in listeners)
    assert set(protocols.values()) == {"SASL_SSL"}, protocols
    assert env["KAFKA_SASL_ENABLED_MECHANISMS"].split(",") == ["SCRAM-SHA-512", "PLAIN"]
    assert env["KAFKA_LISTENER_NAME_CONTROLLER_SASL_ENABLED_MECHANISMS"] == "PLAIN"
    for listener in protocols:
        # PLAIN knows one user, admin (the super user), on every listener
        jaas = env[f"KAFKA_LISTENER_NAME_{listener}_PLAIN_SASL_JAAS_CONFIG"]
        assert re.findall(r"user_(\w+)=", jaas) == ["admin"], listener
        if listener != "CONTROLLER":  # SCRAM users: the services, created by kafka-setup
            scram = env[f"KAFKA_LISTENER_NAME_{listener}_SCRAM___SHA___512_SASL_JAAS_CONFIG"]
            assert scram.startswith("org.apache.kafka.common.security.scram.ScramLoginModule")
    # ACLs decide: nothing is allowed that no ACL allows, except to the super user
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith(".StandardAuthorizer")
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert env["KAFKA_SUPER_USERS"] == "User:admin"
    # the keystore kafka-tls made, in the volume it made it in
    tls = compose["services"]["kafka-tls"]
    tls_dir = tls["environment"]["TLS_DIR"]
    for setting, name in (("KEYSTORE", "kafka.p12"), ("TRUSTSTORE", "ca.crt")):
        location = env[f"KAFKA_SSL_{setting}_LOCATION"]
        assert mounted_volume(kafka, location) == mounted_volume(tls, f"{tls_dir}/{name}")
    assert kafka["depends_on"] == {"kafka-tls": {"condition": "service_completed_successfully"}}
    assert "--command-config" in kafka["healthcheck"]["test"][-1]


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
        "kafka-setup": {"condition": "service_completed_successfully"},
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


def test_the_dashboard_reaches_loans_across_origins(compose, deploy) -> None:
    """Evaluation's dashboard page (its published origin) reads loans' figures from loans'
    published port in the browser: loans allows that origin alone by CORS, evaluation names
    loans' address (its page's only other connect-src), and no other service opens CORS."""

    def published(name: str) -> str:
        (port,) = compose["services"][name]["ports"]
        host_ip, public, _ = str(port).rsplit(":", 2)
        return f"http://{host_ip}:{public}"

    loans = deploy.environment_of(compose["services"]["loans"])
    evaluation = deploy.environment_of(compose["services"]["evaluation"])
    assert json.loads(loans["TUOPIN_LOANS_CORS_ORIGINS"]) == [published("evaluation")]
    assert evaluation["TUOPIN_EVALUATION_LOANS_URL"] == published("loans")
    for name in ("registry", "training", "evaluation"):
        environment = deploy.environment_of(compose["services"][name])
        assert not any(key.endswith("_CORS_ORIGINS") for key in environment), name


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
def kafka_setup(compose, deploy, tmp_path_factory) -> list[list[str]]:
    """Runs the setup job's script with stand-ins for the Kafka tools that record each
    call (tool first, then its arguments)."""
    job = compose["services"]["kafka-setup"]
    assert job["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert job["restart"] == "no"
    script = job["entrypoint"][-1]
    mounts = dict(reversed(v.split(":")[:2]) for v in job["volumes"])
    source = deploy.ROOT / mounts[script]
    tmp = tmp_path_factory.mktemp("setup")
    log = tmp / "calls"
    for tool in ("kafka-topics.sh", "kafka-configs.sh", "kafka-acls.sh"):
        stub = tmp / tool
        stub.write_text(f'#!/bin/sh\nprintf "%s\\0" {tool} "$@" >> {log}\nprintf "\\n" >> {log}\n')
        stub.chmod(0o755)
    env = dict(deploy.environment_of(job), KAFKA_BIN=str(tmp), PATH=os.environ["PATH"])
    subprocess.run([*job["entrypoint"][:-1], str(source)], env=env, check=True)
    calls = [line.split("\0") for line in log.read_text().split("\0\n") if line]
    config = env["COMMAND_CONFIG"]
    for call in calls:  # each as admin, with the client configuration kafka-tls wrote
        assert call[1:5] == ["--bootstrap-server", "kafka:9092", "--command-config", config]
    tls = compose["services"]["kafka-tls"]
    assert mounted_volume(job, config) == mounted_volume(
        tls, f"{tls['environment']['TLS_DIR']}/admin.properties"
    )
    return [call[:1] + call[5:] for call in calls]


@pytest.fixture(scope="module")
def created_topics(kafka_setup) -> dict[str, dict[str, str]]:
    created: dict[str, dict[str, str]] = {}
    for call in kafka_setup:
        tool, args = call[0], call[1:]
        if tool != "kafka-topics.sh" or "--create" not in args:
            continue
        assert "--if-not-exists" in args
        options = {
            a: args[i + 1] for i, a in enumerate(args) if a.startswith("--") and i + 1 < len(args)
        }
        configs = dict(args[i + 1].split("=") for i, a in enumerate(args) if a == "--config")
        created[options["--topic"]] = {**configs, "partitions": options["--partitions"]}
    return created


def test_the_setup_job_creates_every_topic_and_its_dead_letters(created_topics, deploy) -> None:
    """Event topics kept forever; partners' postings (clear resident-ID numbers) and dead
    letters 30 days, in daily segments."""
    assert set(created_topics) == deploy.topics
    for name, topic in created_topics.items():
        if name in deploy.event_topics:
            assert topic["retention.ms"] == "-1", name  # the log is never deleted
            assert "segment.ms" not in topic, name
        else:
            assert name in deploy.intake_topics or name.endswith(".dlq"), name
            assert topic["retention.ms"] == str(30 * 24 * 3600 * 1000), name
            assert int(topic["segment.ms"]) <= 24 * 3600 * 1000, name
        if not name.endswith(".dlq"):
            assert int(topic["partitions"]) >= 6, name


def test_every_topic_a_service_uses_is_created(created_topics, service) -> None:
    assert service.topics_used() <= set(created_topics)


def granted(kafka_setup) -> dict[str, set[tuple[str, str, str]]]:
    """What kafka-setup allows each principal: (resource type, name, operation)."""
    acls: dict[str, set[tuple[str, str, str]]] = {}
    for call in kafka_setup:
        tool, args = call[0], call[1:]
        if tool != "kafka-acls.sh":
            continue
        assert args[:5] == ["--add", "--allow-principal", args[2], "--allow-host", "*"]
        assert "--deny-principal" not in args
        assert args[args.index("--resource-pattern-type") + 1] == "literal"
        kind = next(a for a in args if a in ("--topic", "--group", "--cluster"))
        name = args[args.index(kind) + 1]
        operations = [args[i + 1] for i, a in enumerate(args) if a == "--operation"]
        principal = args[2].removeprefix("User:")
        acls.setdefault(principal, set()).update((kind[2:], name, op) for op in operations)
    return acls


def test_each_service_has_a_user_allowed_exactly_what_it_does(kafka_setup, service) -> None:
    """The same rule as the Kubernetes KafkaUsers: its topic, the topics its projections,
    reactions and intake consume, in the groups the kernel names, and their dead letters."""
    users = [
        call[call.index("--entity-name") + 1]
        for call in kafka_setup
        if call[0] == "kafka-configs.sh" and "--add-config" in call
    ]
    assert users.count(f"tuopin-{service.name}") == 1
    (scram,) = [c for c in kafka_setup if f"tuopin-{service.name}" in c and "--add-config" in c]
    assert scram[scram.index("--add-config") + 1].startswith("SCRAM-SHA-512=[")
    assert granted(kafka_setup)[f"tuopin-{service.name}"] == service.kafka_acls()


def test_no_user_may_write_another_services_topic(kafka_setup, deploy) -> None:
    from tuopin_contracts.topics import Inbound, Topic

    owners = {str(t): t.owner for t in Topic} | {str(t): t.owner for t in Inbound}
    acls = granted(kafka_setup)
    assert set(acls) == {f"tuopin-{name}" for name in deploy.services}
    for principal, allowed in acls.items():
        service = deploy.services[principal.removeprefix("tuopin-")]
        reads = {t for p in service.spec.subscriptions for t in p.topics}
        reads |= {service.spec.intake.topic} if service.spec.intake else set()
        for kind, name, op in allowed:
            assert op in ("Describe", "Read", "Write"), (principal, name, op)
            if kind != "topic" or op != "Write":
                continue
            if name.endswith(".dlq"):
                assert name.removesuffix(".dlq") in reads, (principal, name)
            else:
                assert owners[name] == service.name, (principal, name)


def test_the_tls_material_verifies_the_broker_by_its_names(compose, deploy, tmp_path) -> None:
    """make-tls.sh, run here with the JDK's keytool: a broker certificate for the names the
    clients use, signed by a CA whose certificate is all the services get; a handshake by the
    services' own TLS context succeeds for those names only. A second run keeps it all."""
    import ssl
    import threading

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        pkcs12,
    )

    from tuopin_eventkit.messaging.kafka import KafkaSettings, security

    keytool = shutil.which("keytool")
    if keytool is None:
        pytest.skip("no keytool (a JDK) here")
    job = compose["services"]["kafka-tls"]
    mounts = dict(reversed(v.split(":")[:2]) for v in job["volumes"])
    script = deploy.ROOT / mounts[job["entrypoint"][-1]]
    env = dict(
        deploy.environment_of(job),
        TLS_DIR=str(tmp_path / "tls"),
        CA_DIR=str(tmp_path / "ca"),
        KEYTOOL=keytool,
        BROKER_UID=str(os.getuid()),
        PATH=os.environ["PATH"],
    )
    subprocess.run(["bash", str(script)], env=env, check=True, capture_output=True)
    assert sorted(p.name for p in (tmp_path / "ca").iterdir()) == ["ca.crt"]
    keystore = (tmp_path / "tls" / "kafka.p12").read_bytes()
    assert oct((tmp_path / "tls" / "kafka.p12").stat().st_mode & 0o777) == "0o400"
    password = deploy.TEST_ENV["TUOPIN_KAFKA_TLS_PASSWORD"].encode()
    key, cert, _ = pkcs12.load_key_and_certificates(keystore, password)
    assert key is not None and cert is not None
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.DNSName)) == {"kafka", "localhost"}
    admin = (tmp_path / "tls" / "admin.properties").read_text()
    assert 'username="admin"' in admin and deploy.TEST_ENV["TUOPIN_KAFKA_ADMIN_PASSWORD"] in admin

    (tmp_path / "server.pem").write_bytes(
        key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        + cert.public_bytes(Encoding.PEM)
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "server.pem")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve(count: int) -> None:
        for _ in range(count):
            connection, _ = listener.accept()
            with contextlib.suppress(ssl.SSLError, OSError):
                with server.wrap_socket(connection, server_side=True) as tls:
                    tls.recv(1)

    thread = threading.Thread(target=serve, args=(3,), daemon=True)
    thread.start()
    settings = KafkaSettings(
        security_protocol="SASL_SSL",
        sasl_username="tuopin-loans",
        sasl_password="x",
        ssl_cafile=tmp_path / "ca" / "ca.crt",
    )
    client = security(settings)["ssl_context"]
    for name, good in (("kafka", True), ("localhost", True), ("postgres", False)):
        with socket.create_connection(("127.0.0.1", port)) as raw:
            if good:
                with client.wrap_socket(raw, server_hostname=name) as tls:
                    assert tls.getpeercert()["subject"] == ((("commonName", "kafka"),),)
            else:
                with pytest.raises(ssl.SSLCertVerificationError):
                    client.wrap_socket(raw, server_hostname=name)
    thread.join(timeout=10)
    listener.close()

    env["ADMIN_PASSWORD"] = "a-new-admin-password"  # rotated: the tools follow, TLS stays
    again = subprocess.run(["bash", str(script)], env=env, check=True, capture_output=True)
    assert b"kept" in again.stdout
    assert (tmp_path / "tls" / "kafka.p12").read_bytes() == keystore
    assert 'password="a-new-admin-password"' in (tmp_path / "tls" / "admin.properties").read_text()


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
