"""The road's parts, wired once from settings (the lifespan calls `build_road`)."""

from __future__ import annotations

from dataclasses import replace

from opentelemetry import trace as otel

from guardrails.base import OutputRail
from guardrails.judge import LLMJudge
from guardrails.self_check import SelfCheckInput
from index.base import Embedder
from service.base import LLMClient
from service.catalog import ModelCatalog
from service.collections import Collections
from service.metrics import Metrics
from service.pipeline.clock import Clock
from service.pipeline.generation import Generation
from service.pipeline.inputs import InputCheck
from service.pipeline.output import OutputCheck
from service.pipeline.respond import Respond
from service.pipeline.retrieval import Retrieval
from service.pipeline.road import Road
from service.rails import Rails, tenant_rails
from service.settings import Settings
from service.work import CpuSlots


def build_road(settings: Settings, metrics: Metrics, tracer: otel.Tracer, embedder: Embedder, index: Collections,
               rails: Rails, output_rail: OutputRail, llm: LLMClient, catalog: ModelCatalog | None) -> Road:
    """One CPU pool (RAGGUARD_CPU_WORKERS) serves every stage; the LLM judge only where routes ask for it, the input
    self-check only when RAGGUARD_SELF_CHECK_INPUT is on."""
    slots, clock = CpuSlots(settings.cpu_workers, settings.cpu_wait_s), Clock(metrics, tracer)
    fields = catalog.engine_fields if catalog is not None else lambda _m: {}
    judge = LLMJudge(llm.complete, settings.llm_judge_model or settings.engine_model_name, settings.llm_judge_routes,
                     fields, count=lambda v: metrics.rail_verdicts.labels("llm_judge", v).inc(),
                     ) if settings.llm_judge_routes else None
    self_check = SelfCheckInput(llm.complete, settings.self_check_input_model or settings.engine_model_name,
                                settings.self_check_input_from, fields,
                                max_tokens=settings.self_check_input_max_tokens) if settings.self_check_input else None
    output = OutputCheck(settings, metrics, output_rail, slots, clock, judge)
    return Road(
        settings=settings, clock=clock,
        inputs=InputCheck(settings, metrics, embedder, rails.input, slots, rails.pii, rails.off, self_check),
        retrieval=Retrieval(settings, metrics, embedder, index, slots, rails.documents),
        generation=Generation(llm, output, clock, settings.check_during_generation),
        output=output, respond=Respond(settings, metrics), catalog=catalog)


def tenant_road(road: Road, rails: Rails, settings: Settings) -> Road:
    """`road` as one tenant's policy changes it (service/tenancy.py): the stages that read settings get the
    tenant's (input rails, PII, retrieval and its document rail, the grounding policy), the rest are shared."""
    mine = tenant_rails(rails, settings, road.settings)
    inputs = replace(road.inputs, settings=settings, rails=mine.input, pii=mine.pii, off=mine.off)
    retrieval = replace(road.retrieval, settings=settings, documents=mine.documents)
    return replace(road, settings=settings, inputs=inputs, retrieval=retrieval,
                   respond=replace(road.respond, settings=settings))
