"""#25: the prod render mounts the policy ConfigMap, as a folder, where RAGGUARD_POLICY_FILE points, read-only,
and the policy it ships is one the gateway accepts."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from service.policy import load_policy
from tests.deploy.manifests import (
    API_KEYS,
    ENGINE_KEY,
    Doc,
    by_key,
    checkout_copy,
    containers,
    gateway_settings,
    kustomize,
    write_prod_secrets,
)


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> list[Doc]:
    k8s = checkout_copy(tmp_path_factory.mktemp("deploy") / "k8s")
    write_prod_secrets(k8s, API_KEYS, ENGINE_KEY)
    return kustomize(k8s / "overlays" / "prod")


def test_prod_policy_is_mounted_where_the_gateway_reads_it_and_loads(prod: list[Doc], tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    docs = by_key(prod)
    policy_file = PurePosixPath(str(gateway_settings(prod, monkeypatch).policy_file))
    pod = docs[("Deployment", "ragguard-gateway")]["spec"]["template"]["spec"]
    (mount,) = [m for m in containers(docs[("Deployment", "ragguard-gateway")])[0]["volumeMounts"]
                if PurePosixPath(m["mountPath"]) == policy_file.parent]
    assert mount.get("readOnly") is True and "subPath" not in mount  # a subPath mount is never refreshed
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    config_map = docs[("ConfigMap", volume["configMap"]["name"])]
    (tmp_path / policy_file.name).write_text(config_map["data"][policy_file.name])
    assert load_policy(tmp_path / policy_file.name).name == "prod"
