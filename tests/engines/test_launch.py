from pathlib import Path

import jinja2

from engines.artifacts import CHAT_TEMPLATE, Artifacts
from engines.launch import EngineSpec, llama_command, vllm_env


def test_gemma_template_renders_turns_with_system_merged() -> None:
    template = jinja2.Environment().from_string(CHAT_TEMPLATE.read_text())
    out = template.render(bos_token="<bos>", add_generation_prompt=True, messages=[
        {"role": "system", "content": "Use the sources."},
        {"role": "user", "content": "Hi?"},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": "Port?"},
    ])
    assert out == ("<bos><start_of_turn>user\nUse the sources.\n\nHi?<end_of_turn>\n"
                   "<start_of_turn>model\nHello.<end_of_turn>\n"
                   "<start_of_turn>user\nPort?<end_of_turn>\n<start_of_turn>model\n")


def test_llama_command_binds_loopback_and_passes_template_file(tmp_path: Path) -> None:
    art = Artifacts(tmp_path)
    art.llama_server.parent.mkdir(parents=True)
    art.llama_server.touch()
    art.gguf.parent.mkdir(parents=True)
    art.gguf.touch()
    cmd = llama_command(EngineSpec("llama", "127.0.0.1", 9999, "gemma-3-270m"), art)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--chat-template-file") + 1] == str(CHAT_TEMPLATE)
    assert cmd[cmd.index("--alias") + 1] == "gemma-3-270m"


def test_vllm_env_reports_no_usage() -> None:
    assert vllm_env(2)["VLLM_NO_USAGE_STATS"] == "1"


def test_adapter_gguf_is_named_by_content_so_a_name_never_serves_stale_weights(tmp_path: Path) -> None:
    art = Artifacts(tmp_path / "cache")
    one, two = tmp_path / "shipped", tmp_path / "candidate"
    for folder, data in ((one, b"shipped weights"), (two, b"candidate weights")):
        folder.mkdir()
        (folder / "adapter_model.safetensors").write_bytes(data)
    paths = {art.adapter_gguf("gemma-3-270m-ragguard", f / "adapter_model.safetensors") for f in (one, two)}
    assert len(paths) == 2
    done = art.adapter_gguf("gemma-3-270m-ragguard", one / "adapter_model.safetensors")
    done.parent.mkdir(parents=True)
    done.touch()
    assert art.ensure_adapter_gguf("gemma-3-270m-ragguard", one) == done  # converted once, reused
