from pathlib import Path

import pytest
from typer.testing import CliRunner

from index.build import build_index
from index.cli import app
from index.embedder import SentenceTransformerEmbedder
from index.loaders import html_to_text
from index.store import FaissIndex
from tests.index.files import write_mixed_corpus


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_mixed_corpus(tmp_path_factory.mktemp("mixed"))


def test_build_over_every_format_skips_the_corrupt_pdf(mixed: Path, tmp_path: Path,
                                                      embedder: SentenceTransformerEmbedder) -> None:
    report = build_index(mixed, tmp_path / "idx", embedder, progress=False)
    assert [Path(f.source).name for f in report.failures] == ["broken.pdf"]
    assert report.duplicates == 1  # copy.txt repeats notes.txt
    index = FaissIndex.load(tmp_path / "idx", embedder.name, embedder.dim)
    chunks = {c.source: c for c in (h.chunk for h in index.keyword("spillway geothermal flow battery gearbox", 20))}
    assert chunks["manual.pdf"].page == 1 and "spillway" in chunks["manual.pdf"].text
    assert chunks["records.jsonl#L1"].url == "https://example.org/geo"
    assert chunks["page.html"].title == "Battery storage"
    assert index.manifest["chunks"] == report.chunks and index.manifest["failed_files"] == 1
    rebuilt = index.retrieve("When was turbine seven rebuilt?", embedder.embed(["When was turbine seven rebuilt?"])[0],
                             1, "hybrid")
    assert rebuilt[0].chunk.page == 2


def test_html_boilerplate_is_stripped() -> None:
    title, text = html_to_text("<html><head><title>T</title><style>p{}</style></head><body><nav>Menu</nav>"
                               "<p>Kept <a href='#'>link text</a> here.</p><footer>Legal</footer></body></html>")
    assert title == "T" and text == "Kept link text here."


@pytest.mark.parametrize(("strict", "code"), [(False, 0), (True, 1)])
def test_cli_reports_the_bad_file_and_fails_only_when_strict(mixed: Path, tmp_path: Path, strict: bool,
                                                             code: int) -> None:
    args = ["build", str(mixed), "--out", str(tmp_path / "idx")] + (["--strict"] if strict else [])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, result.output
    assert "broken.pdf" in result.output and "chunks/s" in result.output
    assert (tmp_path / "idx" / "current").is_file()
