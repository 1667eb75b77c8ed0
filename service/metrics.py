"""All Prometheus metrics of the gateway, defined once, registered on an injected registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from guardrails.policy import PolicyDecision
from guardrails.verdict import GroundingResult

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
STAGES = ("input_rails", "retrieval", "generation", "output_rails")


@dataclass(frozen=True)
class Metrics:
    """The metric set; one instance per app, bound to its registry."""

    requests: Counter
    request_seconds: Histogram
    in_flight: Gauge
    stage_seconds: Histogram
    rail_verdicts: Counter
    rail_bypasses: Counter
    rail_seconds: Histogram
    engine_errors: Counter
    tokens: Counter
    ttft_seconds: Histogram
    grounding: Counter
    answer_links: Counter
    retrieved_chunks: Histogram
    circuit_state: Gauge
    circuit_transitions: Counter
    index_swaps: Counter
    rate_limit_bypasses: Counter
    policy_reloads: Counter
    policy_info: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> Metrics:
        r = registry
        return cls(
            requests=Counter("ragguard_requests_total", "HTTP requests by route and status.",
                             ["route", "method", "status"], registry=r),
            request_seconds=Histogram("ragguard_request_duration_seconds", "HTTP request latency.",
                                      ["route"], buckets=_LATENCY_BUCKETS, registry=r),
            in_flight=Gauge("ragguard_requests_in_flight", "Chat requests being served now.", registry=r),
            stage_seconds=Histogram("ragguard_stage_duration_seconds", "Latency of each stage of the road.",
                                    ["stage"], buckets=_LATENCY_BUCKETS, registry=r),
            rail_verdicts=Counter("ragguard_rail_verdicts_total", "Rail outcomes by rail and verdict.",
                                  ["rail", "verdict"], registry=r),
            rail_bypasses=Counter("ragguard_rail_bypass_total",
                                  "Rails skipped because they failed open (policy) or were turned off.",
                                  ["rail", "reason"], registry=r),
            rail_seconds=Histogram("ragguard_rail_duration_seconds", "Latency of each rail.",
                                   ["rail"], buckets=_LATENCY_BUCKETS, registry=r),
            engine_errors=Counter("ragguard_engine_errors_total", "Engine call failures by kind.",
                                  ["kind"], registry=r),
            tokens=Counter("ragguard_tokens_total", "Tokens through the engine, by direction (in/out).",
                           ["direction"], registry=r),
            ttft_seconds=Histogram("ragguard_time_to_first_token_seconds",
                                   "Time from request to first content byte sent to the client.",
                                   buckets=_LATENCY_BUCKETS, registry=r),
            grounding=Counter("ragguard_grounding_sentences_total",
                              "Answer sentences by grounding verdict and action taken.",
                              ["verdict", "action"], registry=r),
            answer_links=Counter("ragguard_answer_links_removed_total",
                                 "Images, links and bare addresses taken out of answers (not in the sources, not on "
                                 "a listed host), by kind.", ["kind"], registry=r),
            retrieved_chunks=Histogram("ragguard_retrieved_chunks", "Chunks retrieved per request.",
                                       buckets=(0, 1, 2, 4, 8, 16, 32), registry=r),
            circuit_state=Gauge("ragguard_engine_circuit_state",
                                "Engine circuit breaker: 0 closed, 1 open, 2 half-open.", registry=r),
            circuit_transitions=Counter("ragguard_engine_circuit_transitions_total",
                                        "Engine circuit breaker state changes, by the state entered.",
                                        ["state"], registry=r),
            index_swaps=Counter("ragguard_index_swaps_total",
                                "Index snapshot changes: source admin (swap/rollback call) or pointer (followed "
                                "another replica's), outcome ok, read_only (this replica only), refused or error.",
                                ["source", "outcome"], registry=r),
            rate_limit_bypasses=Counter("ragguard_rate_limit_bypass_total",
                                        "Requests limited per replica only because the shared store (Redis) "
                                        "failed.", ["reason"], registry=r),
            policy_reloads=Counter("ragguard_policy_reloads_total",
                                   "Policy file changes read (RAGGUARD_POLICY_FILE), by result: ok, or error (the "
                                   "old policy serves on).", ["result"], registry=r),
            policy_info=Gauge("ragguard_policy_info", "The policy served now: 1 for its name and version.",
                              ["name", "version"], registry=r),
        )

    def count_usage(self, usage: dict[str, Any] | None) -> dict[str, int]:
        """Count the engine's token usage; returns it in OpenAI's shape (zeros when the engine sent none)."""
        usage = usage or {}
        p, c = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        self.tokens.labels("in").inc(p)
        self.tokens.labels("out").inc(c)
        return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}

    def count_sentences(self, result: GroundingResult, decision: PolicyDecision) -> None:
        for s, kept in zip(result.sentences, decision.kept, strict=True):
            self.grounding.labels(s.verdict, "kept" if kept else "removed").inc()
