"""The `ragguard` command: serve the gateway, run a local engine, or bring both up together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import httpx
import typer
from rich.console import Console

from service.settings import Settings

app = typer.Typer(help="ragguard: RAG + guardrails gateway.", no_args_is_help=True)
console = Console(stderr=True)


def _refuse_to_start(reason: object) -> NoReturn:
    """A refused configuration is one readable line on stderr (no traceback) and exit status 2."""
    console.print(f"ragguard: {' '.join(str(reason).split())}", markup=False, highlight=False, soft_wrap=True)
    raise SystemExit(2)


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValueError as exc:  # pydantic's ValidationError and SettingsError (an env var that does not parse)
        _refuse_to_start(exc)


def _run_gateway(settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT, then shut down gracefully:

    1. readiness goes false at once (`/readyz` 503, `draining`), the server keeps serving for
       RAGGUARD_SHUTDOWN_DELAY_S so load balancers stop sending new requests;
    2. the server stops accepting and in-flight requests and streams finish, up to RAGGUARD_SHUTDOWN_GRACE_S;
    3. what is still running then is cancelled (closing its engine requests), the lifespan closes, exit.
    A second signal skips the delay.
    """
    try:  # before the heavy imports: a placeholder key or a bad policy file fails in a blink, not after the models
        settings.refuse_unsafe()
        if settings.policy_file is not None:
            from service.collections import collection_names
            from service.policy import load_policy

            load_policy(settings.policy_file, set(collection_names(settings.index_dir)))
    except ValueError as exc:
        _refuse_to_start(exc)
    import threading

    import uvicorn
    from sse_starlette.sse import AppStatus

    from service.app import create_app
    from service.logs import configure_logging

    configure_logging(settings.log_level)
    # sse-starlette ends every open stream at the first signal; the gateway drains them instead.
    AppStatus.disable_automatic_graceful_drain()
    gateway = create_app(settings)

    class DrainingServer(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            running = getattr(gateway.state, "gateway", None)  # set by the lifespan
            readiness = running.readiness if running is not None else None
            if readiness is None or readiness.draining:  # not started yet, or a second signal
                super().handle_exit(sig, frame)
                return
            readiness.draining = True
            console.print(f"signal {sig}: draining (not ready), stopping in {settings.shutdown_delay_s:g} s, "
                          f"then finishing in-flight requests for up to {settings.shutdown_grace_s:g} s")
            threading.Timer(settings.shutdown_delay_s, super().handle_exit, (sig, frame)).start()

    config = uvicorn.Config(gateway, host=settings.host, port=settings.port, log_config=None,
                            timeout_graceful_shutdown=settings.shutdown_grace_s)  # type: ignore[arg-type]
    server = DrainingServer(config)
    server.run()
    if not server.started:
        sys.exit(3)  # startup failed (uvicorn.run's convention)


def _engine_spec(settings: Settings) -> Any:
    from engines.launch import EngineSpec

    return EngineSpec(kind=settings.engine_kind, host="127.0.0.1", port=settings.engine_port,
                      model_name=settings.engine_model_name, threads=settings.engine_threads,
                      parallel=settings.engine_parallel, ctx_size=settings.engine_ctx_size,
                      adapters=settings.adapters)


@app.command()
def serve(
    engine_url: str | None = typer.Option(None, help="OpenAI-compatible engine URL (RAGGUARD_ENGINE_URL)."),
    host: str | None = typer.Option(None, help="Bind address (RAGGUARD_HOST)."),
    port: int | None = typer.Option(None, help="Port (RAGGUARD_PORT)."),
    index_dir: Path | None = typer.Option(None, help="Index folder (RAGGUARD_INDEX_DIR)."),
) -> None:
    """Run the gateway alone against an engine URL."""
    # uvicorn re-raises the signal after its graceful shutdown; a drained shutdown is a clean exit.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    _run_gateway(_settings(engine_url=engine_url, host=host, port=port, index_dir=index_dir))


@app.command()
def prepare(vllm: bool = typer.Option(False, help="Also install vLLM and convert the model for it."),
            embedder: bool = typer.Option(True, help="Export the embedder to ONNX (gateway side; an engine-only "
                                                     "image skips it).")) -> None:
    """Build/collect the local engine artifacts into the cache (reused when present)."""
    from engines.artifacts import Artifacts
    from index.onnx_embedder import export_onnx

    settings = _settings()
    art = Artifacts(settings.cache_dir)
    if embedder:
        onnx = export_onnx(settings.embedder_model, settings.cache_dir, int8=True)
        console.print(f"embedder (ONNX fp32 + int8): {onnx}")
    console.print(f"llama-server: {art.ensure_llama_server()}")
    console.print(f"model (GGUF): {art.ensure_gguf()}")
    for name, path in settings.adapters.items():
        console.print(f"adapter {name} (GGUF): {art.ensure_adapter_gguf(name, path)}")
    if vllm:
        console.print(f"vLLM python:  {art.ensure_vllm()}")
        console.print(f"model (HF):   {art.ensure_hf_model()}")


@app.command()
def engine(
    kind: str | None = typer.Option(None, help="llama or vllm (RAGGUARD_ENGINE_KIND)."),
    port: int | None = typer.Option(None, help="Port (RAGGUARD_ENGINE_PORT)."),
) -> None:
    """Run a local OpenAI-compatible engine on 127.0.0.1 (replaces this process)."""
    from engines.artifacts import Artifacts
    from engines.launch import command

    settings = _settings(engine_kind=kind, engine_port=port)
    cmd, env = command(_engine_spec(settings), Artifacts(settings.cache_dir))
    console.print(f"starting {settings.engine_kind} engine on 127.0.0.1:{settings.engine_port}")
    os.execvpe(cmd[0], cmd, {**os.environ, **env})


def wait_ready(url: str, timeout_s: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll an OpenAI-compatible server's /v1/models until it answers 200."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"engine exited with code {proc.returncode}")
        try:
            if httpx.get(f"{url}/v1/models", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} not ready after {timeout_s:.0f}s")


@app.command()
def up(kind: str | None = typer.Option(None, help="llama (default) or vllm.")) -> None:
    """Start the local engine and the gateway together; Ctrl-C stops both."""
    from engines.artifacts import Artifacts
    from engines.launch import command

    settings = _settings(engine_kind=kind)
    cmd, env = command(_engine_spec(settings), Artifacts(settings.cache_dir))
    engine_url = f"http://127.0.0.1:{settings.engine_port}"
    # uvicorn re-raises SIGTERM after its graceful shutdown; turn it into SystemExit so the engine
    # below is stopped by the `finally` instead of being orphaned.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_ready(engine_url, 600 if settings.engine_kind == "vllm" else 120, proc)
        base = f"http://{settings.host}:{settings.port}"
        console.print(f"[bold green]ragguard is up[/]: OpenAI base URL {base}/v1 "
                      f"(engine {settings.engine_kind} at {engine_url})\n"
                      f"  curl {base}/v1/chat/completions -H 'Content-Type: application/json' -d "
                      f"'{{\"model\": \"{settings.engine_model_name}\", \"messages\": "
                      f"[{{\"role\": \"user\", \"content\": \"What does the grounding rail do?\"}}]}}'")
        _run_gateway(settings.model_copy(update={"engine_url": engine_url}))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
