"""Document-rail verdicts made at index time and stored with each chunk of a snapshot.

`index build` / `index update` hand every new or changed chunk to a `ChunkScanner` (the gateway's document
rail, supplied by the CLI: index/ never imports guardrails/) and keep its verdict beside the chunk, and the
scanner's `identity` (its model, thresholds and rules) in the manifest. The gateway uses a stored verdict only
when it was made by the rail it runs itself; any other chunk is scanned at request time.
"""

from index.base import ChunkScanner, StoredVerdict

__all__ = ["ChunkScanner", "StoredVerdict"]
