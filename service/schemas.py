"""OpenAI-compatible request and response schemas, plus ragguard's extension fields."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.errors import InvalidRequest
from service.settings import GroundingPolicy, StreamRelease


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

    def release_for(self, policy: str, default: StreamRelease) -> StreamRelease:
        """How a stream under `policy` releases text: "token" only under annotate, where nothing is removed;
        strip and refuse hold each sentence until it is checked, and asking them for "token" is a 400."""
        if policy == "annotate":
            return self.stream_release or default
        if self.stream_release == "token":
            raise InvalidRequest("stream_release 'token' needs grounding_policy 'annotate': strip and refuse "
                                 "release a sentence only once it is checked", param="ragguard.stream_release")
        return "sentence"
    top_k: int | None = Field(default=None, ge=1, le=50)
    retrieval: bool = True


class StreamOptions(BaseModel):
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    n: int | None = Field(default=None, ge=1, le=1)
    stop: str | list[str] | None = None
    seed: int | None = None
    presence_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    frequency_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    user: str | None = None
    ragguard: RagguardOptions = Field(default_factory=RagguardOptions)

    _needs_user_text = field_validator("messages")(_needs_user_text)

    def question(self) -> str:
        """The last user message: what is retrieved for and checked."""
        return next(m.text() for m in reversed(self.messages) if m.role == "user" and m.text().strip())


def rails_text(messages: list[ChatMessage]) -> str:
    """What the input rails read: the user and tool messages, joined."""
    return "\n".join(m.text() for m in messages if m.role in ("user", "tool"))


class GuardrailsCheckRequest(BaseModel):
    """POST /v1/guardrails/check: run the input rails only."""

    model_config = ConfigDict(extra="forbid")
    messages: list[ChatMessage] = Field(min_length=1)

    _needs_user_text = field_validator("messages")(_needs_user_text)


class RetrieveRequest(BaseModel):
    """POST /v1/retrieve: ranked chunks for a query, no generation."""

    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=32_000)
    top_k: int | None = Field(default=None, ge=1, le=50)
    mode: Literal["dense", "bm25", "hybrid"] | None = None  # None: RAGGUARD_RETRIEVAL_MODE


class GroundingCheckRequest(BaseModel):
    """POST /v1/guardrails/grounding: is an answer supported by the given passages? (no engine needed)"""

    model_config = ConfigDict(extra="forbid")
    answer: str = Field(min_length=1, max_length=32_000)
    passages: list[str] = Field(max_length=50)
    question: str | None = Field(default=None, max_length=32_000)


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
