"""Files -> Documents: .md .txt .html (boilerplate stripped) .pdf (one document per page) .jsonl records.

A file that cannot be read is reported as a LoadFailure and skipped; it never aborts a build.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.chunking import Document

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_BOILERPLATE_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg")
_INLINE_TAGS = ("a", "b", "i", "em", "strong", "span", "code", "small", "sup", "sub", "abbr", "mark", "u")
JSONL_TEXT_FIELDS = ("text", "content", "body")


@dataclass(frozen=True)
class LoadFailure:
    source: str
    reason: str


def _text(path: Path, source: str) -> Iterator[Document]:
    text = path.read_text(encoding="utf-8", errors="replace")
    heading = _HEADING.search(text)
    yield Document(source=source, title=heading.group(1) if heading else path.stem, text=text)


def html_to_text(html: str) -> tuple[str, str]:
    """(title, main text): scripts, navigation, headers and footers dropped, one paragraph per block."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup.find_all(_BOILERPLATE_TAGS):
        tag.decompose()
    for tag in soup.find_all(_INLINE_TAGS):
        tag.unwrap()  # keep inline text in its sentence
    soup.smooth()  # merge the strings unwrapping left side by side
    if soup.title:
        soup.title.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    lines = (" ".join(line.split()) for line in root.get_text("\n").splitlines())
    text = "\n\n".join(line for line in lines if line)
    if not title and (h1 := root.find("h1")):
        title = h1.get_text(" ", strip=True)
    return title, text


def _html(path: Path, source: str) -> Iterator[Document]:
    title, text = html_to_text(path.read_text(encoding="utf-8", errors="replace"))
    yield Document(source=source, title=title or path.stem, text=text)


def _pdf(path: Path, source: str) -> Iterator[Document]:
    from pypdf import PdfReader

    reader = PdfReader(path, strict=False)
    meta_title = (reader.metadata.title if reader.metadata else None) or path.stem
    pages = [page.extract_text() or "" for page in reader.pages]  # read all first: a bad page fails the file
    for number, text in enumerate(pages, start=1):
        if text.strip():
            yield Document(source=source, title=str(meta_title), text=text, page=number)


def _jsonl(path: Path, source: str) -> Iterator[Document]:
    """One record per line: a text field plus metadata (title, url or source, anything else kept)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        field = next((f for f in JSONL_TEXT_FIELDS if isinstance(record.get(f), str)), None)
        if field is None:
            raise ValueError(f"line {number}: no text field ({', '.join(JSONL_TEXT_FIELDS)})")
        meta = {k: v for k, v in record.items() if k != field}
        url = meta.get("url") or meta.get("source")
        yield Document(source=f"{source}#L{number}", title=str(meta.get("title") or path.stem),
                       text=record[field], url=str(url) if url else None, meta=meta)


LOADERS: dict[str, Callable[[Path, str], Iterator[Document]]] = {
    ".md": _text, ".txt": _text, ".html": _html, ".htm": _html, ".pdf": _pdf, ".jsonl": _jsonl,
}


def document_files(root: Path) -> list[Path]:
    """Every file a loader knows below root (or root itself), sorted for reproducible builds."""
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in LOADERS)


def load_file(path: Path, root: Path) -> list[Document]:
    """All documents of one file; raises on a file that cannot be read or parsed."""
    source = str(path.relative_to(root)) if root.is_dir() else path.name
    return list(LOADERS[path.suffix.lower()](path, source))


def load_documents(root: Path) -> tuple[list[Document], list[LoadFailure]]:
    """Every readable document below root, and what could not be read (and why)."""
    docs: list[Document] = []
    failures: list[LoadFailure] = []
    for path in document_files(root):
        try:
            docs.extend(load_file(path, root))
        except Exception as exc:  # noqa: BLE001 - any broken file is reported and skipped
            failures.append(LoadFailure(str(path), f"{type(exc).__name__}: {exc}"[:300]))
    return docs, failures
