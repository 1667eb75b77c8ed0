"""Collections: several named indexes served at once, each with its own snapshots, hot swap and rollback.

    INDEX_ROOT/                       the default collection (a request that names none)
    INDEX_ROOT/collections/NAME/      one more each (`python -m index build SRC --out INDEX_ROOT/collections/NAME`)

A request picks one with `"ragguard": {"collection": "hr"}` (chat and /v1/retrieve); an unknown name is a 404
in the OpenAI envelope. The retrieval stage holds `Collections` and searches the named one's live snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from index.live import LiveIndex
from index.snapshots import current_version
from service.errors import CollectionNotFound
from service.schemas import COLLECTION_NAME

FOLDER = "collections"


class Collections:
    """The default index and the named ones."""

    def __init__(self, default: LiveIndex, named: dict[str, LiveIndex]) -> None:
        self.default, self.named = default, named

    @classmethod
    def open(cls, default: LiveIndex, make: Callable[[Path], LiveIndex]) -> Collections:
        """Load every collection under the default index's root that has a current snapshot."""
        return cls(default, {name: make(default.root / FOLDER / name) for name in collection_names(default.root)})

    def get(self, name: str | None) -> LiveIndex:
        if name is None:
            return self.default
        if name not in self.named:
            raise CollectionNotFound(f"no collection {name!r} (have: {', '.join(self.named) or 'none'})",
                                     param="ragguard.collection")
        return self.named[name]

    def all(self) -> dict[str | None, LiveIndex]:
        everything: dict[str | None, LiveIndex] = {None: self.default}
        everything.update(self.named)
        return everything


def collection_names(root: Path) -> list[str]:
    """The named collections under an index root that have a current snapshot (those a gateway serves)."""
    folder = root / FOLDER
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and re.match(COLLECTION_NAME, p.name)
                  and current_version(p)) if folder.is_dir() else []
