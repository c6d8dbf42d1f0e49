"""Document-style citations and the 材料汇编 export (.docx / .md) — real answers over the bundled corpus."""
from __future__ import annotations

import io
import json
from datetime import date
from typing import Any, Iterator
from urllib.parse import quote

import pytest

import webapp  # noqa: F401  (analytics off before gradio is imported)
from assistant.brief import VERBATIM_NOTE, brief_markdown, chinese_number
from assistant.citing import chinese_date, document_citation, section_label
from assistant.types import ReportMeta
from web_helpers import service  # noqa: F401  (shared fixture: the service over the session's assistant)
from webapp.export_api import MAX_TURNS

DONGCHUAN = "dongchuan-2026-government-work-report"
GDP_Q = "东川区2025年地区生产总值是多少？"
TARGET_Q = "昆明市2025年地区生产总值增长目标是多少？"
MARS_Q = "火星上有多少人口？"  # the reports do not say: an abstention
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(scope="module")
def api(service) -> Iterator[Any]:  # noqa: F811
    """/api/ask and the export router on a bare app, with api.py's error handlers."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from webapp.api import build_router, install_error_handlers
    from webapp.export_api import build_export_router

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(build_router(service))
    app.include_router(build_export_router(service, 64 * 1024))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def conversation(api) -> list[dict[str, Any]]:
    """Three questions asked through /api/ask, as the chat would: answers with their answer_id."""
    out = []
    for question in (GDP_Q, MARS_Q, TARGET_Q):
        r = api.post("/api/ask", json={"question": question})
        assert r.status_code == 200, r.text
        out.append(r.json())
    assert [a["abstained"] for a in out] == [False, True, False]
    return out


def _turns(conversation: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"question": a["question"], "history": [], "report": None, "answer_id": a["answer_id"]}
            for a in conversation]


def _docx_text(content: bytes) -> tuple[Any, str]:
    from docx import Document

    doc = Document(io.BytesIO(content))
    return doc, "\n".join(p.text for p in doc.paragraphs)


# ---------------------------------------------------------------- A: citing the way officials cite

def test_quote_of_a_real_answer(api, service) -> None:  # noqa: F811
    data = api.post("/api/ask", json={"question": GDP_Q}).json()
    assert data["abstained"] is False and data["sentence"]
    meta = service.reports[DONGCHUAN].meta
    first = data["citations"][0]
    assert first["report"] == DONGCHUAN
    cited = document_citation(meta, first["section"], data["sentence"])
    assert cited.startswith("《东川区2026年政府工作报告》")
    assert f"：“{data['sentence']}”" in cited  # verbatim, half-width commas and all
    assert "（2026年2月10日）" in cited
    assert data["quote"] == cited
    # the sentence is the report's own text, character for character
    assert data["sentence"] in service.reports[DONGCHUAN].text


def test_abstention_has_no_quote(conversation) -> None:
    mars = conversation[1]
    assert mars["abstained"] is True and mars["quote"] == ""


def test_date_and_section_forms(service) -> None:  # noqa: F811
    assert chinese_date("2026-02-10") == "2026年2月10日"
    assert chinese_date("2025-01") == "2025年1月"
    assert chinese_date(None) == chinese_date("") == chinese_date("unknown") == ""
    meta = service.reports[DONGCHUAN].meta
    undated = ReportMeta.from_dict({**meta.to_dict(), "date": None})
    assert document_citation(undated, "一、回顾", "原句。") == "《东川区2026年政府工作报告》“一、回顾”：“原句。”"
    # a long path keeps the part and the most specific heading; the app's "报告开头" label is no heading
    long_path = "三、2026年重点工作 > (五)深化改革创新,在激活发展动能上奋发作为 > 强化投资消费双轮驱动"
    assert section_label(long_path) == "三、2026年重点工作 > 强化投资消费双轮驱动"
    assert section_label("报告开头") == ""
    assert document_citation(undated, "报告开头", "原句。") == "《东川区2026年政府工作报告》：“原句。”"
    assert [chinese_number(n) for n in (1, 10, 12, 40, 99, 100)] == ["一", "十", "十二", "四十", "九十九", "一百"]


# ---------------------------------------------------------------- B: the export

def test_docx_export_holds_questions_and_quotes(api, conversation) -> None:
    r = api.post("/api/export.docx", json={"turns": _turns(conversation)})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == DOCX_TYPE
    name = f"材料汇编-{date.today():%Y%m%d}.docx"
    assert f"filename*=UTF-8''{quote(name)}" in r.headers["content-disposition"]
    assert r.headers["content-disposition"].startswith("attachment;")
    doc, text = _docx_text(r.content)
    assert doc.paragraphs[0].text == "材料汇编" and doc.paragraphs[0].style.name == "Title"
    assert VERBATIM_NOTE in text and "生成日期：" in text
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert len(headings) == 3
    for answer, heading in zip(conversation, headings):
        assert answer["question"] in heading
    quotes = [p.text for p in doc.paragraphs if p.style.name == "Quote"]
    assert quotes == [a["sentence"] for a in conversation if not a["abstained"]]
    assert conversation[1]["message"] in text  # the abstention says why
    assert "《东川区2026年政府工作报告》（2026年2月10日）" in text
    east_asia = doc.styles["Normal"].element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
    assert east_asia in ("仿宋", "宋体")


def test_markdown_export_holds_the_same(api, conversation) -> None:
    r = api.post("/api/export.md", json={"turns": _turns(conversation)})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/markdown; charset=utf-8"
    name = f"材料汇编-{date.today():%Y%m%d}.md"
    assert f"filename*=UTF-8''{quote(name)}" in r.headers["content-disposition"]
    text = r.content.decode("utf-8")
    assert text.startswith("# 材料汇编\n") and VERBATIM_NOTE in text
    for answer in conversation:
        assert answer["question"] in text
        if not answer["abstained"]:
            assert f"> {answer['sentence']}" in text
            assert answer["answer"] in text
    assert conversation[1]["message"] in text


def test_unknown_answer_id_is_asked_again(api, conversation) -> None:
    gdp = conversation[0]
    r = api.post("/api/export.md", json={"turns": [{"question": GDP_Q, "answer_id": "never-issued-0000"}]})
    assert r.status_code == 200, r.text
    assert f"> {gdp['sentence']}" in r.text
    # an id issued for another question is not trusted for this one: the question is asked again
    r = api.post("/api/export.md", json={"turns": [{"question": TARGET_Q, "answer_id": gdp["answer_id"]}]})
    assert r.status_code == 200
    assert conversation[2]["sentence"] in r.text and gdp["sentence"] not in r.text


def test_client_answer_text_is_ignored(api, conversation) -> None:
    turn = {**_turns(conversation)[0], "answer": "伪造的答案", "sentence": "伪造的原文。"}
    r = api.post("/api/export.md", json={"turns": [turn]})
    assert r.status_code == 200
    assert "伪造" not in r.text and conversation[0]["sentence"] in r.text


def test_odd_question_text_still_exports(api) -> None:
    odd = "东川区\x01 <b>地区生产总值</b> # 是多少？"
    for path in ("/api/export.docx", "/api/export.md"):
        r = api.post(path, json={"turns": [{"question": odd}]})
        assert r.status_code == 200, (path, r.text)


BAD_BODIES = [
    ("turns not a list", {"turns": "东川区2025年地区生产总值是多少？"}, 400, "invalid_turns"),
    ("turns missing", {"questions": []}, 400, "missing_turns"),
    ("no turns", {"turns": []}, 400, "no_turns"),
    ("too many turns", {"turns": [{"question": GDP_Q}] * (MAX_TURNS + 1)}, 400, "too_many_turns"),
    ("turn not an object", {"turns": [GDP_Q]}, 400, "invalid_turn"),
    ("non-string question", {"turns": [{"question": 42}]}, 400, "invalid_question"),
    ("missing question", {"turns": [{"answer_id": "abcdefgh"}]}, 400, "missing_question"),
    ("blank question", {"turns": [{"question": "  "}]}, 400, "empty_question"),
    ("history not strings", {"turns": [{"question": GDP_Q, "history": [1]}]}, 400, "invalid_history"),
    ("report not a string", {"turns": [{"question": GDP_Q, "report": 7}]}, 400, "invalid_report"),
    ("unknown report", {"turns": [{"question": GDP_Q, "report": "nowhere"}]}, 400, "unknown_report"),
    ("answer_id not a string", {"turns": [{"question": GDP_Q, "answer_id": ["x"]}]}, 400, "invalid_answer_id"),
    ("question too long", {"turns": [{"question": "问" * 5000}]}, 413, "question_too_long"),
    ("body a list", [{"question": GDP_Q}], 400, "invalid_body"),
]


@pytest.mark.parametrize("name, body, status, code", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_bodies_get_a_clear_4xx(api, name: str, body: Any, status: int, code: str) -> None:
    for path in ("/api/export.docx", "/api/export.md"):
        r = api.post(path, json=body)
        assert r.status_code == status, (name, r.status_code, r.text)
        data = r.json()
        assert data["error"] == code and data["message"], data


def test_bad_json_wrong_type_and_method(api) -> None:
    r = api.post("/api/export.md", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_json"
    r = api.post("/api/export.md", content=json.dumps({"turns": []}), headers={"content-type": "text/plain"})
    assert r.status_code == 415
    r = api.get("/api/export.docx")
    assert r.status_code == 405 and r.headers["allow"] == "POST"


def test_overloaded_queue_maps_like_ask(api, service, monkeypatch) -> None:  # noqa: F811
    from webapp.queueing import Overloaded

    async def full(*_args: Any, **_kwargs: Any) -> Any:
        raise Overloaded("server", 3)

    monkeypatch.setattr(service, "ask", full)
    r = api.post("/api/export.md", json={"turns": [{"question": GDP_Q}]})
    assert r.status_code == 503 and r.json()["error"] == "overloaded" and r.headers["retry-after"] == "3"


def test_brief_markdown_is_pure(conversation, service) -> None:  # noqa: F811
    items = [(a["question"], a) for a in conversation]
    metas = {rid: r.meta for rid, r in service.reports.items()}
    one = brief_markdown(items, generated=date(2026, 3, 5), metas=metas)
    assert one == brief_markdown(items, generated=date(2026, 3, 5), metas=metas)
    assert "生成日期：2026年3月5日" in one
    assert "## 一、" in one and "## 三、" in one
