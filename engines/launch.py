"""Command lines for the two local OpenAI-compatible engines; both bind to the given host only."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engines.artifacts import CHAT_TEMPLATE, Artifacts, adapter_rank, resolve_adapter


@dataclass(frozen=True)
class EngineSpec:
    kind: str  # llama | vllm
    host: str
    port: int
    model_name: str
    threads: int = 2
    parallel: int = 4
    ctx_size: int = 8192
    adapters: dict[str, Path] = field(default_factory=dict)  # served name -> PEFT LoRA folder


def llama_command(spec: EngineSpec, art: Artifacts, lora: dict[str, Path] | None = None) -> list[str]:
    cmd = [str(art.ensure_llama_server()), "-m", str(art.ensure_gguf()), "--alias", spec.model_name,
           "--host", spec.host, "--port", str(spec.port), "--jinja",
           "--chat-template-file", str(CHAT_TEMPLATE), "-c", str(spec.ctx_size), "-np", str(spec.parallel),
           "-t", str(spec.threads), "--metrics", "--no-webui"]
    # Adapters are selected per request with `lora: [{"id", "scale"}]` (the gateway always sends every scale:
    # a slot keeps its last scales, and --lora-init-without-apply does not turn them off for requests).
    for path in (lora or {}).values():
        cmd += ["--lora", str(path)]
    return cmd


def vllm_command(spec: EngineSpec, art: Artifacts) -> list[str]:
    return [str(art.ensure_vllm()), "-m", "vllm.entrypoints.openai.api_server",
            "--model", str(art.ensure_hf_model()), "--served-model-name", spec.model_name,
            "--host", spec.host, "--port", str(spec.port), "--enforce-eager", "--dtype", "bfloat16",
            "--chat-template", str(CHAT_TEMPLATE), "--max-model-len", str(min(spec.ctx_size, 4096)),
            "--max-num-seqs", str(spec.parallel), "--disable-log-stats", *vllm_lora_args(spec.adapters)]


def vllm_lora_args(adapters: dict[str, Path]) -> list[str]:
    """vLLM serves each adapter under its own model name (`--lora-modules name=path`)."""
    if not adapters:
        return []
    rank = max(8, *(adapter_rank(p) for p in adapters.values()))
    return ["--enable-lora", "--max-lora-rank", str(rank), "--max-loras", str(len(adapters)),
            "--lora-modules", *(f"{name}={resolve_adapter(p)}" for name, p in adapters.items())]


def vllm_env(threads: int) -> dict[str, str]:
    """CPU vLLM knobs: a small KV cache and the thread count, no usage reporting."""
    return {"VLLM_CPU_KVCACHE_SPACE": "1", "OMP_NUM_THREADS": str(threads),
            "VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1", "HF_HUB_OFFLINE": "1",
            }


def command(spec: EngineSpec, art: Artifacts) -> tuple[list[str], dict[str, str]]:
    if spec.kind == "vllm":
        return vllm_command(spec, art), vllm_env(spec.threads)
    lora = {name: art.ensure_adapter_gguf(name, path) for name, path in spec.adapters.items()}
    return llama_command(spec, art, lora), {}
