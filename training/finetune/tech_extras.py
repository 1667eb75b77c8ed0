"""Metrics and errors sections for the synthetic READMEs (config `tech_extras`): what a service's operators ask
besides its settings. Which metric counts what, which status and error code a failure gets.

The docs set's false refusals were mostly such questions (metric names, status codes, error codes). The settings
READMEs never showed an answer of that kind, so the model refused them. The sections name made-up metrics
(`<prefix>_requests_total`) and generic failures ("the upstream cannot be reached"), never ragguard's own.
Their choices come from a seeded stream of their own, so every other draw of a README is the same with or without
them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# (metric suffix, what it does): the sentence is "`<metric>` <does>."
METRICS = (("requests_total", "counts requests by route and status"),
            ("request_duration_seconds", "measures how long each request takes"),
            ("queue_depth", "shows how many jobs are waiting"),
            ("errors_total", "counts failed requests by error code"),
            ("cache_hits_total", "counts responses served from the cache"),
            ("upstream_latency_seconds", "measures the time until the upstream replies"),
            ("active_connections", "shows the connections open right now"),
            ("restarts_total", "counts how often a worker was restarted"))
# (when it happens, HTTP status, error code)
ERRORS = (("the upstream cannot be reached", "503", "upstream_unavailable"),
           ("the upstream does not reply in time", "504", "upstream_timeout"),
           ("a request body is over the size limit", "413", "body_too_large"),
           ("a client sends too many requests", "429", "rate_limited"),
           ("the API key is missing or wrong", "401", "invalid_key"),
           ("the request body is not valid JSON", "400", "invalid_request"))
_METRIC_LINES = ("- `{metric}` {does}.", "`{metric}` {does}.")
_ERROR_LINES = ("When {when}, {subject} answers `{status}` with the error code `{code}`.",
                "If {when}, the reply is `{status}` and its error code is `{code}`.")


@dataclass(frozen=True)
class Fact:
    question: str
    short: str  # the answer span
    sentence: str  # the answer sentence that states it
    anchor: str  # the README sentence that states it, with `short` in backticks

    def span_in(self, text: str) -> int:
        """Where `short` starts in the README `text`."""
        return text.index(self.anchor) + self.anchor.index(f"`{self.short}`") + 1


def section(name: str, prefix: str, subject: str, style: random.Random) -> tuple[str, list[Fact]]:
    """The markdown of both sections and the facts they state, with their questions."""
    metric_prefix = prefix.lower()
    facts, metric_lines = [], []
    line = style.choice(_METRIC_LINES)
    for suffix, does in style.sample(METRICS, style.randint(2, 4)):
        metric = f"{metric_prefix}_{suffix}"
        text = line.format(metric=metric, does=does)
        metric_lines.append(text)
        facts.append(Fact(f"Which {subject} metric {does}?", metric, f"{metric} {does}", text))
    error_lines = []
    for when, status, code in style.sample(ERRORS, style.randint(2, 3)):
        text = style.choice(_ERROR_LINES).format(when=when, subject=name, status=status, code=code)
        error_lines.append(text)
        facts.append(Fact(f"What status code does {subject} answer when {when}?", status,
                          f"{name} answers {status} when {when}", text))
        facts.append(Fact(f"Which error code does {subject} send when {when}?", code,
                          f"{name} sends the error code {code} when {when}", text))
    metrics = "\n".join(metric_lines) if line.startswith("-") else (
        "Metrics are served in the Prometheus text format. " + " ".join(metric_lines))
    return "\n".join(["## Metrics", "", metrics, "", "## Errors", "", " ".join(error_lines)]) + "\n", facts
