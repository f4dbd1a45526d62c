"""What the command line prints and how it exits: a refused duplicate, the article list's
dates said by name, a stale index's status one fact per line with the fix, and answers
rendered on a terminal but plain text in a pipe."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from assistant.cli import cli
from assistant.settings import Settings

from .conftest import SEEDS

QUESTION = "What causes inner thigh cramps?"


def test_a_duplicate_add_exits_non_zero(tmp_path: Path) -> None:
    runner, corpus = CliRunner(), str(tmp_path / "corpus")
    first = runner.invoke(cli, ["add", str(SEEDS[0]), "--corpus", corpus])
    assert first.exit_code == 0, first.output
    again = runner.invoke(cli, ["add", str(SEEDS[0]), "--corpus", corpus])
    assert again.exit_code == 1 and "DUPLICATE" in again.output, again.output
    assert "0 added, 1 not added" in again.output


def test_list_names_its_columns_and_says_unknown(workspace: Settings) -> None:
    path = sorted(workspace.corpus_dir.glob("*.md"))[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("---\n", "---\npublisher: NHS\npublished: '2023-03-12'\n", 1),
                    encoding="utf-8")
    listed = CliRunner().invoke(cli, ["list", "--corpus", str(workspace.corpus_dir)])
    lines = [line.split("\t") for line in listed.output.splitlines()]
    assert lines[0] == ["id", "title", "publisher", "published", "added"]
    assert lines[1][0] == path.stem and lines[1][2:4] == ["NHS", "2023-03-12"]
    assert all(len(row) == 5 and row[4] != "unknown" for row in lines[1:])
    assert all(row[2:4] == ["unknown", "unknown"] for row in lines[2:])  # the seeds say none


def test_status_of_a_stale_index_is_one_fact_a_line_with_the_fix(workspace: Settings) -> None:
    path = sorted(workspace.corpus_dir.glob("*.md"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more sentence on cramps.\n",
                    encoding="utf-8")
    shown = CliRunner().invoke(cli, ["status", "--corpus", str(workspace.corpus_dir),
                                     "--index", str(workspace.index_dir)])
    lines = shown.output.splitlines()
    assert all(re.fullmatch(r"[a-z ]+: +\S.*", line) for line in lines), lines
    assert "state:    stale (1 changed since the build)" in lines
    assert lines[-1] == "fix:      run `cramp-assistant build` to bring it up to date"
    fresh = CliRunner().invoke(cli, ["status", "--corpus", str(workspace.corpus_dir),
                                     "--index", str(workspace.index_dir), "--verify"])
    assert "fix:" in fresh.output  # still stale: status only reads


def test_ask_prints_plain_text_to_a_pipe(built: Settings) -> None:
    env = {"CRAMP_CORPUS_DIR": str(built.corpus_dir)}
    asked = CliRunner().invoke(cli, ["ask", QUESTION, "--index", str(built.index_dir)], env=env)
    assert asked.exit_code == 0, asked.output
    assert "**" not in asked.output and "_Not medical advice" not in asked.output
    assert "\nSources\n[1] " in asked.output and "\nNot medical advice:" in asked.output
    assert "\x1b[" not in asked.output


def test_ask_renders_markdown_on_a_terminal(built: Settings) -> None:
    """A real terminal (a pty): bold and italics as terminal styles, no Markdown markers."""
    main, child = pty.openpty()
    env = {**os.environ, "CRAMP_CORPUS_DIR": str(built.corpus_dir), "COLUMNS": "100",
           "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "ask", QUESTION, "--index",
                             str(built.index_dir)], stdout=child, stderr=subprocess.PIPE,
                            env=env)
    os.close(child)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    assert proc.wait(timeout=300) == 0, proc.stderr.read() if proc.stderr else ""
    os.close(main)
    text = out.decode()
    assert "\x1b[1mSources\x1b[0m" in text, text[-800:]
    assert "**" not in text and "_Not medical" not in text
    assert re.search(r"\x1b\[3mNot medical advice", text), text[-800:]
    assert " • " in text  # the list as bullets
