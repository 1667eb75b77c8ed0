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
from training.finetune.tech_extras import ERRORS, METRICS, Fact, section

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


def product(i: int, rng: random.Random, prose: bool = False, extras: bool = False, absent: int = 0) -> Product:
    """One made-up service's README and its questions (answer spans located in the README's text). `prose` renders
    the same facts as paragraphs with inline setting names instead of a table, from its own seeded choices, so the
    table READMEs (and every other draw of `rng`) are the same with or without prose ones. `extras` appends the
    metrics and errors sections (tech_extras.py), from a stream of their own too. `absent` adds that many questions
    about what this README does not state (see `absent_questions`), from a stream of their own as well."""
    name = f"{rng.choice(_NAMES)}-{rng.choice(_NAMES)}"
    kind, does = rng.choice(_KINDS)
    title, prefix = name.replace("-", " ").title(), name.replace("-", "_").upper()
    port = str(rng.randrange(1024, 65000))
    settings = [("PORT", "the port the server listens on", port)] + [
        (key, meaning, rng.choice(values).format(name=name))
        for key, meaning, values in rng.sample(_SETTINGS[1:], rng.randint(4, 8))]
    endpoints = rng.sample(_ENDPOINTS, rng.randint(2, 4))
    style = random.Random(f"{i}:{name}:prose")
    text = (_prose if prose else _table)(title, name, prefix, kind, does, port, settings, endpoints, style)
    source = f"techdocs/{i:05d}-{name}"
    # a page may call the product "the proxy" rather than by name; never "the gateway", which is how ragguard's
    # own docs (the docs set, never trained on) name it
    subject = f"the {kind}" if prose and kind != "gateway" and style.random() < 0.5 else title
    facts: list[Fact] = []
    if extras:
        more, facts = section(title, prefix, subject, random.Random(f"{i}:{name}:extras"))
        text = f"{text}\n{more}"
    # (question, short answer, its offset in the README, the answer sentence that states it)
    asked: list[tuple[str, str, int, str]] = [
        (f"What port does {subject} listen on by default?", port, text.index(f"port {port}") + 5,
         f"{subject[0].upper() + subject[1:]} listens on port {port} by default"),
        (f"How do I install {subject}?", f"pip install {name}", text.index(f"pip install {name}"),
         f"Install it with pip install {name}"),
        (f"Which command starts {subject}?", f"{name} serve", text.index(f"{name} serve"),
         f"Start it with {name} serve")]
    for key, meaning, default in settings[1:]:
        var = f"{prefix}_{key}"
        at = text.index(f"`{var}`")
        sentence_start = max(text.rfind(". ", 0, at), text.rfind("\n", 0, at)) + 1
        where = text.index(f"`{default}`", sentence_start) + 1
        asked.append((rng.choice(_DEFAULT_QUESTIONS).format(var=var, title=subject), default, where,
                      f"{var} defaults to {default}"))
        asked.append((rng.choice(_VARIABLE_QUESTIONS).format(meaning=meaning, title=subject), var, at + 1,
                      f"{var} sets {meaning}"))
    for route, what in endpoints:
        asked.append((f"Which endpoint of {subject} {what}?", route, text.index(f"`{route}`") + 1, f"{route} {what}"))
    asked += [(f.question, f.short, f.span_in(text), f.sentence) for f in facts]
    questions: list[dict[str, object]] = [
        {"id": f"techdocs-{i:05d}-{n}", "question": q, "source": source, "span": [at, at + len(short)],
         "short": short, "sentence": sentence} for n, (q, short, at, sentence) in enumerate(asked)]
    if absent:
        unasked = absent_questions(subject, prefix, text, {k for k, _, _ in settings}, {r for r, _ in endpoints})
        picked = random.Random(f"{i}:{name}:absent").sample(unasked, min(absent, len(unasked)))
        questions += [{"id": f"techdocs-{i:05d}-absent-{n}", "question": q, "source": None, "split": source}
                      for n, q in enumerate(picked)]
    return Product(Document(source=source, title=f"{title} README", text=text), questions)


def absent_questions(subject: str, prefix: str, text: str, keys: set[str], routes: set[str]) -> list[str]:
    """Questions about this product that its README does not answer, in the forms of the answerable ones: a setting,
    an endpoint, a metric or an error it does not have. Answered with the refusal, with this README's own chunks
    retrieved beside them (they name the product), so refusing is tied to what the question asks, not to unfamiliar
    sources. Source-less: the split key is the README's (`split`)."""
    out = []
    for key, meaning, _ in _SETTINGS[1:]:
        if key not in keys:
            out += [template.format(var=f"{prefix}_{key}", title=subject, meaning=meaning)
                    for template in (_DEFAULT_QUESTIONS[1], _VARIABLE_QUESTIONS[1])]
    out += [f"Which endpoint of {subject} {what}?" for route, what in _ENDPOINTS if route not in routes]
    out += [f"Which {subject} metric {does}?" for suffix, does in METRICS if f"{prefix.lower()}_{suffix}" not in text]
    out += [f"What status code does {subject} answer when {when}?" for when, _, _ in ERRORS if when not in text]
    return out


Setting = tuple[str, str, str]  # (variable suffix, what it sets, its default)


def _table(title: str, name: str, prefix: str, kind: str, does: str, port: str, settings: list[Setting],
           endpoints: list[tuple[str, str]], style: random.Random) -> str:
    lines = [f"# {title}", "", f"{title} is a {kind} that {does}. It listens on port {port} by default; set "
             f"`{prefix}_PORT` to change it.", "", "## Install", "", f"Install it with `pip install {name}`, then "
             f"start it with `{name} serve`.", "", "## Settings", "", "| Variable | Default | Meaning |",
             "|---|---|---|"]
    lines += [f"| `{prefix}_{key}` | `{default}` | {meaning} |" for key, meaning, default in settings]
    lines += ["", "## Endpoints", ""] + [f"- `{route}` {what}." for route, what in endpoints]
    return "\n".join(lines) + "\n"


# One sentence per setting, in the manner of a configuration page (the value always after the variable's sentence
# start, so the answer span is found from it).
_PROSE_SETTING = ("{Meaning} is set with `{var}` and defaults to `{default}`.",
                  "`{var}` sets {meaning}; it defaults to `{default}`.",
                  "Use `{var}` to change {meaning} (default `{default}`).",
                  "{Meaning} comes from `{var}`, which defaults to `{default}`.",
                  "The value of `{var}` is {meaning}, `{default}` unless set.")


_PROSE_TITLES = ("Setting up {title}", "{title} configuration", "Running {title}", "{title}: settings")
_PROSE_INTROS = ("Every option is read from an environment variable starting with `{prefix}_`.",
                 "It is configured through environment variables named `{prefix}_*`.",
                 "Options come from the environment; each name starts with `{prefix}_`.")
_PROSE_PORTS = ("By default the {kind} accepts connections on port {port}; `{prefix}_PORT` changes it.",
                "{title} listens on port {port} by default, set by `{prefix}_PORT`.",
                "Out of the box it serves on port {port} (`{prefix}_PORT` picks another).")


def _prose(title: str, name: str, prefix: str, kind: str, does: str, port: str, settings: list[Setting],
           endpoints: list[tuple[str, str]], style: random.Random) -> str:
    sentences = []
    for key, meaning, default in settings[1:]:
        template = style.choice(_PROSE_SETTING)
        sentences.append(template.format(Meaning=meaning[0].upper() + meaning[1:], meaning=meaning,
                                         var=f"{prefix}_{key}", default=default))
    paragraphs, at = [], 0
    while at < len(sentences):  # two or three sentences a paragraph, wrapped like hand-written markdown
        take = style.randint(2, 3)
        paragraphs.append(" ".join(sentences[at:at + take]))
        at += take
    routes = " ".join(f"`{route}` {what}." for route, what in endpoints)
    named = kind if kind != "gateway" else "service"
    parts = [f"# {style.choice(_PROSE_TITLES).format(title=title)}", "",
             f"{title} is a {kind} that {does}. {style.choice(_PROSE_INTROS).format(prefix=prefix)}", "",
             style.choice(_PROSE_PORTS).format(title=title, kind=named, port=port, prefix=prefix), "",
             *[p + "\n" for p in paragraphs],
             "## Running it", "", f"Install it with `pip install {name}`, then start it with `{name} serve`.", "",
             "## Endpoints", "", routes]
    return "\n".join(parts) + "\n"


def write(products: int, out: Path, seed: int = 0, prose: float = 0.0, extras: float = 0.0) -> int:
    """The READMEs as out/<source name>.md and their questions as out/questions.jsonl; the question count."""
    docs, questions = corpus(products, seed, prose, extras)
    out.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        (out / f"{doc.source.split('/', 1)[1]}.md").write_text(doc.text)
    (out / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    return len(questions)


def corpus(products: int, seed: int = 0, prose: float = 0.0, extras: float = 0.0,
           absent: int = 0) -> tuple[list[Document], list[dict]]:  # type: ignore[type-arg]
    """`products` READMEs and all their questions, seeded; a `prose` share of them written as paragraphs, an
    `extras` share with metrics and errors sections; `absent` questions each that the README cannot answer."""
    rng = random.Random(f"{seed}:techdocs")
    made = [product(i, rng, random.Random(f"{seed}:{i}:style").random() < prose,
                    random.Random(f"{seed}:{i}:extras").random() < extras, absent) for i in range(products)]
    return [p.doc for p in made], [q for p in made for q in p.questions]
