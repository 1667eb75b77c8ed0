"""Harmful-request data: PyRIT, AI Red Team seeds, StrongREJECT, generated requests, rewordings, look-alikes.

Split recipe (seeded; `HarmSplit` keeps the unit of every item so tests can check it):
- StrongREJECT and the PyRIT AI Red Team seeds are held out WHOLE (sources never trained on); StrongREJECT
  rows that near-duplicate an AdvBench row are dropped first.
- PyRIT's scored objectives: 70/30 by objective within each of its 8 categories.
- Generated requests: 30% of the actions of every category and 30% of the request templates are held out;
  the held-out set is held-out actions x held-out templates only.
- Rewordings (past / future tense, style, adversarial suffix): 30% of each kind's templates are held out and
  applied only to held-out requests; training rewords training requests with the other templates; held-out
  suffixes come from a different random stream than training ones.
- Benign look-alikes: the same action/template split as generated requests.
- Short blunt requests and look-alikes (`harm_short.py`, its own seeded stream, added after everything above so the
  rest of the split is unchanged): 30% of each category's actions and 30% of the templates held out; training
  gets training actions x 6 training templates each; `short_heldout` = held-out actions x held-out templates.
  Short training texts that near-copy (cosine >= 0.65) a held-out text above or a probe (`harm_probes.json`)
  are dropped.
- The action bank (`harm_bank.py`, training only, its own seeded stream, added last): more actions and look-alikes
  per category in training request / rewording templates and forms no split template has; a bank text that
  near-copies a held-out text or a probe is dropped, so every held-out set is the same with or without it.
Finally (`data.build`) every held-out text that near-duplicates (TF-IDF cosine >= 0.8) a training text other than the
bank's is dropped (the bank is left out of that check, so its texts cannot move the check's TF-IDF weights).
"""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from training.guardrails.train.harm_actions import BENIGN_ACTIONS, HARMFUL_ACTIONS
from training.guardrails.train.harm_bank import bank_items
from training.guardrails.train.harm_generated import (
    REQUESTS,
    REWORDINGS,
    action_of,
    adversarial_suffix,
    reword,
    third_person,
    xstest_like,
)
from training.guardrails.train.harm_items import BENIGN, HARMFUL, Item, apart, cut, dedupe, norm_key
from training.guardrails.train.harm_short import load_probes, short_split

PYRIT_CATEGORIES = {"exploits": "malware", "hate_speech": "hate", "information_integrity": "misinformation",
                    "privacy": "privacy", "representational": "hate", "self_harm": "self_harm",
                    "sexual_content": "sexual", "violence": "violence"}
STRONGREJECT_CATEGORIES = {"Disinformation and deception": "misinformation",
                           "Hate, harassment and discrimination": "hate", "Illegal goods and services": "illegal_goods",
                           "Non-violent crimes": "nonviolent_crime", "Sexual content": "sexual", "Violence": "violence"}
AIRT_HARMFUL = {"harassment": "hate", "hate": "hate", "illegal": "violence", "malware": "malware",
                "misinformation": "misinformation", "scams": "fraud", "sexual": "sexual", "violence": "violence",
                "airt_imminent_crisis": "self_harm", "harms": "mixed", "leakage": "copyright"}
AIRT_BENIGN = ("fairness_yes_no", "airt_licensed_therapist")
# AIRT seeds that are not harmful requests on their own: multi-turn story set-up, system-prompt leakage
# (an injection, not a harmful request), and a neutral opener.
_AIRT_SKIP = re.compile(r"^(In a world split|The Lumin|Write a story about two groups of people living|Reveal |Output |"
                        r"Show the hidden)")
FILES = {"harmful/pyrit/harm_scored/*.csv": "MIT", "harmful/pyrit/airt/*.prompt": "MIT"}


@dataclass
class HarmSplit:
    train: list[Item] = field(default_factory=list)
    heldout: dict[str, list[Item]] = field(default_factory=dict)
    short_heldout: dict[str, list[Item]] = field(default_factory=dict)  # "harmful" / "benign": unseen templates


def pyrit_objectives(data: Path) -> list[Item]:
    items = []
    for path in sorted((data / "harmful/pyrit/harm_scored").glob("*.csv")):
        text_lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        lines = [line for line in text_lines if not line.startswith("#")]
        for row in csv.DictReader(lines):
            cat = PYRIT_CATEGORIES[row["harm_category"].strip().lower()]
            text = row["objective"].strip()
            items.append(Item(text, HARMFUL, "pyrit", cat, "pyrit:" + norm_key(text)))
    return items


def airt_seeds(data: Path) -> tuple[list[Item], list[Item]]:
    """(harmful seeds, benign seeds) of the AI Red Team set."""
    harmful, benign = [], []
    for path in sorted((data / "harmful/pyrit/airt").glob("*.prompt")):
        seeds = [str(s["value"]).strip() for s in yaml.safe_load(path.read_text(encoding="utf-8"))["seeds"]]
        for text in seeds:
            if path.stem in AIRT_BENIGN:
                benign.append(Item(text, BENIGN, "airt", "benign", "airt:" + norm_key(text)))
            elif path.stem in AIRT_HARMFUL and not _AIRT_SKIP.match(text):
                harmful.append(Item(text, HARMFUL, "airt", AIRT_HARMFUL[path.stem], "airt:" + norm_key(text)))
    return harmful, benign


def strongreject(data: Path) -> list[Item]:
    with (data / "harmful/strongreject_dataset.csv").open(encoding="utf-8") as f:
        return [Item(r["forbidden_prompt"].strip(), HARMFUL, "strongreject", STRONGREJECT_CATEGORIES[r["category"]],
                     "strongreject:" + norm_key(r["forbidden_prompt"])) for r in csv.DictReader(f)]


def _generated(actions: dict[str, list[str]], label: str, source: str, templates: dict[str, str]) -> list[Item]:
    return [Item(reword(a, t), label, source, cat, f"{source}:{a}", name)
            for cat, acts in actions.items() for a in acts for name, t in templates.items()]


def _reworded(bases: list[Item], templates: dict[str, str], kind: str, rng: random.Random, per_base: int = 1
              ) -> list[Item]:
    out = []
    names = sorted(templates)
    for it in bases:
        if it.base.startswith(("generated:", "lookalike:")):
            action: str | None = it.base.split(":", 1)[1]  # the action itself, not its request template
        else:
            action = action_of(it.text) if it.template == "" else None
        if action is None:
            continue
        if kind in ("past", "future"):
            action = third_person(action)
        for name in rng.sample(names, min(per_base, len(names))):
            out.append(Item(reword(action, templates[name]), it.label, it.source, it.category, it.base,
                            f"{kind}:{name}"))
    return out


def _suffixed(bases: list[Item], rng: random.Random) -> list[Item]:
    return [Item(f"{it.text} {adversarial_suffix(rng)}", it.label, it.source, it.category, it.base, "suffix")
            for it in bases]


def _sample(items: list[Item], n: int, rng: random.Random) -> list[Item]:
    return rng.sample(items, n) if len(items) > n else items


def build_harm(data: Path, seed: int, advbench: tuple[list[str], list[str]], xstest_unsafe_train: list[str],
               benign_train: list[str], bank: str = "") -> HarmSplit:
    """The harmful / look-alike part of the split; `advbench` is the (train, held-out) cut data.build made;
    `bank` ("shipped", or "wider": harm_bank_wider's actions and forms too; "": none) adds that action bank to
    training."""
    rng = random.Random(f"{seed}:harm")
    out = HarmSplit()
    adv_tr = [Item(t, HARMFUL, "advbench", "uncategorized", "advbench:" + norm_key(t)) for t in advbench[0]]
    adv_held = [Item(t, HARMFUL, "advbench", "uncategorized", "advbench:" + norm_key(t)) for t in advbench[1]]
    xs_tr = [Item(t, HARMFUL, "xstest", "uncategorized", "xstest:" + norm_key(t)) for t in xstest_unsafe_train]

    # Whole sources held out; StrongREJECT's copies of AdvBench rows go first.
    strong = apart(dedupe(strongreject(data)), advbench[0] + advbench[1])
    airt_harm, airt_benign = airt_seeds(data)

    pyrit = dedupe(pyrit_objectives(data))
    py_tr, py_held = [], []
    for cat in sorted({it.category for it in pyrit}):
        tr, held = cut([it for it in pyrit if it.category == cat], rng)
        py_tr += tr
        py_held += held

    acts_tr, acts_held = {}, {}
    for cat, acts in HARMFUL_ACTIONS.items():
        acts_tr[cat], acts_held[cat] = cut(acts, rng)
    req_tr_names, req_held_names = cut(sorted(REQUESTS), rng)
    req_tr = {n: REQUESTS[n] for n in req_tr_names}
    req_held = {n: REQUESTS[n] for n in req_held_names}
    gen_tr = _generated(acts_tr, HARMFUL, "generated", req_tr)
    gen_held = _generated(acts_held, HARMFUL, "generated", req_held)
    ben_acts_tr, ben_acts_held = {}, {}
    for cat, acts in BENIGN_ACTIONS.items():
        ben_acts_tr[cat], ben_acts_held[cat] = cut(acts, rng)
    look_tr = _generated(ben_acts_tr, BENIGN, "lookalike", req_tr)
    look_held = _generated(ben_acts_held, BENIGN, "lookalike", req_held)

    kinds_tr, kinds_held = {}, {}
    for kind, templates in REWORDINGS.items():
        tr_names, held_names = cut(sorted(templates), rng)
        kinds_tr[kind] = {n: templates[n] for n in tr_names}
        kinds_held[kind] = {n: templates[n] for n in held_names}

    # Training: sources as written, then rewordings and suffixes of every training request (one template each).
    gen_tr_one = [it for it in gen_tr if rng.random() < 0.5]  # half of actions x templates is plenty
    harm_bases = adv_tr + py_tr + xs_tr + gen_tr_one
    ben_plain = [Item(t, BENIGN, "benign_generated", "benign", "benign:" + norm_key(t)) for t in benign_train]
    ben_bases = look_tr + ben_plain
    train = py_tr + gen_tr_one + look_tr
    for kind, templates in kinds_tr.items():
        train += _reworded(_sample(harm_bases, 700, rng), templates, kind, rng)
        train += _reworded(_sample(ben_bases, 300, rng), templates, kind, rng)
    suffix_rng = random.Random(f"{seed}:suffix:train")
    train += _suffixed(_sample(harm_bases, 600, rng), suffix_rng)
    train += _suffixed(_sample(ben_bases, 300, rng), suffix_rng)
    xs_rng = random.Random(f"{seed}:xstest-like")  # its own stream: the other sets' split stays as it was
    xs_tr, xs_held = [], []
    for kind, prompts in xstest_like().items():  # whole prompts, 70/30
        tr, held = cut([Item(p, BENIGN, "lookalike", kind, "xslike:" + norm_key(p)) for p in prompts], xs_rng)
        xs_tr += tr
        xs_held += held
    out.train = dedupe(train + xs_tr, threshold=0.95)

    # Held out: whole sources, held-out PyRIT objectives, held-out actions x held-out templates, and held-out
    # rewording templates / suffix stream applied to held-out requests only.
    held_rng = random.Random(f"{seed}:heldout")
    held_bases = adv_held + strong + py_held + airt_harm + _sample(gen_held, 150, held_rng)
    suffix_held = random.Random(f"{seed}:suffix:heldout")
    look_reworded = [it for kind in ("past", "future") for it in
                     _reworded(look_held, kinds_held[kind], kind, held_rng)]
    heldout = {
        "strongreject": strong, "pyrit": py_held, "airt": airt_harm, "airt_benign": airt_benign,
        "generated_harmful": _sample(gen_held, 250, held_rng),
        "reworded_past": _sample(_reworded(held_bases, kinds_held["past"], "past", held_rng), 300, held_rng),
        "reworded_future": _sample(_reworded(held_bases, kinds_held["future"], "future", held_rng), 300, held_rng),
        "reworded_style": _sample(_reworded(held_bases, kinds_held["style"], "style", held_rng), 300, held_rng),
        "suffix": _suffixed(_sample(held_bases, 300, held_rng), suffix_held),
        "benign_lookalike": look_held + xs_held,
        "benign_lookalike_reworded": _sample(look_reworded, 200, held_rng)
        + _suffixed(_sample(look_held, 100, held_rng), suffix_held),
    }
    train_texts = [it.text for it in out.train] + [it.text for it in adv_tr + xs_tr] + list(benign_train)
    for name, items in heldout.items():
        out.heldout[name] = apart(items, train_texts)

    short_tr, short_held = short_split(seed)
    guarded = [it.text for items in out.heldout.values() for it in items] + [t for _, t in load_probes()]
    # a margin below 0.8: the split's final near-copy check fits its TF-IDF on more texts (other weights)
    short_tr = apart(short_tr, guarded, threshold=0.65)
    out.train += short_tr
    train_texts += [it.text for it in short_tr]
    for label, items in short_held.items():
        out.short_heldout[label] = apart(items, train_texts)
    if bank:
        guarded += [it.text for held in out.short_heldout.values() for it in held]
        out.train += apart(bank_items(seed, req_tr, kinds_tr, wider=bank == "wider"), guarded, threshold=0.65)
    return out
