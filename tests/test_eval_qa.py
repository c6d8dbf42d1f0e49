"""QA-file validation (errors name the line) and from-feedback drafts on a temporary SQLite store."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.__main__ import main
from eval.qa import QAFormatError, load_qa, parse_line

GOOD = {"id": "q1", "question": "东川区2025年地区生产总值是多少？", "answers": ["135.53亿元"],
        "report": "dongchuan-2026-government-work-report", "type": "number"}


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def line(**changes) -> str:
    obj = {**GOOD, **changes}
    return json.dumps({k: v for k, v in obj.items() if v is not ...}, ensure_ascii=False)


def test_shipped_qa_file_is_valid():
    items = load_qa(Path(__file__).resolve().parent.parent / "eval" / "qa.jsonl")
    assert len(items) > 200 and len({i.id for i in items}) == len(items)


@pytest.mark.parametrize("bad, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    (line(answers=...), "missing field 'answers'"),
    (line(question=...), "missing field 'question'"),
    (line(answers="135.53亿元"), "'answers' must be a list"),
    (line(answers=[135.53]), "'answers' must be a list"),
    (line(answers=[""]), "'answers' must be a list"),
    (line(question=""), "'question' must be a non-empty string"),
    (line(id=None), "'id' must be a non-empty string"),
    (line(history="上一个问题"), "'history' must be a list of strings"),
    (line(report=3), "'report' must be a string or null"),
    (line(type=7), "'type' must be a non-empty string"),
    (line(draft="yes"), "'draft' must be true or false"),
])
def test_bad_line_names_line_and_problem(tmp_path: Path, bad: str, message: str):
    path = write(tmp_path, [line(id="a"), "", bad, line(id="c")])
    with pytest.raises(QAFormatError) as err:
        load_qa(path)
    assert "line 3" in str(err.value) and message in str(err.value)


def test_duplicate_id_names_both_lines(tmp_path: Path):
    path = write(tmp_path, [line(id="a"), line(id="b"), line(id="a")])
    with pytest.raises(QAFormatError, match=r"line 3: duplicate id 'a' \(first on line 1\)"):
        load_qa(path)


def test_empty_file_is_an_error(tmp_path: Path):
    with pytest.raises(QAFormatError, match="no questions"):
        load_qa(write(tmp_path, [""]))


def test_defaults_and_drafts_skipped(tmp_path: Path):
    path = write(tmp_path, [line(id="a", type=..., report=...), line(id="b", answers=[], type=...),
                            line(id="c", draft=True, answers=[])])
    items = load_qa(path)
    assert [i.id for i in items] == ["a", "b"]
    assert items[0].type == "other" and items[0].report is None
    assert items[1].type == "unanswerable" and not items[1].answerable


def test_cli_exit_code_2_on_malformed_line(tmp_path: Path, capsys):
    path = write(tmp_path, [line(id="a"), line(id="b", answers="x")])
    assert main(["run", "--qa", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "'answers'" in err
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ from-feedback

def _answer(text: str, qtype: str = "number") -> dict:
    return {"question": "", "answer": text, "abstained": not text, "qtype": qtype, "confidence": 0.5,
            "citations": [{"report": "dongchuan-2026-government-work-report", "title": "t", "section": "一、",
                           "text": "……增长4.4%……", "start": 2, "end": 6}]}


def test_from_feedback_drafts(tmp_path: Path):
    from assistant.feedback import FeedbackStore

    db = tmp_path / "fb.sqlite3"
    store = FeedbackStore(db)
    store.add(question="东川区2025年地区生产总值增长了多少？", answer=_answer("9.6%"), vote=-1, comment="应为4.4%")
    store.add(question="东川区2025年地区生产总值增长了多少", answer=_answer("6%"), vote=-1)  # same question
    store.add(question="东川区2025年地区生产总值增长了多少？", answer=_answer("4.4%"), vote=1)  # 👍: ignored
    store.add(question="2026年的目标呢？", history=["东川区2025年地区生产总值是多少？"], answer=_answer(""), vote=-1)
    store.add(question="What is the GDP growth target of Kunming?", answer=_answer("5%"), vote=-1,
              report="kunming-2025-government-work-report-summary")
    store.add(question="东川区2025年地区生产总值是多少？", answer=_answer("1亿元"), vote=-1)  # already in qa.jsonl
    known = tmp_path / "known.jsonl"
    known.write_text(line(id="k1"), encoding="utf-8")
    out = tmp_path / "drafts.jsonl"

    assert main(["from-feedback", "--feedback", str(db), "--out", str(out), "--qa", str(known)]) == 0
    entries = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(entries) == 3
    first, follow, english = entries
    assert first["draft"] is True and first["answers"] == [] and first["type"] == "number"
    assert first["rejected_answer"] == "9.6%" and first["other_rejected_answers"] == ["6%"]
    assert first["votes"] == 2 and first["comments"] == ["应为4.4%"]
    assert follow["type"] == "multiturn" and follow["history"] == ["东川区2025年地区生产总值是多少？"]
    assert follow["rejected_abstained"] is True
    assert english["type"] == "english" and english["report"] == "kunming-2025-government-work-report-summary"
    for i, raw in enumerate(out.read_text(encoding="utf-8").splitlines(), start=1):
        parse_line(raw, f"line {i}")  # every draft is a valid QA line
    # drafts are skipped when loading: nothing confirmed yet
    with pytest.raises(QAFormatError, match="no questions"):
        load_qa(out)


def test_from_feedback_missing_store(tmp_path: Path):
    assert main(["from-feedback", "--feedback", str(tmp_path / "none.sqlite3"),
                 "--out", str(tmp_path / "d.jsonl")]) == 2
