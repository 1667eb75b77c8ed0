"""#25 end to end against the real llama-server: one gateway process, two collections, two tenants (keys file)
under one policy file. Each tenant, through the unchanged OpenAI SDK and its own model alias, gets an answer
cited from its own collection only, its own PII behaviour (block vs mask), and a 403 on the other's alias and
collection (chat and /v1/retrieve); every response names the policy it was served under."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import pytest
from openai import OpenAI

from index.build import build_index
from index.embedder import SentenceTransformerEmbedder
from service.auth import hash_key
from tests.service.test_collections import HR, SUPPORT

pytestmark = pytest.mark.llama

POLICY = """
name: acme
version: 1
tenants:
  hr: {collections: [hr], models: [hr-assistant], pii_mode: block}
  support: {collections: [support], models: [support-assistant], pii_mode: mask}
aliases:
  hr-assistant: {model: gemma-3-270m, collection: hr}
  support-assistant: {model: gemma-3-270m-ragguard, collection: support}
"""
TENANTS = {"hr": ("hr-assistant", "leave.md", "How many days of paid vacation do employees get?"),
           "support": ("support-assistant", "router.md", "How do I reset the router?")}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder) -> tuple[Path, dict]:
    """An index root with the two collections, a keys file with a key per tenant, the policy file."""
    root, src = tmp_path_factory.mktemp("tenants"), tmp_path_factory.mktemp("tenants-src")
    build_index(Path(__file__).resolve().parents[2] / "docs", root, embedder, progress=False)
    for name, (file, text) in {"hr": ("leave.md", HR), "support": ("router.md", SUPPORT)}.items():
        (src / name).mkdir()
        (src / name / file).write_text(text)
        build_index(src / name, root / "collections" / name, embedder, progress=False)
    keys = {name: secrets.token_hex(24) for name in TENANTS}
    (root / "keys").write_text("".join(f"{hash_key(k)} {name}\n" for name, k in keys.items()))
    (root / "policy.yaml").write_text(POLICY)
    return root, keys


def test_two_tenants_get_their_own_sources_rails_and_403_on_the_others(
        llama_engine: str, gateway_process: Callable[..., str], setup: tuple[Path, dict]) -> None:
    root, keys = setup
    base = gateway_process(llama_engine, RAGGUARD_INDEX_DIR=str(root), RAGGUARD_DEV_MODE="false",
                           RAGGUARD_API_KEYS_FILE=str(root / "keys"), RAGGUARD_POLICY_FILE=str(root / "policy.yaml"))
    for tenant, (alias, source, question) in TENANTS.items():
        client = OpenAI(base_url=f"{base}/v1", api_key=keys[tenant], max_retries=0, timeout=300)
        assert [m.id for m in client.models.list().data] == [alias]
        raw = client.chat.completions.with_raw_response.create(
            model=alias, max_tokens=32, messages=[{"role": "user", "content": question}])
        assert raw.headers["x-ragguard-policy"] == "acme@1" and raw.headers["x-ragguard-policy-tenant"] == tenant
        resp = raw.parse()
        citations = (resp.model_extra or {})["citations"]
        assert resp.choices[0].message.content and citations
        assert {c["source"] for c in citations} == {source}  # its own documents only

        other_tenant = next(t for t in TENANTS if t != tenant)
        other_alias = TENANTS[other_tenant][0]
        for model, extra in ((other_alias, {}), (alias, {"ragguard": {"collection": other_tenant}})):
            with pytest.raises(openai.PermissionDeniedError) as denied:
                client.chat.completions.create(model=model, max_tokens=8, extra_body=extra,
                                               messages=[{"role": "user", "content": question}])
            assert denied.value.response.headers["x-ragguard-policy"] == "acme@1"
        r = httpx.post(f"{base}/v1/retrieve", headers={"Authorization": f"Bearer {keys[tenant]}"},
                       json={"query": question, "ragguard": {"collection": other_tenant}})
        assert r.status_code == 403 and r.json()["error"]["param"] == "ragguard.collection"

    mail = "Please send the answer to jane.doe@example.com: how do I reset the router?"
    support = OpenAI(base_url=f"{base}/v1", api_key=keys["support"], max_retries=0, timeout=300)
    masked = support.chat.completions.create(model="support-assistant", max_tokens=16,
                                             messages=[{"role": "user", "content": mail}])
    assert masked.choices[0].message.content  # support masks PII and answers
    hr = OpenAI(base_url=f"{base}/v1", api_key=keys["hr"], max_retries=0, timeout=300)
    with pytest.raises(openai.BadRequestError) as blocked:  # hr blocks any PII
        hr.chat.completions.create(model="hr-assistant", max_tokens=16, messages=[{"role": "user", "content": mail}])
    assert blocked.value.response.json()["ragguard"]["rail"] == "pii"
