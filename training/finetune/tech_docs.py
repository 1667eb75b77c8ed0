"""Synthetic technical docs: a made-up service's README (what it is, its port, how to install it, a settings table,
endpoints) with templated questions whose answer span is in the text.

The docs set asks about ragguard's docs/ (markdown tables, setting names, ports, commands), a domain the serving
split hardly shows (27 of 2,728 examples show a docs/ chunk, 24 of them as a distractor). These documents bring
that domain without our own docs/, so the docs set stays unseen. Questions come in the serving_data format
(id, question, source, span, short) so `serving_data.answer_for` cites the chunk that holds the span.

    python -m training.finetune techdocs --products 300 --out var/finetune/techdocs
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from index.chunking import Document

_NAMES = ("kestrel", "ferro", "lumen", "quokka", "tessera", "orchid", "basalt", "marlin", "zephyr", "cobalt",
          "juniper", "nimbus", "pylon", "sable", "tundra", "vesper", "wren", "yarrow", "alder", "brisk")
_KINDS = (("proxy", "forwards requests to a pool of upstream servers"),
          ("queue", "stores jobs until a worker takes them"),
          ("cache", "keeps recent responses in memory"),
          ("scheduler", "runs tasks at fixed times"),
          ("gateway", "checks API keys before requests reach the backend"),
          ("indexer", "builds a search index over a folder of files"),
          ("exporter", "publishes host metrics for Prometheus"))
# (variable suffix, what it sets, default values to draw from)
_SETTINGS = (("PORT", "the port the server listens on", None),
             ("HOST", "the address the server binds to", ("127.0.0.1", "0.0.0.0", "localhost")),
             ("TIMEOUT_S", "seconds to wait for an upstream reply", ("5", "10", "30", "60", "120")),
             ("MAX_BODY_BYTES", "the largest request body accepted", ("65536", "1048576", "4194304")),
             ("LOG_LEVEL", "how much is logged", ("info", "warning", "debug", "error")),
             ("WORKERS", "the number of worker processes", ("1", "2", "4", "8")),
             ("CACHE_DIR", "where downloaded artifacts are kept", ("~/.cache/{name}", "/var/cache/{name}")),
             ("RETRIES", "how many times a failed call is retried", ("0", "2", "3", "5")),
             ("TOP_K", "how many results a search returns", ("3", "5", "10", "20")),
             ("RATE_LIMIT", "requests allowed per client", ("60/minute", "600/minute", "10/second")),
             ("DATA_DIR", "the folder that holds the data", ("var/data", "/srv/{name}", "./data")),
             ("METRICS_PATH", "the path metrics are served on", ("/metrics", "/stats", "/-/metrics")))
_ENDPOINTS = (("GET /healthz", "tells whether the process is alive"),
              ("GET /readyz", "tells whether the service is ready to take traffic"),
              ("POST /v1/jobs", "submits a new job"),
              ("GET /v1/status", "reports the current status"),
              ("DELETE /v1/cache", "empties the cache"))
_DEFAULT_QUESTIONS = ("What is the default value of {var}?", "What does {var} default to?",
                      "What is {var} set to by default in {title}?")
_VARIABLE_QUESTIONS = ("Which environment variable sets {meaning} in {title}?",
                       "Which {title} setting controls {meaning}?")


@dataclass(frozen=True)
class Product:
    doc: Document
    questions: list[dict]  # type: ignore[type-arg]


def product(i: int, rng: random.Random) -> Product:
    """One made-up service's README and its questions (answer spans located in the README's text)."""
    name = f"{rng.choice(_NAMES)}-{rng.choice(_NAMES)}"
    kind, does = rng.choice(_KINDS)
    title, prefix = name.replace("-", " ").title(), name.replace("-", "_").upper()
    port = str(rng.randrange(1024, 65000))
    settings = [("PORT", "the port the server listens on", port)] + [
        (key, meaning, rng.choice(values).format(name=name))
        for key, meaning, values in rng.sample(_SETTINGS[1:], rng.randint(4, 8))]
    endpoints = rng.sample(_ENDPOINTS, rng.randint(2, 4))
    lines = [f"# {title}", "", f"{title} is a {kind} that {does}. It listens on port {port} by default; set "
             f"`{prefix}_PORT` to change it.", "", "## Install", "", f"Install it with `pip install {name}`, then "
             f"start it with `{name} serve`.", "", "## Settings", "", "| Variable | Default | Meaning |",
             "|---|---|---|"]
    lines += [f"| `{prefix}_{key}` | `{default}` | {meaning} |" for key, meaning, default in settings]
    lines += ["", "## Endpoints", ""] + [f"- `{route}` {what}." for route, what in endpoints]
    text = "\n".join(lines) + "\n"
    source = f"techdocs/{i:05d}-{name}"
    # (question, short answer, its offset in the README, the answer sentence that states it)
    asked: list[tuple[str, str, int, str]] = [
        (f"What port does {title} listen on by default?", port, text.index(f"port {port}") + 5,
         f"{title} listens on port {port} by default"),
        (f"How do I install {title}?", f"pip install {name}", text.index(f"pip install {name}"),
         f"Install it with pip install {name}"),
        (f"Which command starts {title}?", f"{name} serve", text.index(f"{name} serve"),
         f"Start it with {name} serve")]
    for key, meaning, default in settings[1:]:
        var = f"{prefix}_{key}"
        row = text.index(f"| `{var}` |")
        asked.append((rng.choice(_DEFAULT_QUESTIONS).format(var=var, title=title), default,
                      text.index(f"`{default}`", row) + 1, f"{var} defaults to {default}"))
        asked.append((rng.choice(_VARIABLE_QUESTIONS).format(meaning=meaning, title=title), var, row + 3,
                      f"{var} sets {meaning}"))
    for route, what in endpoints:
        asked.append((f"Which endpoint of {title} {what}?", route, text.index(f"`{route}`") + 1, f"{route} {what}"))
    questions = [{"id": f"techdocs-{i:05d}-{n}", "question": q, "source": source, "span": [at, at + len(short)],
                  "short": short, "sentence": sentence} for n, (q, short, at, sentence) in enumerate(asked)]
    return Product(Document(source=source, title=f"{title} README", text=text), questions)


def write(products: int, out: Path, seed: int = 0) -> int:
    """The READMEs as out/<source name>.md and their questions as out/questions.jsonl; the question count."""
    docs, questions = corpus(products, seed)
    out.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        (out / f"{doc.source.split('/', 1)[1]}.md").write_text(doc.text)
    (out / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    return len(questions)


def corpus(products: int, seed: int = 0) -> tuple[list[Document], list[dict]]:  # type: ignore[type-arg]
    """`products` READMEs and all their questions, seeded."""
    rng = random.Random(f"{seed}:techdocs")
    made = [product(i, rng) for i in range(products)]
    return [p.doc for p in made], [q for p in made for q in p.questions]
