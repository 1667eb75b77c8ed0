"""deploy/compose keeps no secret in the file: keys and Grafana's password must be supplied, none defaulted."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "deploy" / "compose" / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
REQUIRED = re.compile(r"^\$\{(\w+):\?[^}]+\}$")  # ${NAME:?message}: compose stops when NAME is unset or empty


def required_var(value: str) -> str:
    match = REQUIRED.match(value)
    assert match, f"{value!r} is not a required variable (a literal or a default would ship)"
    return match.group(1)


def test_gateway_and_vllm_share_one_required_engine_key() -> None:
    gateway, vllm = SERVICES["gateway"]["environment"], SERVICES["vllm"]["environment"]
    assert required_var(vllm["VLLM_API_KEY"]) == required_var(gateway["RAGGUARD_ENGINE_API_KEY"]) == "VLLM_API_KEY"
    assert required_var(gateway["RAGGUARD_API_KEYS"]) == "RAGGUARD_API_KEYS"
    assert gateway["RAGGUARD_DEV_MODE"] == "false"
    assert not any(str(a).startswith("--api-key") for a in SERVICES["vllm"]["command"])


def test_runtime_lora_updating_is_off_unless_asked() -> None:
    value = SERVICES["vllm"]["environment"]["VLLM_ALLOW_RUNTIME_LORA_UPDATING"]
    assert value == "${VLLM_ALLOW_RUNTIME_LORA_UPDATING:-false}"
    command = SERVICES["vllm"]["command"]
    modules = [a.split("=", 1)[1] for a in command if a.startswith("--lora-modules=")]
    assert modules == ["gemma-3-270m-ragguard=/adapters/gemma-3-270m-ragguard"]  # served without runtime loading
    lora_dir = next(v for v in SERVICES["vllm"]["volumes"] if v.endswith(":/adapters:ro"))
    default = re.match(r"\$\{LORA_DIR:-([^}]+)\}", lora_dir)
    assert default and (ROOT / "deploy" / "compose" / default.group(1) / "gemma-3-270m-ragguard").is_dir()


def test_grafana_admin_password_comes_from_a_secret_file() -> None:
    grafana = SERVICES["grafana"]
    env = grafana["environment"]
    assert "GF_SECURITY_ADMIN_PASSWORD" not in env
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/grafana_admin_password"
    assert grafana["secrets"] == ["grafana_admin_password"]
    assert required_var(COMPOSE["secrets"]["grafana_admin_password"]["file"]) == "GRAFANA_ADMIN_PASSWORD_FILE"
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"


def test_no_literal_secret_anywhere_in_the_file() -> None:
    text = (ROOT / "deploy" / "compose" / "compose.yaml").read_text()
    for service in SERVICES.values():
        for name, value in (service.get("environment") or {}).items():
            if re.search(r"KEY|PASSWORD|TOKEN|SECRET", name) and not name.endswith("__FILE"):
                required_var(str(value))
    assert "CHANGE-ME" not in text.upper()
