"""The command-line entry points, run as a user would."""
from __future__ import annotations

import json
import subprocess
import sys

from assistant.config import PROJECT_ROOT


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)


def test_ask_json(settings, assistant):
    out = _run("-m", "assistant", "东川区2025年地区生产总值是多少？", "--json", "--index-dir", str(settings.index_dir))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["answer"] == "135.53亿元" and data["abstained"] is False
    cite = data["citations"][0]
    assert {"report", "title", "section", "text", "start", "end"} <= set(cite)
    assert cite["text"][cite["start"]:cite["end"]] == "135.53亿元"


def test_ask_plain_text_shows_citation(settings, assistant):
    out = _run("-m", "assistant", "“六个东川”指什么？", "--index-dir", str(settings.index_dir))
    assert out.returncode == 0, out.stderr
    assert "答案: 实力东川" in out.stdout and "名词解释 > “六个东川”" in out.stdout


def test_output_into_a_closed_pipe_is_no_error(settings, assistant):
    """`… | head` may close the pipe before the answer is written: no traceback, exit 0."""
    import os

    read, write = os.pipe()
    os.close(read)  # the reader has gone before anything is written
    try:
        out = subprocess.run([sys.executable, "-m", "assistant", "东川区2025年地区生产总值是多少？", "--index-dir",
                              str(settings.index_dir)], cwd=PROJECT_ROOT, stdout=write, stderr=subprocess.PIPE,
                             text=True, timeout=600)
    finally:
        os.close(write)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr


def test_index_status(settings, assistant):
    out = _run("-m", "index", "status", "--index-dir", str(settings.index_dir))
    assert out.returncode == 0, out.stderr
    status = json.loads(out.stdout)
    assert status["current"] is True and len(status["reports"]) == 2
