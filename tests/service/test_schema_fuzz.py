"""schemathesis against the live gateway's OpenAPI schema: no input may cause a server error."""

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.llama
def test_no_server_errors(llama_engine: str, gateway_process) -> None:  # type: ignore[no-untyped-def]
    base = gateway_process(llama_engine, RAGGUARD_MAX_TOKENS_CAP="4", RAGGUARD_DEFAULT_MAX_TOKENS="4")
    cli = Path(sys.executable).parent / "schemathesis"
    result = subprocess.run(
        [str(cli), "run", f"{base}/openapi.json", "--checks", "not_a_server_error",
         "--max-examples", "30", "--seed", "1", "--exclude-path", "/metrics", "--request-timeout", "60"],
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
