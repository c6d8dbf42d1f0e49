"""End to end: `python -m eval run` on 5 questions, on the session index (no re-embedding)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from assistant.config import PROJECT_ROOT

STABLE_KEYS = {"id", "question", "answer", "abstained", "confidence", "citations", "latency_ms"}
CITATION_KEYS = {"report", "title", "section", "text", "start", "end"}


def _subset(tmp_path: Path) -> Path:
    lines = (PROJECT_ROOT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(x) for x in lines if x.strip()]
    pick = [r for r in rows if r["type"] == "number"][:2] + [r for r in rows if r["type"] == "multiturn"][:1] \
        + [r for r in rows if r["type"] == "unanswerable"][:1] + [r for r in rows if r["type"] == "list"][:1]
    path = tmp_path / "qa5.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in pick) + "\n", encoding="utf-8")
    return path


def test_eval_run_end_to_end(tmp_path: Path, settings, assistant):
    assert assistant.index is not None  # the session fixture has built settings.index_dir
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "eval", "run", "--qa", str(_subset(tmp_path)), "--out", str(out),
         "--index-dir", str(settings.index_dir), "--corpus", str(settings.corpus_dir), "--quiet"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| hybrid (product)" in proc.stdout
    for name in ("predictions.jsonl", "retrieval.jsonl", "metrics.json", "report.md", "report.html",
                 "plots/hit_at_k.png", "plots/accuracy_by_type.png", "plots/latency.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    preds = [json.loads(x) for x in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(preds) == 5
    for p in preds:
        assert STABLE_KEYS <= set(p)
        assert isinstance(p["abstained"], bool) and isinstance(p["answer"], str)
        assert p["answer"] == "" or not p["abstained"]
        for c in p["citations"]:
            assert CITATION_KEYS <= set(c)
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["n"] == 5 and "hit@10" in metrics and "by_type" in metrics
    assert set(metrics["systems"]) == {"hybrid"}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and 'src="plots/' not in html  # self-contained
    assert not (out / "baselines").exists()  # no --compare: the product only


def test_failed_system_is_reported_not_fatal_and_report_rebuilds(tmp_path: Path, settings, assistant):
    """An extra encoder that cannot load fails alone; `eval report` re-scores the run from its files."""
    from eval.__main__ import main

    out = tmp_path / "out"
    rc = main(["run", "--qa", str(_subset(tmp_path)), "--out", str(out), "--index-dir", str(settings.index_dir),
               "--corpus", str(settings.corpus_dir), "--model", str(tmp_path / "no-such-model"),
               "--baseline-root", str(tmp_path / "baseline-indexes"), "-q"])
    assert rc == 0
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    failed = metrics["systems"]["hybrid-no-such-model"]
    assert failed["error"] and not failed["overall"]
    assert metrics["systems"]["hybrid"]["complete"] and metrics["n"] == 5
    assert "FAILED" in (out / "report.md").read_text(encoding="utf-8")

    (out / "report.md").unlink()
    assert main(["report", str(out)]) == 0
    again = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert again["systems"]["hybrid"]["overall"] == metrics["systems"]["hybrid"]["overall"]
    assert (out / "report.md").is_file()


# ------------------------------------------------------------------ runner robustness, with a stand-in assistant

class _FakeAssistant:
    """Answers from a script: a value, an exception to raise, or KeyboardInterrupt."""

    def __init__(self, script: dict):
        from assistant.config import Settings

        self.settings = Settings()
        self.script = script

    def ask(self, question, history=None, report=None, retriever=None):
        from assistant.types import Answer

        action = self.script.get(question, "")
        if isinstance(action, BaseException):
            raise action
        return Answer(question=question, answer=action, sentence=action, confidence=0.5, abstained=not action,
                      latency_ms=3.0)

    def prepare(self, question, history=None, report=None, retriever=None, k=None):
        from types import SimpleNamespace

        from assistant.types import Chunk, Hit

        chunk = Chunk("r#1", "r", ("一、",), "地区生产总值135.53亿元,增长4.4%。", 0, 20)
        return SimpleNamespace(hits=(Hit(chunk, 1.0, 1, "hybrid"),))


def _items():
    from eval.qa import QAItem

    return [QAItem("a", "Q1", ("135.53亿元",), None, "number"),
            QAItem("b", "Q2", ("4.4%",), None, "number"),
            QAItem("c", "Q3", (), None, "unanswerable"),
            QAItem("d", "Q4", ("x",), None, "number")]


def test_runner_keeps_going_after_an_exception(tmp_path: Path):
    from eval.runner import run_system
    from eval.systems import SystemSpec

    fake = _FakeAssistant({"Q1": "135.53亿元", "Q2": RuntimeError("boom"), "Q3": "", "Q4": "y"})
    result = run_system(fake, SystemSpec("hybrid", "", fake.settings, "hybrid", True), _items(), tmp_path, False)
    assert result.complete and not result.interrupted
    preds = [json.loads(x) for x in (tmp_path / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [p["id"] for p in preds] == ["a", "b", "c", "d"]
    assert "boom" in preds[1]["error"] and preds[1]["abstained"]
    m = result.metrics
    assert m["errors"] == 1 and m["accuracy"] == 1 / 3 and m["hit@1"] == 2 / 3


def test_runner_interrupt_keeps_rows_written_so_far(tmp_path: Path):
    from eval.runner import run_system
    from eval.systems import SystemSpec

    fake = _FakeAssistant({"Q1": "135.53亿元", "Q2": "4.4%", "Q3": KeyboardInterrupt()})
    result = run_system(fake, SystemSpec("hybrid", "", fake.settings, "hybrid", True), _items(), tmp_path, False)
    assert result.interrupted and not result.complete and len(result.rows) == 2
    lines = (tmp_path / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["answer"] == "4.4%"
    assert result.metrics["accuracy"] == 1.0


# ------------------------------------------------------------------ plots

_BY_TYPE = {"hybrid": {"number": {"n": 3, "item_accuracy": 0.67}, "unanswerable": {"n": 2, "item_accuracy": 1.0}},
            "bm25": {"number": {"n": 3, "item_accuracy": 0.33}, "unanswerable": {"n": 2, "item_accuracy": 0.5}}}


def test_plots_render_chinese_without_missing_glyphs(tmp_path: Path):
    import warnings

    from conftest import require
    from eval import plots

    require(plots.cjk_font() is not None, "no CJK font for the plots: apt-get install -y fonts-noto-cjk")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plots.plot_accuracy_by_type(_BY_TYPE, tmp_path / "a.png")
        plots.plot_hit_curves({"hybrid": [0.5] * 10}, tmp_path / "h.png")
        plots.plot_latency({"hybrid": [10.0, 20.0, 30.0], "bm25": [1.0, 2.0]}, "hybrid", tmp_path / "l.png")
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert plots.type_label("number") == "数字 number"
    assert all((tmp_path / f).stat().st_size > 1000 for f in ("a.png", "h.png", "l.png"))


def test_plots_fall_back_to_english_without_cjk_font(tmp_path: Path, monkeypatch):
    from eval import plots

    monkeypatch.setattr(plots, "_font", None)  # as if no CJK font were installed
    assert plots.label("正确率", "share correct") == "share correct"
    assert plots.type_label("number", 3) == "number (n=3)"
    plots.plot_accuracy_by_type(_BY_TYPE, tmp_path / "a.png")
    assert (tmp_path / "a.png").stat().st_size > 1000
