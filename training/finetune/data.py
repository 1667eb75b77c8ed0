"""Training and held-out examples from PubMedQA and COVID-QA, in exactly the gateway's prompt format.

Answerable cases get an answer that cites its passage as `[n]`; unanswerable cases (a question shown
with another question's passages) get the fixed REFUSAL. The split is by question, so no held-out
question (nor its passages) is seen in training.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.base import Chunk, Hit
from service.prompt import build_messages
from service.schemas import ChatCompletionRequest

REFUSAL = "I do not know: the sources do not say."
PUBMEDQA = Path("retrieval/pubmedqa/ori_pqal.json")
COVIDQA = Path("retrieval/covid_qa/200423_covidQA.json")
_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Passage:
    title: str
    text: str


@dataclass(frozen=True)
class Example:
    """One question with its numbered passages; `short` is the gold short answer ("" = unanswerable)."""

    id: str
    source: str  # pubmedqa | covidqa
    question: str
    passages: list[Passage]
    answer: str
    short: str
    cited: int = 0  # 1-based number of the passage the answer cites; 0 when unanswerable
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def answerable(self) -> bool:
        return bool(self.short)

    def messages(self) -> list[dict[str, Any]]:
        """The engine messages the gateway would send for this question and these passages."""
        hits = [Hit(Chunk(f"{self.id}-{i}", self.source, p.title, p.text, 0, len(p.text)), 1.0)
                for i, p in enumerate(self.passages)]
        request = ChatCompletionRequest(model="training", messages=[{"role": "user", "content": self.question}])
        return build_messages(request, hits)


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def clip(text: str, max_chars: int) -> str:
    """At most max_chars, cut at a word boundary."""
    text = " ".join(text.split())
    return text if len(text) <= max_chars else text[:max_chars].rsplit(" ", 1)[0] + " ..."


def _pubmedqa(path: Path, max_chars: int, rng: random.Random) -> list[Example]:
    out = []
    for pmid, rec in json.loads(path.read_text()).items():
        contexts = [Passage(label.title(), clip(text, max_chars))
                    for label, text in zip(rec["LABELS"], rec["CONTEXTS"], strict=False)]
        overlap = words(rec["LONG_ANSWER"])
        best = max(range(len(contexts)), key=lambda i: len(words(contexts[i].text) & overlap))
        others = [c for i, c in enumerate(contexts) if i != best]
        chosen = [contexts[best], *rng.sample(others, min(1, len(others)))]
        rng.shuffle(chosen)
        cited = chosen.index(contexts[best]) + 1
        conclusion = _SENTENCE_END.split(rec["LONG_ANSWER"].strip())[-1]
        decision = rec["final_decision"]
        answer = f"{decision.capitalize()}. {clip(conclusion, 220)} [{cited}]"
        out.append(Example(f"pubmedqa-{pmid}", "pubmedqa", rec["QUESTION"], chosen, answer, decision, cited))
    return out


def _window(context: str, start: int, end: int, max_chars: int, rng: random.Random) -> str:
    """A passage of about max_chars holding [start, end), beginning at a word boundary."""
    left = max(0, start - rng.randint(0, max(0, max_chars - (end - start))))
    while left > 0 and not context[left - 1].isspace():
        left -= 1
    return clip(context[left:max(end, left + max_chars)], max(max_chars, end - left + 20))


def _covidqa(path: Path, max_chars: int, rng: random.Random) -> list[Example]:
    articles = json.loads(path.read_text())["data"]
    out = []
    for a, article in enumerate(articles):
        for para in article["paragraphs"]:
            ctx = para["context"]
            for qa in para["qas"]:
                ans = qa["answers"][0]
                text = " ".join(ans["text"].split()).rstrip(" .")
                if not 3 <= len(text) <= 150:
                    continue
                start = ans["answer_start"]
                passage = Passage(f"COVID-QA article {para['document_id']}",
                                  _window(ctx, start, start + len(ans["text"]), max_chars, rng))
                other = articles[(a + rng.randint(1, len(articles) - 1)) % len(articles)]["paragraphs"][0]["context"]
                pos = rng.randint(0, max(0, len(other) - max_chars))
                distractor = Passage("COVID-QA article", _window(other, pos, pos, max_chars, rng))
                chosen = [passage, distractor]
                rng.shuffle(chosen)
                cited = chosen.index(passage) + 1
                answer = f"{text[0].upper()}{text[1:]}. [{cited}]"
                out.append(Example(f"covidqa-{qa['id']}", "covidqa", qa["question"].strip(), chosen, answer, text,
                                   cited))
    return out


def _unanswerable(pool: list[Example], count: int, rng: random.Random) -> list[Example]:
    """Questions shown with another question's passages (from the other data set): the answer is REFUSAL."""
    out = []
    for ex in rng.sample(pool, min(count, len(pool))):
        donor = rng.choice([d for d in pool if d.source != ex.source])
        out.append(Example(f"{ex.id}-unanswerable", ex.source, ex.question, donor.passages, REFUSAL, ""))
    return out


def build_splits(data_dir: Path, train_size: int, eval_size: int, unanswerable: float, max_chars: int,
                 seed: int) -> tuple[list[Example], list[Example]]:
    """(train, held-out): half PubMedQA, half COVID-QA answerable, plus a share of unanswerable cases."""
    rng = random.Random(seed)
    sources = [_pubmedqa(data_dir / PUBMEDQA, max_chars, rng), _covidqa(data_dir / COVIDQA, max_chars, rng)]
    for src in sources:
        rng.shuffle(src)
    splits: list[list[Example]] = []
    offset = 0
    for size in (eval_size, train_size):
        n_unans = round(size * unanswerable)
        per_source = (size - n_unans) // 2
        answerable = [ex for src in sources for ex in src[offset:offset + per_source]]
        pool = [ex for src in sources for ex in src[offset + per_source:offset + per_source + n_unans]]
        split = answerable + _unanswerable(pool, n_unans, rng)
        rng.shuffle(split)
        splits.append(split)
        offset += per_source + n_unans
    held_out, train = splits
    return train, held_out
