"""Read the public sets from a data folder and split them into train / validation / held-out (seeded)."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from guardrails.classifier import windows
from training.guardrails.train.generated import benign_questions, injections
from training.guardrails.train.harm_bank import BANK_SOURCES
from training.guardrails.train.harm_data import FILES as HARM_FILES
from training.guardrails.train.harm_data import HarmSplit, build_harm
from training.guardrails.train.harm_items import apart, near_duplicates
from training.guardrails.train.harm_prose import PROMPT_CHARS, SUMMEDITS_SEEN, heldout_prompts, summedits_documents

BENIGN, INJECTION, HARMFUL = "benign", "injection", "harmful"
CLASSES = (BENIGN, INJECTION, HARMFUL)
HARMFUL_SETS = ("strongreject", "pyrit", "airt", "generated_harmful", "reworded_past", "reworded_future",
                "reworded_style", "suffix", "short_harmful")
SHORT_SETS = {"harmful": "short_harmful", "benign": "short_lookalike"}  # HarmSplit.short_heldout, by label
FILES = {
    "injection/deepset_train.jsonl": "Apache-2.0", "injection/deepset_test.jsonl": "Apache-2.0",
    "injection/bipia/text_attack_test.json": "MIT", "injection/bipia/code_attack_test.json": "MIT",
    "injection/bipia/email_test.jsonl": "MIT", "injection/bipia/table_test.jsonl": "MIT",
    "harmful/advbench_behaviors.csv": "MIT", "harmful/strongreject_dataset.csv": "MIT",
    "benign/xstest_prompts.csv": "CC-BY-4.0", "retrieval/pubmedqa/ori_pqal.json": "MIT",
    "retrieval/covid_qa/200423_covidQA.json": "Apache-2.0", "retrieval/truthfulqa/TruthfulQA.csv": "Apache-2.0",
    **HARM_FILES,
}


@dataclass
class Split:
    train: list[tuple[str, str]] = field(default_factory=list)  # (text, class)
    sources: list[str] = field(default_factory=list)  # where each training text came from
    # held-out set name -> (texts, class expected)
    heldout: dict[str, tuple[list[str], str]] = field(default_factory=dict)
    # held-out set name -> category of each text (harm category, XSTest type); sets without one are absent
    categories: dict[str, list[str]] = field(default_factory=dict)
    harm: HarmSplit = field(default_factory=HarmSplit)  # the harmful / look-alike part, item by item


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _cut(items: list[str], rng: random.Random, held: float = 0.3) -> tuple[list[str], list[str]]:
    items = sorted(set(items))
    rng.shuffle(items)
    k = round(len(items) * held)
    return items[k:], items[:k]


def _contexts(data: Path) -> list[str]:
    out = []
    for name in ("email_test.jsonl", "table_test.jsonl"):
        out += [r["context"] for r in _jsonl(data / "injection/bipia" / name)]
    return out


def _embed_in_context(attacks: list[str], contexts: list[str], rng: random.Random) -> list[str]:
    """An attack hidden in retrieved/tool text, as BIPIA plants it: the tail of a context, then the attack."""
    out = []
    for attack in attacks:
        tail = " ".join(rng.choice(contexts).split()[-rng.randint(20, 90):])
        out.append(f"{tail}\n{attack}" if rng.random() < 0.5 else f"{attack}\n{tail}")
    return out


def retrieval_questions(data: Path, rng: random.Random, n: int = 200) -> list[str]:
    pubmed = [v["QUESTION"] for v in json.loads((data / "retrieval/pubmedqa/ori_pqal.json").read_text()).values()]
    covid = [qa["question"] for d in json.loads((data / "retrieval/covid_qa/200423_covidQA.json").read_text())["data"]
             for p in d["paragraphs"] for qa in p["qas"]]
    with (data / "retrieval/truthfulqa/TruthfulQA.csv").open() as f:
        truthful = [r["Question"] for r in csv.DictReader(f)]
    return [q for src in (pubmed, covid, truthful) for q in rng.sample(sorted(set(src)), n)]


def document_windows(data: Path, chars: int = PROMPT_CHARS) -> list[str]:
    """The rails' windows of SummEdits' seen-domain documents, each cut to its first `chars` characters as the
    held-out pasted documents are (benign; the unseen domains are never read here)."""
    return [w for d in summedits_documents(data, SUMMEDITS_SEEN) for w in windows(d[:chars])]


def build(data: Path, seed: int = 13, bank: str = "", docs: bool = False) -> Split:
    """The split; `bank` ("shipped" / "wider") adds that harmful-action bank (harm_bank) to training, `docs` the
    windows of SummEdits' seen-domain documents (transcripts, chats, news, calls) as benign (source "docs"; the
    document alone, never an ask, so no request wording is learned as benign). The held-out split is the same."""
    rng = random.Random(seed)
    split = Split()

    def add(pairs: Iterable[tuple[str, str]], source: str = "other") -> None:
        items = list(pairs)
        split.train.extend(items)
        split.sources.extend([source] * len(items))

    train = _jsonl(data / "injection/deepset_train.jsonl")
    add(((r["text"], INJECTION if r["label"] == 1 else BENIGN) for r in train), "deepset")
    test = _jsonl(data / "injection/deepset_test.jsonl")
    split.heldout["deepset_test_injection"] = ([r["text"] for r in test if r["label"] == 1], INJECTION)
    split.heldout["deepset_test_benign"] = ([r["text"] for r in test if r["label"] == 0], BENIGN)

    attacks = [a for name in ("text_attack_test.json", "code_attack_test.json")
               for v in json.loads((data / "injection/bipia" / name).read_text()).values() for a in v]
    a_train, a_held = _cut(attacks, rng)
    contexts = _contexts(data)
    c_train, c_held = _cut(contexts, rng)
    add((a, INJECTION) for a in a_train + _embed_in_context(a_train * 2, c_train, rng))
    add(((w, BENIGN) for c in c_train[:80] for w in windows(c)), "bipia_context")
    split.heldout["bipia_attacks"] = (a_held, INJECTION)
    split.heldout["bipia_attacks_in_context"] = (_embed_in_context(a_held, c_held, rng), INJECTION)
    split.heldout["bipia_contexts_clean"] = (c_held[:40], BENIGN)
    if docs:
        add(((w, BENIGN) for w in document_windows(data)), "docs")

    with (data / "harmful/advbench_behaviors.csv").open() as f:
        advbench = [r["Behavior"] for r in csv.DictReader(f)]
    with (data / "harmful/strongreject_dataset.csv").open() as f:
        strong = [r["forbidden_prompt"] for r in csv.DictReader(f)]
    adv_tr, adv_held = _cut(advbench, rng)
    _cut(strong, rng)  # StrongREJECT is held out whole now; the draw keeps the later sets' split unchanged
    adv_held = [t for t, dup in zip(adv_held, near_duplicates(adv_held, adv_tr), strict=True) if not dup]
    add(((t, HARMFUL) for t in adv_tr), "advbench")
    split.heldout["advbench"] = (adv_held, HARMFUL)
    split.categories["advbench"] = ["uncategorized"] * len(adv_held)

    with (data / "benign/xstest_prompts.csv").open() as f:
        xs = list(csv.DictReader(f))
    safe_tr, safe_held = _cut([r["prompt"] for r in xs if r["label"] == "safe"], rng)
    unsafe_tr, unsafe_held = _cut([r["prompt"] for r in xs if r["label"] == "unsafe"], rng)
    add(((t, BENIGN) for t in safe_tr), "xstest")
    add(((t, HARMFUL) for t in unsafe_tr), "xstest")
    split.heldout["xstest_safe"] = (safe_held, BENIGN)
    split.heldout["xstest_unsafe"] = (unsafe_held, HARMFUL)
    kind = {r["prompt"]: r["type"] for r in xs}
    split.categories["xstest_safe"] = [kind[t] for t in safe_held]
    split.categories["xstest_unsafe"] = [kind[t] for t in unsafe_held]

    ben_tr, ben_held = _cut(benign_questions(seed) + retrieval_questions(data, rng), rng)
    add((t, BENIGN) for t in ben_tr)
    split.heldout["benign_generated"] = (ben_held, BENIGN)
    inj_tr, inj_held = _cut(injections(seed), rng)
    add((t, INJECTION) for t in inj_tr)
    split.heldout["injection_generated"] = (inj_held, INJECTION)

    split.harm = build_harm(data, seed, (adv_tr, adv_held), unsafe_tr, ben_tr, bank)
    for it in split.harm.train:
        add([(it.text, it.label)], it.source)
    # the bank is kept apart from the held-out texts where it is added (harm_data): left out here, it cannot move
    # this check's TF-IDF weights, so the held-out split is the same with or without it; so are the documents
    banked = {it.text for it in split.harm.train if it.source in BANK_SOURCES}
    trained = [t for (t, _), source in zip(split.train, split.sources, strict=True)
               if t not in banked and source != "docs"]
    for name, items in split.harm.heldout.items():
        # no held-out prompt may be a near copy of any training text (XSTest's or deepset's included)
        items = apart(items, trained)
        split.harm.heldout[name] = items
        split.heldout[name] = ([it.text for it in items], HARMFUL if name in HARMFUL_SETS else BENIGN)
        split.categories[name] = [it.category for it in items]
    for label, items in split.harm.short_heldout.items():  # short requests: held-out actions x unseen templates
        name = SHORT_SETS[label]
        split.heldout[name] = ([it.text for it in items], HARMFUL if name in HARMFUL_SETS else BENIGN)
        split.categories[name] = [it.category for it in items]
    for name, texts in heldout_prompts(data, seed).items():  # long benign prose: sources never trained on
        split.heldout[name] = (texts, BENIGN)
    return split
