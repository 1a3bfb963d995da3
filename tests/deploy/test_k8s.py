"""deploy/k8s validates against the Kubernetes schemas offline and follows the platform policy."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import kubernetes_validate
import pytest
import yaml

from shared.settings import REPO_ROOT
from vward.platform import SERVICES, ServiceSpec

from .settings_env import (
    CONTAINER_HOST,
    env_names,
    load_settings,
    peer_url_fields,
    secret_env_names,
    settings_class,
)

K8S_DIR = REPO_ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30"  # oldest bundled schema we still target; strict rejects typos
SECRET_NAME = "vward-secrets"
IMAGE = "vward"

Manifest = dict[str, Any]


def _load() -> list[Manifest]:
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text(encoding="utf-8"))
    manifests = []
    for resource in kustomization["resources"]:
        text = (K8S_DIR / resource).read_text(encoding="utf-8")
        manifests.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return manifests


MANIFESTS = _load()


def _id(manifest: Manifest) -> str:
    return f"{manifest['kind']}/{manifest['metadata']['name']}"


def of_kind(kind: str) -> dict[str, Manifest]:
    return {m["metadata"]["name"]: m for m in MANIFESTS if m["kind"] == kind}


def k8s_name(spec: ServiceSpec) -> str:
    return spec.name.replace("_", "-")


def pod_spec(workload: Manifest) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def containers() -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(workload id, pod spec, container) for every Deployment and Job container."""
    for workload in [*of_kind("Deployment").values(), *of_kind("Job").values()]:
        pod = pod_spec(workload)
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            yield _id(workload), pod, container


CONTAINERS = [
    pytest.param(workload, pod, container, id=f"{workload}/{container['name']}")
    for workload, pod, container in containers()
]


def deployment(spec: ServiceSpec) -> Manifest:
    return of_kind("Deployment")[k8s_name(spec)]


def container_env(spec: ServiceSpec) -> tuple[dict[str, str], dict[str, str]]:
    """(plain values from ConfigMaps and env, {variable: secret key}) of a service container."""
    (container,) = pod_spec(deployment(spec))["containers"]
    config_maps = of_kind("ConfigMap")
    values: dict[str, str] = {}
    for source in container.get("envFrom", []):
        values.update(config_maps[source["configMapRef"]["name"]]["data"])
    secrets = {}
    for variable in container.get("env", []):
        if "value" in variable:
            values[variable["name"]] = variable["value"]
        else:
            ref = variable["valueFrom"]["secretKeyRef"]
            assert ref["name"] == SECRET_NAME
            secrets[variable["name"]] = ref["key"]
    return values, secrets


def pod_settings(spec: ServiceSpec) -> Any:
    """The service's settings as its pod sees them, with stand-ins for the Secret's values."""
    values, secrets = container_env(spec)
    stand_ins = {name: f"{name.lower()}-" + "s" * 40 for name in secrets}
    stand_ins["DATABASE_URL"] = "postgresql://vward:pw@db.example:5432/vward"
    return load_settings(settings_class(spec), {**values, **stand_ins})


def resolve_port(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    (number,) = (p["containerPort"] for p in container["ports"] if p["name"] == port)
    return number


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text(encoding="utf-8"))
    on_disk = {path.name for path in K8S_DIR.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(kustomization["resources"]) == sorted(on_disk)
    assert kustomization["namespace"] in of_kind("Namespace")


@pytest.mark.parametrize("manifest", MANIFESTS, ids=_id)
def test_manifest_validates_against_the_kubernetes_schema(manifest: Manifest) -> None:
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_strict_validation_rejects_an_unknown_field() -> None:
    """Guard against a vacuous schema check: a misspelt field must fail."""
    broken = yaml.safe_load(yaml.safe_dump(next(iter(of_kind("Deployment").values()))))
    broken["spec"]["replica"] = 2
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_kustomize_renders_every_manifest_into_the_namespace() -> None:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(K8S_DIR)],  # noqa: S607 (kubectl from PATH)
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    documents = [doc for doc in yaml.safe_load_all(rendered) if doc]
    assert sorted(map(_id, documents)) == sorted(map(_id, MANIFESTS))
    for document in documents:
        if document["kind"] != "Namespace":
            assert document["metadata"]["namespace"] == "vward", _id(document)


@pytest.mark.parametrize(("workload", "pod", "container"), CONTAINERS)
def test_container_is_hardened_and_bounded(workload: str, pod, container) -> None:
    for kind in ("requests", "limits"):
        assert set(container["resources"][kind]) >= {"cpu", "memory"}, (workload, kind)
    context = container["securityContext"]
    assert context.get("runAsNonRoot", pod["securityContext"].get("runAsNonRoot")) is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert container["image"].split(":")[0] == IMAGE
    assert pod["automountServiceAccountToken"] is False


def test_every_volume_claim_and_config_map_referenced_exists() -> None:
    claims, config_maps = of_kind("PersistentVolumeClaim"), of_kind("ConfigMap")
    for workload, pod, container in containers():
        for volume in pod.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, workload
        for source in container.get("envFrom", []):
            assert source["configMapRef"]["name"] in config_maps, workload


def test_migration_job_upgrades_every_branch_with_the_secret_database_url() -> None:
    (job,) = of_kind("Job").values()
    (container,) = pod_spec(job)["containers"]
    assert container["command"] == ["vward", "db", "upgrade"]
    (variable,) = container["env"]
    assert variable["name"] == "DATABASE_URL"
    assert variable["valueFrom"]["secretKeyRef"] == {"name": SECRET_NAME, "key": "DATABASE_URL"}


def test_one_deployment_per_service() -> None:
    assert set(of_kind("Deployment")) == {k8s_name(spec) for spec in SERVICES}


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
class TestService:
    def test_command_and_container_port_are_the_settings_port(self, spec: ServiceSpec) -> None:
        port = settings_class(spec).model_fields["port"].default
        (container,) = pod_spec(deployment(spec))["containers"]
        command = container["command"]
        assert command[:3] == ["uvicorn", spec.app, "--factory"]
        assert command[command.index("--host") + 1] == CONTAINER_HOST
        assert command[command.index("--port") + 1] == str(port)
        assert [p["containerPort"] for p in container["ports"]] == [port]

    def test_probes_hit_healthz_and_readyz_on_the_service_port(self, spec: ServiceSpec) -> None:
        (container,) = pod_spec(deployment(spec))["containers"]
        port = settings_class(spec).model_fields["port"].default
        expected = {"startupProbe": "/healthz", "livenessProbe": "/healthz"}
        expected["readinessProbe"] = "/readyz"
        for probe, path in expected.items():
            http = container[probe]["httpGet"]
            assert http["path"] == path, probe
            assert resolve_port(container, http["port"]) == port, probe

    def test_is_replicated_autoscaled_and_protected(self, spec: ServiceSpec) -> None:
        workload = deployment(spec)
        assert workload["spec"]["replicas"] >= 2
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert workload["spec"]["selector"]["matchLabels"].items() <= labels.items()
        hpas = [
            hpa
            for hpa in of_kind("HorizontalPodAutoscaler").values()
            if hpa["spec"]["scaleTargetRef"]
            == {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": workload["metadata"]["name"],
            }
        ]
        assert len(hpas) == 1 and hpas[0]["spec"]["minReplicas"] >= 2
        pdbs = [
            pdb
            for pdb in of_kind("PodDisruptionBudget").values()
            if pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(pdbs) == 1

    def test_service_selects_the_pods_on_the_settings_port(self, spec: ServiceSpec) -> None:
        workload = deployment(spec)
        (container,) = pod_spec(workload)["containers"]
        labels = workload["spec"]["template"]["metadata"]["labels"]
        service = of_kind("Service")[k8s_name(spec)]
        assert service["spec"]["selector"].items() <= labels.items()
        (port,) = service["spec"]["ports"]
        assert port["port"] == spec.default_port
        assert resolve_port(container, port["targetPort"]) == spec.default_port

    def test_every_variable_is_a_settings_field(self, spec: ServiceSpec) -> None:
        values, secrets = container_env(spec)
        unknown = (values.keys() | secrets.keys()) - env_names(settings_class(spec))
        assert not unknown, f"{spec.name} does not read {sorted(unknown)}"

    def test_secrets_come_from_the_secret_never_a_config_map(self, spec: ServiceSpec) -> None:
        values, secrets = container_env(spec)
        required = secret_env_names(settings_class(spec))
        assert required <= secrets.keys()
        assert not required & values.keys()
        assert all(key == name for name, key in secrets.items())

    def test_settings_load_from_the_pod_environment(self, spec: ServiceSpec) -> None:
        settings = pod_settings(spec)
        assert settings.environment == "production"
        assert settings.port == spec.default_port
        assert settings.database_url == "postgresql://vward:pw@db.example:5432/vward"
        # The data directory is a read-only volume.
        (container,) = pod_spec(deployment(spec))["containers"]
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        assert mounts[str(settings.data_dir)]["readOnly"] is True

    def test_peer_urls_point_at_the_peer_service(self, spec: ServiceSpec) -> None:
        settings = pod_settings(spec)
        peers = {peer.name: peer for peer in SERVICES}
        services = of_kind("Service")
        for field, peer in peer_url_fields(settings_class(spec)).items():
            name = k8s_name(peers[peer])
            (port,) = services[name]["spec"]["ports"]
            assert getattr(settings, field) == f"http://{name}:{port['port']}", field
