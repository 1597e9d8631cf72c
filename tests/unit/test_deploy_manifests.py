"""The cluster manifests in deploy/k8s: a Deployment and a Service for each service and the
gateway, on the ports, addresses and shared secret the settings expect, with gRPC health probes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from sgz_runtime.config import DEFAULT_PORTS, SERVICES, Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S = DEPLOY / "k8s"
PROGRAMS = [*SERVICES, "gateway"]


def _kustomization() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return loaded


def _resources() -> list[dict[str, Any]]:
    found = []
    for name in _kustomization()["resources"]:
        found += [doc for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]
    return found


def _one(kind: str, name: str) -> dict[str, Any]:
    [found] = [r for r in _resources() if r["kind"] == kind and r["metadata"]["name"] == name]
    return found


def _container(program: str) -> dict[str, Any]:
    container: dict[str, Any]
    [container] = _one("Deployment", program)["spec"]["template"]["spec"]["containers"]
    return container


def _env(program: str) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in _container(program)["env"]}


def _port(program: str) -> int:
    return DEFAULT_PORTS.get(program) or Settings().gateway_port


def test_kustomization_lists_every_manifest_file() -> None:
    listed = set(_kustomization()["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


@pytest.mark.parametrize("program", PROGRAMS)
def test_each_program_has_a_deployment_and_a_service_selecting_its_pods(program: str) -> None:
    deployment = _one("Deployment", program)
    service = _one("Service", program)

    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()
    module = f"{program}_svc" if program in SERVICES else "gateway"
    assert _container(program)["command"] == ["python", "-m", module]
    assert _container(program)["image"] == "sgz"


@pytest.mark.parametrize("program", PROGRAMS)
def test_each_program_listens_on_its_settings_port_and_its_service_forwards_there(
    program: str,
) -> None:
    port = _port(program)
    [container_port] = _container(program)["ports"]
    [service_port] = _one("Service", program)["spec"]["ports"]

    assert container_port["containerPort"] == port
    assert service_port["port"] == port
    assert service_port["targetPort"] in (port, container_port["name"])
    assert _env(program)[f"SGZ_{program.upper()}_PORT"] == str(port)
    assert _env(program)["SGZ_HOST"] == "0.0.0.0"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_probed_through_grpc_health_on_its_port(service: str) -> None:
    container = _container(service)
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"]["port"] == DEFAULT_PORTS[service]


def test_the_gateway_is_probed_on_its_port_without_depending_on_every_service() -> None:
    container = _container("gateway")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["tcpSocket"]["port"] == Settings().gateway_port


@pytest.mark.parametrize("program", PROGRAMS)
def test_each_program_reaches_every_other_service_by_its_service_name(
    program: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(program)
    for name, value in env.items():
        if isinstance(value, str):
            monkeypatch.setenv(name, value)
    settings = Settings()

    for other in SERVICES:
        if other == program:
            assert f"SGZ_{other.upper()}_HOST" not in env  # it listens on SGZ_HOST
            continue
        _one("Service", other)
        assert settings.address_of(other) == f"{other}:{DEFAULT_PORTS[other]}"


@pytest.mark.parametrize("program", PROGRAMS)
def test_every_program_shares_one_internal_secret_and_outlasts_its_grace(program: str) -> None:
    secret = _env(program)["SGZ_INTERNAL_SECRET"]["secretKeyRef"]
    pod = _one("Deployment", program)["spec"]["template"]["spec"]

    assert (secret["name"], secret["key"]) == ("sgz-internal", "secret")
    assert pod["terminationGracePeriodSeconds"] > Settings().grace_s


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_may_be_given_its_own_database_url(service: str) -> None:
    ref = _env(service)[f"{service.upper()}_DATABASE_URL"]["secretKeyRef"]
    assert (ref["name"], ref["key"], ref["optional"]) == ("sgz-databases", service, True)


@pytest.mark.parametrize("program", PROGRAMS)
def test_each_program_runs_unprivileged_writing_only_its_data_volume(program: str) -> None:
    pod = _one("Deployment", program)["spec"]["template"]["spec"]
    container = _container(program)

    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    [mount] = container["volumeMounts"]
    assert mount["mountPath"] == _env(program)["SGZ_DATA_DIR"]


def test_the_image_installs_the_lock_and_generates_the_stubs() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r /app/requirements.lock" in dockerfile
    assert "python scripts/gen_protos.py" in dockerfile
