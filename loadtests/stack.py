"""A local engine + gateway on free 127.0.0.1 ports, for load runs and benchmarks that bring their own."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Stack:
    engine_url: str
    gateway_url: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout_s: float, proc: subprocess.Popen[bytes]) -> None:
    """Poll url until it answers 200; fail early if the process died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with code {proc.returncode}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} not ready after {timeout_s:.0f}s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def ensure_index(index_dir: Path) -> None:
    if (index_dir / "current").exists():  # a snapshot root with a served snapshot
        return
    logger.info("building the sample index into %s", index_dir)
    subprocess.run([sys.executable, "-m", "index", "build", str(ROOT / "docs"), "--out", str(index_dir)],
                   cwd=ROOT, check=True)


@contextmanager
def local_stack(index_dir: Path = ROOT / "var" / "index", log_dir: Path | None = None,
                gateway_env: dict[str, str] | None = None) -> Iterator[Stack]:
    """`ragguard engine` + `ragguard serve` on free ports; both are stopped on exit."""
    ensure_index(index_dir)
    log_dir = log_dir or ROOT / "var"
    log_dir.mkdir(parents=True, exist_ok=True)
    engine_port, gateway_port = free_port(), free_port()
    engine_url, gateway_url = f"http://127.0.0.1:{engine_port}", f"http://127.0.0.1:{gateway_port}"
    procs: list[subprocess.Popen[bytes]] = []
    with open(log_dir / "stack-engine.log", "wb") as engine_log, \
            open(log_dir / "stack-gateway.log", "wb") as gateway_log:
        try:
            procs.append(subprocess.Popen([str(BIN / "ragguard"), "engine", "--port", str(engine_port)],
                                          cwd=ROOT, stdout=engine_log, stderr=subprocess.STDOUT))
            wait_http(f"{engine_url}/v1/models", 180, procs[-1])
            # Loopback-only stack: dev mode (no API keys) unless the caller configured keys.
            env = {"RAGGUARD_DEV_MODE": "true", **os.environ, "RAGGUARD_ENGINE_URL": engine_url,
                   "RAGGUARD_HOST": "127.0.0.1", "RAGGUARD_PORT": str(gateway_port),
                   "RAGGUARD_INDEX_DIR": str(index_dir), **(gateway_env or {})}
            procs.append(subprocess.Popen([str(BIN / "ragguard"), "serve"], cwd=ROOT, env=env,
                                          stdout=gateway_log, stderr=subprocess.STDOUT))
            wait_http(f"{gateway_url}/readyz", 120, procs[-1])
            logger.info("stack up: engine %s, gateway %s", engine_url, gateway_url)
            yield Stack(engine_url, gateway_url)
        finally:
            for proc in reversed(procs):
                _stop(proc)
