from typer.testing import CliRunner

from training.guardrails.cli import app


def test_eval_refuses_a_prompt_embedding_the_gateway_does_not_have() -> None:
    result = CliRunner().invoke(app, ["eval", "--prompt-embedding", "int4"])
    assert result.exit_code == 2
    assert "cascade | int8 | fp32" in result.output  # the choices come from Settings.prompt_embedding's Literal


def test_eval_refuses_a_harm_encoder_setting_the_gateway_does_not_have() -> None:
    result = CliRunner().invoke(app, ["eval", "--harm-encoder", "maybe"])
    assert result.exit_code != 0 and "on | off" in result.output


def test_eval_refuses_a_language_code_the_language_rail_does_not_know() -> None:
    result = CliRunner().invoke(app, ["eval", "--languages", "en, klingon"])
    assert result.exit_code != 0 and "klingon" in result.output
