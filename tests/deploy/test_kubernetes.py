"""Render deploy/k8s (base and overlays) in Python and validate every manifest against Kubernetes 1.31."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
K8S_VERSION = "1.31.0"
CRD_GROUPS = ("monitoring.coreos.com/",)
_spec = importlib.util.spec_from_file_location("deploy_render", ROOT / "deploy" / "render.py")
assert _spec and _spec.loader
render_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render_module)
render = render_module.render

TARGETS = {"base": K8S / "base", "dev": K8S / "overlays" / "dev", "prod": K8S / "overlays" / "prod"}


def validate(doc: dict[str, Any]) -> None:
    """Schema-validate a manifest (strict: unknown fields fail); CRDs get a structural check."""
    if doc["apiVersion"].startswith(CRD_GROUPS):
        assert doc["metadata"]["name"] and isinstance(doc["spec"], dict), doc
        return
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def by_key(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["spec"]["template"]["spec"]["containers"]


@pytest.mark.parametrize("target", TARGETS)
def test_every_manifest_is_valid_kubernetes(target: str) -> None:
    docs = render(TARGETS[target])
    assert len(docs) >= 9
    for doc in docs:
        validate(doc)


@pytest.mark.parametrize("broken", [
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
     "spec": {"replicas": "two", "selector": {}, "template": {}}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"portz": [{"port": 80}]}},
])
def test_an_invalid_manifest_fails_validation(broken: dict[str, Any]) -> None:
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)


@pytest.mark.parametrize("target", TARGETS)
def test_references_resolve(target: str) -> None:
    """Selectors match pod labels; ConfigMaps, Secrets and PVCs used by pods exist."""
    docs = by_key(render(TARGETS[target]))
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
                    assert ref["key"] in docs[("Secret", ref["name"])]["stringData"]


@pytest.mark.parametrize("target", TARGETS)
def test_gateway_is_hardened_and_probed(target: str) -> None:
    docs = by_key(render(TARGETS[target]))
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


@pytest.mark.parametrize("target", ["base", "prod"])
def test_vllm_runs_on_one_gpu_with_lora_and_only_the_gateway_reaches_it(target: str) -> None:
    docs = by_key(render(TARGETS[target]))
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


def test_dev_runs_llama_server_beside_the_gateway_without_gpu() -> None:
    docs = by_key(render(TARGETS["dev"]))
    assert not any(kind == "Deployment" and name == "vllm" for kind, name in docs)
    assert "nvidia.com/gpu" not in str(list(docs.values()))
    gateway, engine = containers(docs[("Deployment", "ragguard-gateway")])
    assert engine["command"][:2] == ["ragguard", "engine"]
    assert docs[("ConfigMap", "ragguard-config")]["data"]["RAGGUARD_ENGINE_URL"] == "http://127.0.0.1:8081"


def test_prod_has_more_replicas_than_dev() -> None:
    dev, prod = by_key(render(TARGETS["dev"])), by_key(render(TARGETS["prod"]))
    key = ("Deployment", "ragguard-gateway")
    assert prod[key]["spec"]["replicas"] > dev[key]["spec"]["replicas"]
    assert prod[("Deployment", "vllm")]["spec"]["replicas"] >= 2
    assert {d["metadata"]["namespace"] for d in prod.values()} == {"ragguard"}


def test_index_job_builds_into_the_dir_the_gateway_reads() -> None:
    docs = by_key(render(TARGETS["base"]))
    (job,) = containers(docs[("Job", "ragguard-index-build")])
    out = job["command"][job["command"].index("--out") + 1]
    assert job["command"][:4] == ["python", "-m", "index", "build"]
    assert docs[("ConfigMap", "ragguard-config")]["data"]["RAGGUARD_INDEX_DIR"] == out


def test_vllm_chat_template_matches_the_engines_copy() -> None:
    docs = by_key(render(TARGETS["base"]))
    template = docs[("ConfigMap", "vllm-chat-template")]["data"]["gemma_chat_template.jinja"]
    assert template == (ROOT / "engines" / "gemma_chat_template.jinja").read_text()


def test_renderer_rejects_what_it_cannot_render(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\ncommonLabels: {a: b}\n")
    with pytest.raises(ValueError, match="commonLabels"):
        render(tmp_path)
