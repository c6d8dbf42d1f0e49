"""材料汇编 over HTTP: POST /api/export.docx and /api/export.md turn a conversation into a file.

    curl -s localhost:7860/api/export.docx -H 'content-type: application/json' -o 材料汇编.docx \\
         -d '{"turns": [{"question": "东川区2025年地区生产总值是多少？", "answer_id": "w1Lr7kq3XbVfM2yQ9aT0pA"}]}'

Body: `{"turns": [{"question": str, "history": [str], "report": str|null, "answer_id": str|null}, …]}`,
at most 100 turns. The client sends questions, never answers: each turn's answer is the
one the server recorded under `answer_id` (when that id exists and was issued for this
very question), otherwise the question is asked again through the bounded queue —
answers are deterministic, so it is the same answer the chat showed. Re-asked answers
are not recorded (nobody was shown them). Validation mirrors webapp/api.py, with 400
for every malformed body (413 for sizes) and one bilingual message.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from assistant.brief import brief_docx, brief_markdown

from .api import ApiError, _ask_while_connected, _history, _json_object, _question, post_only, while_connected
from .security import client_key
from .service import QAService

logger = logging.getLogger(__name__)

MAX_TURNS = 100
MAX_ANSWER_ID = 64
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MARKDOWN_TYPE = "text/markdown; charset=utf-8"


@dataclass(frozen=True)
class Turn:
    """One validated turn of the conversation to export."""

    question: str
    history: list[str]
    report: str | None
    answer_id: str | None


def _bad(code: str, message: str, status: int = 400) -> ApiError:
    return ApiError(status, code, message)


async def _body(request: Request, max_bytes: int) -> dict[str, Any]:
    """api.py's JSON checks; a body that is JSON but no object is a 400 here like every other bad body."""
    try:
        return await _json_object(request, max_bytes)
    except ApiError as exc:
        if exc.code == "invalid_body":
            raise _bad("invalid_body", exc.message) from None
        raise


def _turn(index: int, raw: Any, max_chars: int) -> Turn:
    n = index + 1
    where = f"第 {n} 轮(turns[{index}])"
    if not isinstance(raw, dict):
        raise _bad("invalid_turn", f"{where}应为 JSON 对象。turns[{index}] must be an object.")
    try:  # the same checks as POST /api/ask, said with the turn they concern (400 here, 413 for sizes)
        question, history = _question(raw, max_chars), _history(raw, max_chars)
    except ApiError as exc:
        raise _bad(exc.code, f"{where}：{exc.message}", 413 if exc.status == 413 else 400) from None
    report = raw.get("report")
    if report == "":
        report = None
    if report is not None and not isinstance(report, str):
        raise _bad("invalid_report", f"{where}的 report 必须是报告编号字符串。turns[{index}].report must be a string id.")
    answer_id = raw.get("answer_id")
    if answer_id == "":
        answer_id = None
    if answer_id is not None and (not isinstance(answer_id, str) or len(answer_id) > MAX_ANSWER_ID):
        raise _bad("invalid_answer_id", f"{where}的 answer_id 必须是 /api/ask 返回的答案编号。"
                                        f"turns[{index}].answer_id must come from /api/ask.")
    return Turn(question, list(history), report, answer_id)


def parse_turns(data: dict[str, Any], max_chars: int) -> list[Turn]:
    """The body's turns, all validated before anything is asked."""
    turns = data.get("turns")
    if turns is None:
        raise _bad("missing_turns", "缺少字段 turns(对话的各轮问题)。Field 'turns' is required.")
    if not isinstance(turns, list):
        raise _bad("invalid_turns", "turns 必须是列表。Field 'turns' must be a list.")
    if not turns:
        raise _bad("no_turns", "turns 为空,没有可导出的问答。Field 'turns' must not be empty.")
    if len(turns) > MAX_TURNS:
        raise _bad("too_many_turns", f"一次最多导出 {MAX_TURNS} 轮问答(收到 {len(turns)} 轮)。"
                                     f"At most {MAX_TURNS} turns per export.")
    return [_turn(i, t, max_chars) for i, t in enumerate(turns)]


async def collect_answers(request: Request, service: QAService, turns: list[Turn]) -> list[tuple[str, dict[str, Any]]]:
    """(question, answer JSON) per turn: the server's recorded answer, or the question asked again.

    A recorded answer is used only when it was issued for this very question, so a mixed-up id cannot put
    another answer under a question. Unknown reports are refused before any question is asked.
    """
    plan: list[tuple[Turn, dict[str, Any] | None]] = []
    for i, turn in enumerate(turns):
        stored = service.feedback.answer(turn.answer_id) if turn.answer_id else None
        if stored is not None and stored["question"] != turn.question:
            logger.info("export: answer %s… was issued for another question; asking again", turn.answer_id[:8])
            stored = None
        if stored is None and turn.report is not None and turn.report not in service.reports:
            raise _bad("unknown_report", f"第 {i + 1} 轮(turns[{i}])的 report 不存在:{turn.report[:80]},"
                                         "可用编号见 GET /api/reports。Unknown report id.")
        plan.append((turn, stored["answer"] if stored is not None else None))
    items: list[tuple[str, dict[str, Any]]] = []
    for turn, recorded in plan:
        if recorded is None:
            answer = await _ask_while_connected(request, service, turn.question, turn.history, turn.report)
            recorded = service.answer_json(answer)
        items.append((turn.question, recorded))
    asked = sum(1 for _, recorded in plan if recorded is None)
    logger.info("export: %d turns (%d recorded, %d asked again)", len(turns), len(turns) - asked, asked)
    return items


def _disposition(name: str, fallback: str) -> str:
    """RFC 6266: an ASCII name for old clients, the Chinese one as filename* (UTF-8, percent-encoded)."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def build_export_router(service: QAService, max_body_bytes: int = 64 * 1024) -> APIRouter:
    router = APIRouter()

    async def export(request: Request, fmt: str) -> Response:
        data = await _body(request, max_body_bytes)
        turns = parse_turns(data, service.max_question_chars)
        items = await collect_answers(request, service, turns)
        day = date.today()
        metas = {rid: report.meta for rid, report in service.reports.items()}
        stem = f"{day:%Y%m%d}"
        if fmt == "docx":
            body = await while_connected(request, service.run(partial(brief_docx, items, generated=day, metas=metas),
                                                              client=client_key(request.scope), kind="export"))
            media = DOCX_TYPE
        else:
            body = brief_markdown(items, generated=day, metas=metas).encode("utf-8")
            media = MARKDOWN_TYPE
        return Response(body, media_type=media, headers={
            "Content-Disposition": _disposition(f"材料汇编-{stem}.{fmt}", f"brief-{stem}.{fmt}"),
            "Cache-Control": "no-store"})

    @router.post("/api/export.docx")
    async def export_docx(request: Request) -> Response:
        """The conversation as a Word document (材料汇编)."""
        return await export(request, "docx")

    @router.post("/api/export.md")
    async def export_md(request: Request) -> Response:
        """The conversation as Markdown (材料汇编)."""
        return await export(request, "md")

    @router.api_route("/api/export.docx", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    @router.api_route("/api/export.md", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def wrong_method(request: Request) -> Response:
        """Like /api/ask: a clear 405 rather than the chat page's 404."""
        return post_only(request)

    return router


__all__ = ["build_export_router", "parse_turns", "collect_answers", "MAX_TURNS"]
