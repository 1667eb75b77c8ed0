"""OpenAI-compatible request and response schemas, plus ragguard's extension fields."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.errors import InvalidRequest
from service.settings import GroundingPolicy, StreamRelease

COLLECTION_NAME = r"^[a-z0-9][a-z0-9_-]{0,62}$"  # a folder under INDEX_ROOT/collections/


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message as plain text (text parts joined)."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(p.text or "" for p in self.content if p.type == "text")


def _needs_user_text(messages: list[ChatMessage]) -> list[ChatMessage]:
    if not any(m.role == "user" and m.text().strip() for m in messages):
        raise ValueError("messages must contain at least one non-empty user message")
    return messages


class RagguardOptions(BaseModel):
    """Per-request extension (`extra_body={"ragguard": {...}}` in the OpenAI SDK)."""

    model_config = ConfigDict(extra="forbid")
    grounding_policy: GroundingPolicy | None = None
    stream_release: StreamRelease | None = None  # annotate only: see Settings.stream_release
    collection: str | None = Field(default=None, pattern=COLLECTION_NAME)  # None: the index root's own

    def policy_for(self, default: GroundingPolicy, floor: GroundingPolicy | None) -> GroundingPolicy:
        """The grounding policy this request gets: its own, if it is at least as strict as the operator's floor
        (default: the configured policy; a looser one is a 400), else the configured one."""
        floor = floor or default
        wanted = self.grounding_policy or default
        if _STRICTNESS.index(wanted) < _STRICTNESS.index(floor):
            raise InvalidRequest(f"grounding_policy {wanted!r} is less strict than this gateway allows "
                                 f"({floor!r}; RAGGUARD_GROUNDING_POLICY_FLOOR)", param="ragguard.grounding_policy")
        return wanted

    def release_for(self, policy: str, default: StreamRelease, floor: StreamRelease = "token") -> StreamRelease:
        """How a stream under `policy` releases text: "token" only under annotate, where nothing is removed, and
        only where the operator allows clients to ask for it (`floor`); strip and refuse hold each sentence until
        it is checked, and asking them for "token" is a 400."""
        if self.stream_release == "token" and floor != "token" and default != "token":
            raise InvalidRequest("stream_release 'token' is not allowed on this gateway "
                                 "(RAGGUARD_STREAM_RELEASE_FLOOR=sentence)", param="ragguard.stream_release")
        if policy == "annotate":
            return self.stream_release or default
        if self.stream_release == "token":
            raise InvalidRequest("stream_release 'token' needs grounding_policy 'annotate': strip and refuse "
                                 "release a sentence only once it is checked", param="ragguard.stream_release")
        return "sentence"
    top_k: int | None = Field(default=None, ge=1, le=50)
    retrieval: bool = True


_STRICTNESS: tuple[GroundingPolicy, ...] = ("annotate", "strip", "refuse")
MAX_STOPS, MAX_STOP_CHARS = 4, 64  # OpenAI's own limit on stop sequences; the engine's own are always added


class StreamOptions(BaseModel):
    include_usage: bool = False


MAX_MESSAGES = 256  # a conversation's turns: each is checked (PII per message), so their number is bounded


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    n: int | None = Field(default=None, ge=1, le=1)
    stop: str | Annotated[list[str], Field(max_length=MAX_STOPS)] | None = None  # the bound is on the list only
    seed: int | None = None
    presence_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    frequency_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    user: str | None = None
    ragguard: RagguardOptions = Field(default_factory=RagguardOptions)

    _needs_user_text = field_validator("messages")(_needs_user_text)

    @field_validator("stop")
    @classmethod
    def _short_stops(cls, stop: str | list[str] | None) -> str | list[str] | None:
        for s in [stop] if isinstance(stop, str) else stop or []:
            if not s or len(s) > MAX_STOP_CHARS:
                raise ValueError(f"each stop sequence must have 1 to {MAX_STOP_CHARS} characters")
        return stop

    def stops(self) -> list[str]:
        """The client's stop sequences as a list."""
        return [self.stop] if isinstance(self.stop, str) else list(self.stop or [])

def question(messages: list[ChatMessage]) -> str:
    """The last user message: what is retrieved for."""
    return next(m.text() for m in reversed(messages) if m.role == "user" and m.text().strip())


def rails_text(messages: list[ChatMessage]) -> str:
    """What the input rails read: every message the engine gets, in every role, as one conversation (a client's
    system, developer, assistant and tool turns are client input too)."""
    return "\n".join(t for m in messages if (t := m.text()).strip())


class GuardrailsCheckRequest(BaseModel):
    """POST /v1/guardrails/check: run the input rails only."""

    model_config = ConfigDict(extra="forbid")
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)

    _needs_user_text = field_validator("messages")(_needs_user_text)


class RetrieveOptions(BaseModel):
    """/v1/retrieve's `ragguard` extension: which collection to search."""

    model_config = ConfigDict(extra="forbid")
    collection: str | None = Field(default=None, pattern=COLLECTION_NAME)


class RetrieveRequest(BaseModel):
    """POST /v1/retrieve: ranked chunks for a query, no generation."""

    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=32_000)
    top_k: int | None = Field(default=None, ge=1, le=50)
    mode: Literal["dense", "bm25", "hybrid"] | None = None  # None: RAGGUARD_RETRIEVAL_MODE
    ragguard: RetrieveOptions = Field(default_factory=RetrieveOptions)


MAX_PASSAGES, MAX_PASSAGE_CHARS, MAX_ANSWER_CHARS, MAX_CLAIMS = 20, 16_000, 16_000, 64


class GroundingCheckRequest(BaseModel):
    """POST /v1/guardrails/grounding: is an answer supported by the given passages? (no engine needed)

    Bounded like every endpoint: at most 20 passages of 16,000 characters, an answer of 16,000 characters and
    64 sentences (400/413 beyond), so one request cannot cost a thousand."""

    model_config = ConfigDict(extra="forbid")
    answer: str = Field(min_length=1, max_length=MAX_ANSWER_CHARS)
    passages: list[Annotated[str, Field(max_length=MAX_PASSAGE_CHARS)]] = Field(max_length=MAX_PASSAGES)
    question: str | None = Field(default=None, max_length=4_000)


class Citation(BaseModel):
    index: int
    chunk_id: str
    source: str
    title: str = ""
    text: str
    start: int
    end: int
    score: float


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "ragguard"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


# ---- responses: what /v1/chat/completions sends ----
class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: str | None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    citations: list[Citation]
    ragguard: dict[str, Any]  # rail verdicts, per-sentence grounding, timings (service/trace.py report)


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: str | None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    ragguard: dict[str, Any] | None = None  # a checked sentence's verdict; the final chunk's report and citations

    def wire(self) -> dict[str, Any]:
        """As sent: a delta holds only what it carries; `usage` and `ragguard` only when there are any."""
        out = self.model_dump(exclude={"usage", "ragguard"})
        for choice in out["choices"]:
            choice["delta"] = {k: v for k, v in choice["delta"].items() if v is not None}
        if self.usage is not None:
            out["usage"] = self.usage.model_dump()
        if self.ragguard is not None:
            out["ragguard"] = self.ragguard
        return out
