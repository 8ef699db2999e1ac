"""deploy/k8s, offline: each overlay rendered by kustomize, every standard resource checked
against the Kubernetes OpenAPI schemas (kubernetes-validate, strict: unknown fields fail),
the Strimzi and CloudNativePG resources against validators compiled from the operators'
published schemas (node; see tests/deploy/crd), then the wiring between them."""

import base64
import copy
import hashlib
import ipaddress
import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
from kubernetes_validate.utils import SchemaNotFoundError, latest_version

from tuopin_eventkit.settings import refuse_development_keys

# The oldest Kubernetes the manifests are meant for, and the newest the schemas know.
KUBERNETES_VERSIONS = ("1.30", latest_version())
STANDARD_GROUPS = {
    "v1",
    "apps/v1",
    "batch/v1",
    "autoscaling/v2",
    "policy/v1",
    "networking.k8s.io/v1",
}
CUSTOM = {
    "kafka.strimzi.io/v1": {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"},
    "postgresql.cnpg.io/v1": {"Cluster", "ScheduledBackup"},
    "barmancloud.cnpg.io/v1": {"ObjectStore"},
}
CRD = Path(__file__).parent / "crd"


def standard(docs):
    return [d for d in docs if d["apiVersion"] in STANDARD_GROUPS]


def custom(docs):
    return [d for d in docs if d["apiVersion"] not in STANDARD_GROUPS]


def pod_spec(doc):
    return doc["spec"]["template"]["spec"]


# --- rendering -----------------------------------------------------------------------------


def test_the_renderer_here_agrees_with_kustomize(deploy) -> None:
    """The small renderer (used where kustomize is missing) gives what kustomize gives."""
    if deploy.real_kustomize() is None:
        pytest.skip("neither kustomize nor kubectl is installed; rendering with mini_kustomize")
    for overlay in deploy.OVERLAYS:
        directory = deploy.K8S / "overlays" / overlay

        def canonical(docs):
            return sorted(json.dumps(d, sort_keys=True) for d in docs)

        assert canonical(deploy.mini_kustomize(directory)) == canonical(deploy.kustomize(directory))


def test_every_resource_is_of_a_kind_that_is_validated(rendered) -> None:
    for doc in custom(rendered.docs):
        assert doc["kind"] in CUSTOM.get(doc["apiVersion"], set()), (doc["apiVersion"], doc["kind"])


def test_every_namespaced_resource_is_in_the_overlay_namespace(rendered) -> None:
    (namespace,) = rendered.of("Namespace")
    for doc in rendered.docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == namespace["metadata"]["name"], doc["metadata"]
    names = [(d["kind"], d["metadata"]["name"]) for d in rendered.docs]
    assert len(names) == len(set(names))


# --- the Kubernetes schemas ----------------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_standard_resources_match_the_kubernetes_schemas(rendered, version) -> None:
    docs = standard(rendered.docs)
    assert len(docs) > 30
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = "/".join(str(p) for p in error.path)
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} at {path}: {error.message}")


def test_the_kubernetes_validation_is_not_vacuous(deploy) -> None:
    deployment = deploy.render("prod").get("Deployment", "registry")
    broken = copy.deepcopy(deployment)
    pod_spec(broken)["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/readyz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)
    broken = copy.deepcopy(deployment)
    pod_spec(broken)["containers"][0]["resources"]["limits"]["memory"] = ["1Gi"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)
    with pytest.raises(SchemaNotFoundError):
        kubernetes_validate.validate(deploy.render("prod").get("Kafka", "tuopin"), "1.30")


# --- the operators' schemas ----------------------------------------------------------------


def crd_validate(resources: list[dict]) -> list[dict]:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: custom resources get the structural checks only")
    if not (CRD / "node_modules").exists():
        pytest.skip(
            "CRD validators not installed: run `make deploy-tools` (npm ci in tests/deploy/crd)"
        )
    done = subprocess.run(
        ["node", str(CRD / "validate.mjs")],
        input=json.dumps(resources),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_custom_resources_match_the_operators_published_schemas(rendered) -> None:
    results = crd_validate(custom(rendered.docs))
    assert len(results) == len(custom(rendered.docs))
    for result in results:
        assert result["validator"], f"no validator for {result['kind']}"
        assert not result["errors"], f"{result['kind']}/{result['name']}: {result['errors']}"


def test_the_custom_resource_validation_is_not_vacuous(deploy) -> None:
    prod = deploy.render("prod")
    topic = prod.get("KafkaTopic", "registry-events")
    topic["spec"]["partitions"] = 0
    pool = prod.get("KafkaNodePool", "combined")
    pool["spec"]["roles"] = ["zookeeper"]
    cluster = prod.get("Cluster", "registry-db")
    cluster["spec"]["instances"] = "three"
    store = prod.get("ObjectStore", "registry-backups")
    del store["spec"]["configuration"]["destinationPath"]
    user = prod.get("KafkaUser", "tuopin-loans")
    user["spec"]["authorization"]["acls"][0]["operations"] = ["Produce"]
    results = crd_validate([topic, pool, cluster, store, user])
    assert all(result["errors"] for result in results), results


# --- the services --------------------------------------------------------------------------


def environment(rendered, container) -> dict[str, str]:
    """A container's environment as the pod would see it, secrets replaced by markers."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(rendered.get("ConfigMap", source["configMapRef"]["name"])["data"])
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], var["value"])
        else:
            ref = var["valueFrom"]["secretKeyRef"]
            env[var["name"]] = marker(ref["name"], ref["key"])
    return env


def mounted_secret(doc, path) -> tuple[str, str]:
    """(Secret, key) whose file a pod template mounts at ``path``."""
    spec = pod_spec(doc)
    (container,) = spec["containers"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    for mount in container["volumeMounts"]:
        directory = Path(mount["mountPath"])
        if Path(path).parent == directory and "secret" in volumes[mount["name"]]:
            assert mount.get("readOnly") is True
            secret = volumes[mount["name"]]["secret"]
            (item,) = [i for i in secret["items"] if i["path"] == Path(path).name]
            return secret["secretName"], item["key"]
    raise AssertionError(f"nothing mounted at {path}")


def marker(secret: str, key: str) -> str:
    """What a secret's value stands in as; a binary key (base64 of 32 bytes) as one."""
    text = f"secret-{secret}-{key}"
    if (secret, key) in BINARY_KEYS:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return text


BINARY_KEYS = {("tuopin-registry-people", "people-key")}


def test_each_service_has_its_resources(rendered, service) -> None:
    name = service.name
    deployment = rendered.get("Deployment", name)
    job = rendered.get("Job", f"{name}-migrate")
    (container,) = pod_spec(deployment)["containers"]
    (migrate,) = pod_spec(job)["containers"]
    assert migrate["image"] == container["image"]
    assert migrate["command"] == [f"tuopin-{name}", "migrate"]
    assert migrate["command"][0] in service.scripts
    assert pod_spec(job)["restartPolicy"] == "Never"
    assert "replicas" not in deployment["spec"]  # the HPA owns it
    for kind in ("Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        rendered.get(kind, name)
    for policy in (f"{name}-api", f"{name}-migrate", f"{name}-db"):
        rendered.get("NetworkPolicy", policy)


def test_settings_are_read_by_the_service_as_intended(rendered, service) -> None:
    cluster = rendered.get("Cluster", f"{service.name}-db")
    kafka = rendered.get("Kafka", "tuopin")
    for kind, name in (("Deployment", service.name), ("Job", f"{service.name}-migrate")):
        (container,) = pod_spec(rendered.get(kind, name))["containers"]
        env = environment(rendered, container)
        assert not service.unknown_variables(env), name
        settings = service.settings_from(env)
        assert settings.migrate_on_start is False
        # the database: the read-write service of the service's own CloudNativePG cluster,
        # the database and owner its initdb creates, the password from the operator's secret
        url = urlsplit(settings.database_url)
        assert url.scheme == "postgresql+asyncpg"
        assert (url.hostname, url.port) == (f"{cluster['metadata']['name']}-rw", 5432)
        initdb = cluster["spec"]["bootstrap"]["initdb"]
        assert url.path == f"/{initdb['database']}" and url.username == initdb["owner"]
        assert url.password == f"secret-{cluster['metadata']['name']}-app-password"
        if kind == "Job":  # a migration reaches no broker and is given no Kafka credential
            assert settings.kafka == type(settings.kafka)()
            assert not any("KAFKA" in name for name in env)
            continue
        # the broker: the Strimzi bootstrap service on its internal TLS listener, signed in
        # as the service's KafkaUser with the password the User Operator keeps in its Secret,
        # trusting the cluster CA's certificate mounted from the Cluster Operator's Secret
        host, port = settings.kafka.bootstrap_servers.split(":")
        assert host == f"{kafka['metadata']['name']}-kafka-bootstrap"
        (listener,) = [
            listener
            for listener in kafka["spec"]["kafka"]["listeners"]
            if listener["type"] == "internal"
        ]
        assert int(port) == listener["port"] and listener["tls"] is True
        assert settings.kafka.security_protocol == "SASL_SSL"
        assert settings.kafka.sasl_mechanism == "SCRAM-SHA-512"
        assert listener["authentication"]["type"] == "scram-sha-512"
        user = rendered.get("KafkaUser", settings.kafka.sasl_username)
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        assert user["metadata"]["labels"]["app.kubernetes.io/name"] == service.name
        assert settings.kafka.sasl_password.get_secret_value() == marker(
            user["metadata"]["name"], "password"
        )
        assert mounted_secret(rendered.get(kind, name), settings.kafka.ssl_cafile) == (
            f"{kafka['metadata']['name']}-cluster-ca-cert",
            "ca.crt",
        )
        assert (
            settings.kafka.replication_factor
            <= rendered.get("KafkaNodePool", "combined")["spec"]["replicas"]
        )
        if kind == "Deployment":
            assert settings.port == service.port and settings.host == "0.0.0.0"
            assert settings.auth.jwks_url and settings.auth.jwks_url.startswith("https://")
            # deployed: no development key gets through, and X-Forwarded-For is believed
            # from the ingress controller's network only
            assert settings.environment == "production"
            refuse_development_keys(settings, environ={})
            assert settings.forwarded_allow_ips
            for network in settings.forwarded_allow_ips:
                assert ipaddress.ip_network(network).prefixlen >= 8, network
            if service.name in ("registry", "loans", "training"):
                identity = settings.identity_key.get_secret_value()
                assert identity == "secret-tuopin-identity-identity-key"
            if service.name == "registry":
                people = settings.people_key.get_secret_value()
                assert people == marker("tuopin-registry-people", "people-key")


def test_probes_resources_and_security(rendered, service) -> None:
    for doc in (
        rendered.get("Deployment", service.name),
        rendered.get("Job", f"{service.name}-migrate"),
    ):
        spec = pod_spec(doc)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] != 0
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        (container,) = spec["containers"]
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"] == {"drop": ["ALL"]}
        assert {"requests", "limits"} <= set(container["resources"])
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert "memory" in container["resources"]["limits"]
        mounts = container["volumeMounts"]
        assert mounts[0] == {"name": "tmp", "mountPath": "/tmp"}
        assert all(m.get("readOnly") is True for m in mounts[1:])  # the Kafka CA, API pods
        assert len(mounts) == (2 if doc["kind"] == "Deployment" else 1)
        for var in container.get("env", []):
            if any(word in var["name"] for word in ("PASSWORD", "SECRET", "KEY")):
                assert "valueFrom" in var, f"{var['name']} is a literal"
    (container,) = pod_spec(rendered.get("Deployment", service.name))["containers"]
    assert container["ports"] == [
        {"name": "http", "containerPort": service.port, "protocol": "TCP"}
    ]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}


def test_images_are_set_by_the_overlay(rendered, service) -> None:
    (container,) = pod_spec(rendered.get("Deployment", service.name))["containers"]
    repository, _, tag = container["image"].rpartition(":")
    assert repository.endswith(f"/tuopin/{service.name}") and tag and tag != "latest"
    if rendered.overlay == "prod":
        assert re.fullmatch(r"\d+\.\d+\.\d+", tag)


def test_selectors_reach_the_pods(rendered, service) -> None:
    deployment = rendered.get("Deployment", service.name)
    pods = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pods.items()
    for kind in ("Service", "PodDisruptionBudget"):
        doc = rendered.get(kind, service.name)
        labels = (
            doc["spec"]["selector"] if kind == "Service" else doc["spec"]["selector"]["matchLabels"]
        )
        assert labels.items() <= pods.items(), kind
    job_pods = rendered.get("Job", f"{service.name}-migrate")["spec"]["template"]["metadata"][
        "labels"
    ]
    assert not selector.items() <= job_pods.items()  # a migration pod is never a Service endpoint
    hpa = rendered.get("HorizontalPodAutoscaler", service.name)
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": service.name,
    }


def test_autoscaling_stops_at_the_partition_count(rendered, service) -> None:
    """Consumers scale to the partition count: more replicas would leave consumers idle."""
    hpa = rendered.get("HorizontalPodAutoscaler", service.name)
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    partitions = {
        t["spec"]["topicName"]: t["spec"]["partitions"] for t in rendered.of("KafkaTopic")
    }
    consumed = {t for p in service.spec.subscriptions for t in p.topics}
    for topic in consumed:
        assert hpa["spec"]["maxReplicas"] <= partitions[topic]
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_network_policies_let_in_only_the_ingress_and_out_only_to_kafka_own_db_dns_oidc(
    rendered, service
) -> None:
    api = rendered.get("NetworkPolicy", f"{service.name}-api")
    assert (
        api["spec"]["podSelector"]["matchLabels"]
        == rendered.get("Deployment", service.name)["spec"]["selector"]["matchLabels"]
    )
    assert set(api["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    namespaces = set()
    for rule in api["spec"]["ingress"]:
        assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
        for peer in rule["from"]:
            namespaces.add(peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"])
    assert namespaces == {"ingress-nginx", "monitoring"}

    def egress(policy):
        allowed = set()
        for rule in policy["spec"]["egress"]:
            for peer in rule["to"]:
                if "ipBlock" in peer:
                    assert set(peer["ipBlock"]) == {"cidr"}
                    labels = (("ipBlock", peer["ipBlock"]["cidr"]),)
                else:
                    labels = tuple(sorted(peer["podSelector"]["matchLabels"].items()))
                for port in rule["ports"]:
                    allowed.add((labels, port["port"]))
        return allowed

    kafka = (("strimzi.io/cluster", "tuopin"), ("strimzi.io/kind", "Kafka"))
    db = (("cnpg.io/cluster", f"{service.name}-db"),)
    dns = (("k8s-app", "kube-dns"),)
    (listener,) = [
        listener
        for listener in rendered.get("Kafka", "tuopin")["spec"]["kafka"]["listeners"]
        if listener["type"] == "internal"
    ]
    broker = (kafka, listener["port"])
    # the OIDC provider, where the API pods fetch the JWKS: one network, the URL's port
    (container,) = pod_spec(rendered.get("Deployment", service.name))["containers"]
    jwks = urlsplit(service.settings_from(environment(rendered, container)).auth.jwks_url)
    oidc = {rule for rule in egress(api) if rule[0][0][0] == "ipBlock"}
    ((((_, cidr),), port),) = oidc
    assert port == (jwks.port or 443)
    assert ipaddress.ip_network(cidr).prefixlen >= 8, cidr  # one provider, not the internet
    assert egress(api) == {broker, (db, 5432), (dns, 53), *oidc}
    task = rendered.get("NetworkPolicy", f"{service.name}-task")
    assert egress(task) == {broker, (db, 5432), (dns, 53)}
    migrate = rendered.get("NetworkPolicy", f"{service.name}-migrate")
    assert "ingress" not in migrate["spec"] and "Ingress" in migrate["spec"]["policyTypes"]
    assert egress(migrate) == {(db, 5432), (dns, 53)}
    database = rendered.get("NetworkPolicy", f"{service.name}-db")
    assert database["spec"]["podSelector"]["matchLabels"] == dict(db)
    app_peers = [
        peer["podSelector"]["matchLabels"]
        for rule in database["spec"]["ingress"]
        for peer in rule["from"]
        if "app.kubernetes.io/name" in peer.get("podSelector", {}).get("matchLabels", {})
    ]
    assert app_peers == [{"app.kubernetes.io/name": service.name}]  # no other service


def test_the_ingress_routes_to_services_that_exist(rendered, deploy) -> None:
    (ingress,) = rendered.of("Ingress")
    routed = set()
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            service = rendered.get("Service", backend["name"])
            assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
            assert not path["path"].startswith(("/metrics", "/healthz", "/readyz"))
            routed.add(backend["name"])
        assert rule["host"].startswith(f"{rule['http']['paths'][0]['backend']['service']['name']}.")
    assert routed == set(deploy.services)
    # evaluation's leadership dashboard: its page and assets, on evaluation's host
    (evaluation,) = [r for r in ingress["spec"]["rules"] if r["host"].startswith("evaluation.")]
    dashboard = [p for p in evaluation["http"]["paths"] if p["path"] in ("/dashboard", "/signin")]
    assert [(p["pathType"], p["backend"]["service"]["name"]) for p in dashboard] == [
        ("Prefix", "evaluation")
    ] * 2  # and its sign-in page
    if rendered.overlay == "prod":
        (tls,) = ingress["spec"]["tls"]
        assert set(tls["hosts"]) == {rule["host"] for rule in ingress["spec"]["rules"]}


def test_the_dashboard_reaches_loans_across_origins(rendered) -> None:
    """Evaluation's dashboard page reads loans' figures from loans' host in the browser:
    loans allows evaluation's Ingress origin alone by CORS, evaluation names loans' Ingress
    address (the page's only other connect-src), and no other service opens CORS."""
    (ingress,) = rendered.of("Ingress")
    scheme = "https" if ingress["spec"].get("tls") else "http"
    hosts = {
        r["http"]["paths"][0]["backend"]["service"]["name"]: r["host"]
        for r in ingress["spec"]["rules"]
    }
    loans = rendered.get("ConfigMap", "loans-config")["data"]
    evaluation = rendered.get("ConfigMap", "evaluation-config")["data"]
    assert json.loads(loans["TUOPIN_LOANS_CORS_ORIGINS"]) == [f"{scheme}://{hosts['evaluation']}"]
    assert evaluation["TUOPIN_EVALUATION_LOANS_URL"] == f"{scheme}://{hosts['loans']}"
    for name in ("registry", "training", "evaluation"):
        data = rendered.get("ConfigMap", f"{name}-config")["data"]
        assert not any(key.endswith("_CORS_ORIGINS") for key in data), name


# --- Kafka and PostgreSQL ------------------------------------------------------------------


def test_kafka_is_kraft_with_node_pools(rendered) -> None:
    kafka = rendered.get("Kafka", "tuopin")
    assert "zookeeper" not in kafka["spec"]
    pools = [
        p
        for p in rendered.of("KafkaNodePool")
        if p["metadata"]["labels"]["strimzi.io/cluster"] == "tuopin"
    ]
    roles = {role for pool in pools for role in pool["spec"]["roles"]}
    assert roles == {"controller", "broker"}
    config = kafka["spec"]["kafka"]["config"]
    replicas = sum(p["spec"]["replicas"] for p in pools)
    assert config["min.insync.replicas"] <= config["default.replication.factor"] <= replicas
    assert config["auto.create.topics.enable"] is False
    assert "topicOperator" in kafka["spec"]["entityOperator"]


THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000


def test_every_topic_and_its_dead_letters_exist_events_kept_forever_postings_30_days(
    rendered, deploy
) -> None:
    """Event topics are the history (kept forever); partners' postings (clear resident-ID
    numbers) and dead letters are not, and go after 30 days, in daily segments."""
    topics = {t["spec"]["topicName"]: t for t in rendered.of("KafkaTopic")}
    assert set(topics) == deploy.topics
    replicas = rendered.get("KafkaNodePool", "combined")["spec"]["replicas"]
    for name, topic in topics.items():
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "tuopin"
        config = topic["spec"]["config"]
        if name in deploy.event_topics:
            assert config["retention.ms"] == -1 and config["retention.bytes"] == -1, name
            assert "segment.ms" not in config, name
        else:
            assert name in deploy.intake_topics or name.endswith(".dlq"), name
            assert config["retention.ms"] == THIRTY_DAYS_MS, name
            assert config["segment.ms"] <= 24 * 3600 * 1000, name
        assert topic["spec"]["replicas"] <= replicas
        assert topic["spec"]["config"]["min.insync.replicas"] <= topic["spec"]["replicas"]


def test_no_plain_listener_every_client_signs_in_and_is_authorised(rendered) -> None:
    kafka = rendered.get("Kafka", "tuopin")["spec"]
    listeners = kafka["kafka"]["listeners"]
    assert listeners
    for listener in listeners:
        assert listener["tls"] is True, listener["name"]
        assert listener["authentication"]["type"] in ("scram-sha-512", "tls"), listener["name"]
    internal = [item for item in listeners if item["type"] == "internal"]
    assert [peer["podSelector"] for item in internal for peer in item["networkPolicyPeers"]] == [
        {"matchLabels": {"app.kubernetes.io/part-of": "tuopin"}}
    ]
    assert kafka["kafka"]["authorization"]["type"] == "simple"
    assert "superUsers" not in kafka["kafka"]["authorization"]
    assert "userOperator" in kafka["entityOperator"]  # it turns KafkaUsers into credentials


def acls(user) -> set[tuple[str, str, str]]:
    """(resource type, name, operation) a KafkaUser is allowed: literal names only, no deny
    rules to reason about, any host."""
    found = set()
    for acl in user["spec"]["authorization"]["acls"]:
        resource = acl["resource"]
        assert resource.get("patternType", "literal") == "literal", resource
        assert acl.get("type", "allow") == "allow" and acl.get("host", "*") == "*", acl
        assert "*" not in resource.get("name", "*"), resource
        found.update((resource["type"], resource["name"], op) for op in acl["operations"])
    return found


def users(rendered) -> dict[str, dict]:
    return {
        u["metadata"]["name"]: u
        for u in rendered.of("KafkaUser")
        if u["metadata"]["labels"]["strimzi.io/cluster"] == "tuopin"
    }


def test_each_service_has_a_kafka_user_allowed_exactly_what_it_does(rendered, service) -> None:
    """Its own topic, the topics its projections and reactions consume in the groups the
    kernel names after them, its intake in `<service>.intake`, those topics' dead letters."""
    (user,) = [
        u
        for u in users(rendered).values()
        if u["metadata"]["labels"].get("app.kubernetes.io/name") == service.name
    ]
    assert user["spec"]["authentication"]["type"] == "scram-sha-512"
    assert acls(user) == service.kafka_acls()
    assert {name for kind, name, _ in acls(user) if kind == "group"} == service.consumer_groups()
    assert {name for kind, name, _ in acls(user) if kind == "topic"} >= service.topics_used()


def test_no_user_may_write_another_services_topic(rendered, deploy) -> None:
    """An event topic is written by its owner alone, an intake topic by its owner and the
    partners of its kind; dead letters only by the consumers of the topic they come from.
    Nobody creates, alters or deletes a topic, nor touches the cluster itself."""
    from tuopin_contracts.topics import Inbound, Topic

    owners = {str(t): t.owner for t in Topic} | {str(t): t.owner for t in Inbound}
    for name, user in users(rendered).items():
        service = deploy.services.get(user["metadata"]["labels"].get("app.kubernetes.io/name"))
        reads: set[str] = set()
        if service is not None:
            reads = {t for p in service.spec.subscriptions for t in p.topics}
            reads |= {service.spec.intake.topic} if service.spec.intake else set()
        for kind, topic, op in acls(user):
            assert kind in ("topic", "group"), (name, kind)
            assert op in ("Describe", "Read", "Write"), (name, topic, op)
            if kind != "topic" or op != "Write":
                continue
            if topic.endswith(".dlq"):
                assert topic.removesuffix(".dlq") in reads, (name, topic)
            elif topic in deploy.event_topics:
                assert service is not None and owners[topic] == service.name, (name, topic)
            else:
                assert topic in deploy.intake_topics, (name, topic)
                assert service is None or owners[topic] == service.name, (name, topic)


PARTNER_KINDS = {
    "partner-bank": "tuopin.loans.bank-postings",
    "partner-centre": "tuopin.training.centre-postings",
}


def test_partners_may_write_only_their_intake_topic(rendered, deploy) -> None:
    partners = [
        u
        for u in users(rendered).values()
        if u["metadata"]["labels"].get("app.kubernetes.io/component", "").startswith("partner")
    ]
    assert {p["metadata"]["labels"]["app.kubernetes.io/component"] for p in partners} == set(
        PARTNER_KINDS
    )
    assert set(PARTNER_KINDS.values()) == deploy.intake_topics
    for partner in partners:
        intake = PARTNER_KINDS[partner["metadata"]["labels"]["app.kubernetes.io/component"]]
        assert "app.kubernetes.io/name" not in partner["metadata"]["labels"]  # not a service
        assert partner["spec"]["authentication"]["type"] == "scram-sha-512"
        assert acls(partner) == {("topic", intake, "Write"), ("topic", intake, "Describe")}
    # every user is a service's or a partner's
    services = {f"tuopin-{name}" for name in deploy.services}
    assert set(users(rendered)) == services | {p["metadata"]["name"] for p in partners}


def test_every_topic_a_service_uses_exists(rendered, service) -> None:
    assert service.topics_used() <= {t["spec"]["topicName"] for t in rendered.of("KafkaTopic")}


def test_one_postgres_cluster_per_service(rendered, deploy) -> None:
    clusters = {c["metadata"]["name"]: c for c in rendered.of("Cluster")}
    assert set(clusters) == {f"{name}-db" for name in deploy.services}
    for name in deploy.services:
        assert clusters[f"{name}-db"]["spec"]["bootstrap"]["initdb"] == {
            "database": name,
            "owner": name,
        }


def test_production_backs_up_every_database(deploy) -> None:
    prod = deploy.render("prod")
    for cluster in prod.of("Cluster"):
        name = cluster["metadata"]["name"]
        (plugin,) = cluster["spec"]["plugins"]
        assert plugin["isWALArchiver"] is True
        store = prod.get("ObjectStore", plugin["parameters"]["barmanObjectName"])
        assert store["spec"]["configuration"]["destinationPath"].endswith(
            "/" + name.removesuffix("-db")
        )
        (backup,) = [b for b in prod.of("ScheduledBackup") if b["spec"]["cluster"]["name"] == name]
        assert backup["spec"]["method"] == "plugin"
        assert backup["spec"]["pluginConfiguration"]["name"] == plugin["name"]
        assert cluster["spec"]["instances"] >= 3
    assert not deploy.render("dev").of("ScheduledBackup")


# --- secrets -------------------------------------------------------------------------------


def referenced_secrets(docs) -> set[str]:
    found = set()

    def walk(value):
        if isinstance(value, dict):
            if "secretKeyRef" in value:
                found.add(value["secretKeyRef"]["name"])
            if "secretName" in value:
                found.add(value["secretName"])
            for key in ("accessKeyId", "secretAccessKey"):
                if isinstance(value.get(key), dict):
                    found.add(value[key]["name"])
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(docs)
    return found


def test_no_secret_values_only_references_documented_in_the_runbook(rendered, deploy) -> None:
    assert not rendered.of("Secret")
    runbook = (deploy.DEPLOY / "README.md").read_text()
    section = runbook.split("## Secrets", 1)[1].split("\n## ", 1)[0]
    for name in referenced_secrets(rendered.docs):
        generic = re.sub(r"^(registry|loans|training|evaluation)-db-app$", "<service>-db-app", name)
        kafka_user = r"^tuopin-(registry|loans|training|evaluation)$"  # its KafkaUser's Secret
        generic = re.sub(kafka_user, "tuopin-<service>", generic)
        assert f"`{generic}`" in section, f"secret {name} is not in the runbook's Secrets section"
