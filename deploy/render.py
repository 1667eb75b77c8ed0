"""Render a Kustomize folder without the kustomize binary: the subset deploy/k8s uses.

Supported: `resources` (files or folders with a kustomization.yaml), `namespace`, `labels[].pairs`
(metadata only), and `patches` that are either JSON6902 op lists (with `target` kind/name) or
`$patch: delete` documents. Anything else raises, so the renderer never silently differs from
`kubectl kustomize`.  Usage: python deploy/render.py deploy/k8s/overlays/prod
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import yaml

Doc = dict[str, Any]
KNOWN_KEYS = {"apiVersion", "kind", "resources", "namespace", "labels", "patches"}


def _load_all(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def _key(doc: Doc) -> tuple[str, str]:
    return doc["kind"], doc["metadata"]["name"]


def _pointer(path: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]


def apply_json6902(doc: Doc, ops: list[Doc]) -> Doc:
    """Apply add/replace/remove ops (RFC 6902) to a copy of doc."""
    doc = copy.deepcopy(doc)
    for op in ops:
        *parents, last = _pointer(op["path"])
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if op["op"] not in {"add", "replace", "remove"}:
            raise ValueError(f"unsupported op {op['op']!r}")
        if isinstance(node, list):
            index = len(node) if last == "-" else int(last)
            if op["op"] == "add":
                node.insert(index, op["value"])
            elif op["op"] == "replace":
                node[index] = op["value"]
            else:
                del node[index]
        elif op["op"] == "remove" or (op["op"] == "replace" and last not in node):
            if last not in node:
                raise KeyError(f"{op['path']} not found in {_key(doc)}")
            del node[last]
        else:
            node[last] = op["value"]
    return doc


def render(folder: Path) -> list[Doc]:
    """The manifests `kubectl kustomize folder` would print (for the supported subset)."""
    kust = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unknown = set(kust) - KNOWN_KEYS
    if unknown:
        raise ValueError(f"{folder}: unsupported kustomization keys {sorted(unknown)}")
    docs: list[Doc] = []
    for entry in kust.get("resources", []):
        path = folder / entry
        docs += render(path) if path.is_dir() else _load_all(path)
    for patch in kust.get("patches", []):
        body = _load_all(folder / patch["path"])
        if "target" in patch:
            target = (patch["target"]["kind"], patch["target"]["name"])
            if target not in {_key(d) for d in docs}:
                raise KeyError(f"{folder}: patch target {target} not found")
            docs = [apply_json6902(d, body[0]) if _key(d) == target else d for d in docs]
            continue
        for doc in body:
            if doc.get("$patch") != "delete":
                raise ValueError(f"{folder}: only JSON6902 and $patch: delete patches are supported")
            if _key(doc) not in {_key(d) for d in docs}:
                raise KeyError(f"{folder}: cannot delete missing {_key(doc)}")
            docs = [d for d in docs if _key(d) != _key(doc)]
    for doc in docs:
        meta = doc["metadata"]
        if "namespace" in kust:
            meta["namespace"] = kust["namespace"]
        for label in kust.get("labels", []):
            meta["labels"] = {**meta.get("labels", {}), **label["pairs"]}
    return docs


if __name__ == "__main__":
    yaml.safe_dump_all(render(Path(sys.argv[1])), sys.stdout, sort_keys=False)
