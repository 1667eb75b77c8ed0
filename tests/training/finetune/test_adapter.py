"""The committed adapter: standard PEFT LoRA that both engines load, small, with a model card; and it retrains."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml
from safetensors import safe_open
from safetensors.torch import save_file

from engines.artifacts import Artifacts
from engines.launch import vllm_lora_args
from service.settings import Settings
from training.finetune.config import FinetuneConfig

ROOT = Path(__file__).resolve().parents[3]
NAME = "gemma-3-270m-ragguard"
ADAPTER = ROOT / "models" / "adapters" / NAME
HF_MODEL = Artifacts(Settings().cache_dir).hf_model
DATA = ROOT.parent / "shared" / "data"


def test_adapter_is_standard_peft_lora_on_attention_and_mlp() -> None:
    config = json.loads((ADAPTER / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["r"] <= 16
    assert set(config["target_modules"]) <= {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                             "down_proj"}
    weights = ADAPTER / "adapter_model.safetensors"
    assert weights.stat().st_size < 10_000_000
    with safe_open(str(weights), "pt") as f:
        keys = list(f.keys())
    # the names vLLM and convert_lora_to_gguf.py map onto the base model's modules
    assert keys and all(k.startswith("base_model.model.model.layers.") and k.endswith((".lora_A.weight",
                                                                                        ".lora_B.weight"))
                        for k in keys)


def test_adapter_has_a_model_card_with_data_license_and_metrics() -> None:
    card = (ADAPTER / "README.md").read_text()
    assert "license: gemma" in card and "PubMedQA" in card and "COVID-QA" in card
    assert "## Metrics" in card and "Held-out mean answer-token loss" in card


def test_served_by_default_and_registered_in_vllm_and_its_manifest() -> None:
    assert Settings().adapters[NAME] == Path("models/adapters") / NAME
    rank = json.loads((ADAPTER / "adapter_config.json").read_text())["r"]
    args = vllm_lora_args({NAME: Path("models/adapters") / NAME})
    assert "--enable-lora" in args and f"{NAME}={ADAPTER}" in args
    assert int(args[args.index("--max-lora-rank") + 1]) >= rank
    deployment = yaml.safe_load((ROOT / "deploy" / "k8s" / "base" / "vllm-deployment.yaml").read_text())
    vllm_args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--enable-lora" in vllm_args and f"--lora-modules={NAME}=/adapters/{NAME}" in vllm_args
    max_rank = next(a for a in vllm_args if a.startswith("--max-lora-rank="))
    assert int(max_rank.split("=")[1]) >= rank


@pytest.mark.skipif(not (HF_MODEL / "config.json").exists() or not (DATA / "retrieval").exists(),
                    reason="needs the HF base model (ragguard prepare --vllm) and the shared data")
def test_training_runs_end_to_end_on_a_tiny_set_and_resumes(tmp_path: Path) -> None:
    from training.finetune.train import train

    cfg = FinetuneConfig.load(data_dir=DATA, out_dir=tmp_path, checkpoint_dir=tmp_path / "ckpt", data="pairs",
                              train_size=4, eval_size=2, loss_eval_size=1, epochs=1, batch_size=2,
                              checkpoint_every=1)
    out = train(cfg, progress=False)
    metrics = json.loads((out / "train_metrics.json").read_text())
    assert metrics["steps"] == 2 and metrics["train_examples"] == 3  # 2 answerable + 1 unanswerable
    with safe_open(str(out / "adapter_model.safetensors"), "pt") as f:
        trained = {k: f.get_tensor(k) for k in f.keys()}
    assert any(k.endswith("lora_B.weight") and torch.count_nonzero(v) for k, v in trained.items())
    assert (out / "README.md").exists() and (out / "adapter_config.json").exists()
    assert torch.load(tmp_path / "ckpt" / cfg.name / "checkpoint.pt", weights_only=False)["step"] == 2

    # run again: it resumes at the last checkpoint (the end), trains nothing, and saves the same weights
    train(cfg, progress=False)
    with safe_open(str(out / "adapter_model.safetensors"), "pt") as f:
        assert all(torch.equal(f.get_tensor(k), v) for k, v in trained.items())

    # a continuation starts from those weights (init_adapter) and its card gives the whole training
    more = cfg.model_copy(update={"init_adapter": out, "out_dir": tmp_path / "more",
                                  "checkpoint_dir": tmp_path / "ckpt-more", "train_size": 2})
    again = train(more, progress=False)
    metrics = json.loads((again / "train_metrics.json").read_text())
    assert metrics["continued_from"]["steps"] == 2 and metrics["continued_from"]["adapter"] == str(out)
    assert "continues the adapter it started from" in (again / "README.md").read_text()


def test_ship_writes_float16_weights_its_metrics_and_card(tmp_path: Path) -> None:
    from training.finetune.ship import ship

    candidate = tmp_path / "candidate" / NAME
    candidate.mkdir(parents=True)
    with safe_open(str(ADAPTER / "adapter_model.safetensors"), "pt") as f:
        weights = {k: f.get_tensor(k).float() for k in list(f.keys())[:4]}  # a float32 candidate, as trained
    save_file(weights, candidate / "adapter_model.safetensors")
    for name in ("adapter_config.json", "train_metrics.json", "eval_metrics.json"):
        (candidate / name).write_text((ADAPTER / name).read_text())
    dest_root = tmp_path / "shipped"
    (dest_root / NAME).mkdir(parents=True)
    (dest_root / NAME / "docs_eval_metrics.json").write_text("{}")  # the shipped adapter's, stale now
    cfg = FinetuneConfig.load(ROOT / "training" / "finetune" / "config.tech3.yaml", out_dir=tmp_path / "candidate")
    out = ship(cfg, dest_root)
    with safe_open(str(out / "adapter_model.safetensors"), "pt") as f:
        assert all(f.get_tensor(k).dtype == torch.float16 and torch.equal(f.get_tensor(k), v.half())
                   for k, v in weights.items())
    assert not (out / "docs_eval_metrics.json").exists()
    card = (out / "README.md").read_text()
    assert "## Metrics" in card and "train --config training/finetune/config.tech3.yaml" in card  # how to redo it
    with pytest.raises(ValueError, match="already"):
        ship(cfg.model_copy(update={"out_dir": dest_root}), dest_root)
