"""Which rails run, built once from settings: input rails in order, PII, and the document scan."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from guardrails.base import InputRail
from guardrails.classifier import PromptScorer
from guardrails.documents import DocumentRail
from guardrails.harm_encoder import load_harm_encoder
from guardrails.head_rails import HarmfulRail, InjectionClassifierRail
from guardrails.injection import InjectionRail
from guardrails.language import LanguageRail
from guardrails.nemo_policy import NemoInputRail
from guardrails.piece_gate import FOCUS_GATE, PieceGate
from guardrails.pii import DEFAULT_POLICY, PIIRail
from guardrails.topic import TopicRail
from index.base import Embedder
from service.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class Rails:
    input: list[InputRail]
    pii: PIIRail | None = None
    documents: DocumentRail | None = None
    off: list[str] = field(default_factory=list)  # turned off by config: counted as a bypass per request


def prompt_embedders(settings: Settings, load: Callable[..., Embedder]) -> tuple[Embedder, Embedder | None]:
    """(the embedder prompts go through, the fp32 one the cascade rechecks with) for RAGGUARD_PROMPT_EMBEDDING.
    `load(int8, fallback=...)` is load_embedder with the gateway's settings."""
    if settings.prompt_embedding != "cascade":
        return load(settings.prompt_embedding == "int8"), None
    precise = load(False)
    if settings.embedder_backend == "onnx":
        try:  # the cascade's margin was measured on ONNX int8 vectors, never on a torch stand-in
            return load(True, fallback=False), precise
        except Exception:  # noqa: BLE001 - fp32 alone is slower, never less safe
            logger.warning("no ONNX int8 embedder", exc_info=True)
    logger.warning("prompt cascade off: prompts are embedded in fp32 alone")
    return precise, None


def build_rails(settings: Settings, embedder: Embedder, precise: Embedder | None = None) -> Rails:
    """The language rail and the fast rules first, then the trained head (one scorer shared by both learned rails),
    then topics.

    Retrieved chunks go through the same rules and injection head (indirect injection). With `precise` the
    learned rails run the int8 -> fp32 cascade (see PromptScorer)."""
    harm_encoder = load_harm_encoder(threads=settings.embedder_threads) if settings.harm_encoder == "on" else None
    focus_gate = PieceGate.load(FOCUS_GATE) if settings.focus_gate == "on" else None
    scorer = PromptScorer(embedder, precise=precise, fast_cut=settings.prompt_fast_cut,
                          max_tokens=settings.max_prompt_tokens, harm_encoder=harm_encoder, focus_gate=focus_gate)
    rules = InjectionRail()
    classifier = InjectionClassifierRail(scorer, settings.injection_threshold)
    candidates: list[InputRail] = [LanguageRail(settings.input_languages), rules, classifier,
                                   HarmfulRail(scorer, settings.harmful_threshold)]
    if settings.topics_denied or settings.topics_allowed:
        candidates.append(TopicRail(embedder, settings.topics_denied, settings.topics_allowed,
                                    settings.topic_deny_threshold, settings.topic_allow_threshold))
    modes = settings.rail_modes
    rails = Rails(input=[r for r in candidates if modes.get(r.name) != "off"],
                  off=[r.name for r in candidates if modes.get(r.name) == "off"])
    if settings.nemo_config is not None:  # the NeMo config orders our rails (as actions) instead
        rails.input = [NemoInputRail(settings.nemo_config, {r.name: r for r in rails.input}, settings.engine_url,
                                     off=rails.off)]
    if settings.pii_mode == "off":
        rails.off.append("pii")
    else:
        rails.pii = PIIRail({**DEFAULT_POLICY, **settings.pii_entities}, mode=settings.pii_mode)
        rails.pii.mask("warm up: mail me at someone@example.com")
    if settings.document_rail_mode == "off":
        rails.off.append("indirect_injection")
    else:
        rails.documents = DocumentRail(rules, classifier, settings.document_rail_threshold, gate=PieceGate.load())
    return rails


def tenant_rails(rails: Rails, settings: Settings, base: Settings) -> Rails:
    """The running rails as a tenant's settings (service/policy.py) change them from `base`: rails turned off,
    other thresholds (a rail of its own over the shared scorer), another PII mode. A rail off in `base` is not
    loaded, so no tenant can turn it on (ValueError)."""
    modes = settings.rail_modes
    if unknown := sorted(set(modes) - set(base.rail_modes) - {r.name for r in rails.input} - set(rails.off)):
        raise ValueError(f"rail_modes: no rail {', '.join(unknown)} (have: "
                         f"{', '.join(sorted({r.name for r in rails.input}))})")
    if turned_on := sorted(n for n, m in base.rail_modes.items() if m == "off" and modes.get(n) != "off"):
        raise ValueError(f"rail_modes: {', '.join(turned_on)} is off in RAGGUARD_RAIL_MODES, so it is not loaded")
    if settings.document_rail_mode != "off" and rails.documents is None:
        raise ValueError("document_rail_mode: the document rail is off in RAGGUARD_DOCUMENT_RAIL_MODE")
    chosen = [_thresholds(r, settings, base) for r in rails.input if modes.get(r.name) != "off"]
    pii = rails.pii
    if settings.pii_mode == "off":
        pii = None
    elif pii is None or (settings.pii_mode, settings.pii_entities) != (base.pii_mode, base.pii_entities):
        pii = PIIRail({**DEFAULT_POLICY, **settings.pii_entities}, mode=settings.pii_mode,
                      analyzer=pii.analyzer if pii is not None else None)
    documents = None if settings.document_rail_mode == "off" else rails.documents
    off = [n for n in rails.off if n not in ("pii", "indirect_injection")]
    off += [r.name for r in rails.input if modes.get(r.name) == "off"]
    off += (["pii"] if pii is None else []) + (["indirect_injection"] if documents is None else [])
    return Rails(input=chosen, pii=pii, documents=documents, off=off)


def _thresholds(rail: InputRail, settings: Settings, base: Settings) -> InputRail:
    """`rail`, or one like it at the tenant's threshold (sharing the scorer, so no model is loaded again)."""
    if isinstance(rail, HarmfulRail) and settings.harmful_threshold != base.harmful_threshold:
        return HarmfulRail(rail.scorer, settings.harmful_threshold, taxonomy=rail.taxonomy)
    if isinstance(rail, InjectionClassifierRail) and settings.injection_threshold != base.injection_threshold:
        return InjectionClassifierRail(rail.scorer, settings.injection_threshold)
    return rail
