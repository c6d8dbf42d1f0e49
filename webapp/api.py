"""The plain JSON API and the report view: /api/ask, /api/reports, /api/feedback, /healthz, /view.

Input is validated by hand rather than through a pydantic model so that every
bad request gets a 4xx with one clear, bilingual message and a stable `error`
code — never a 500 and never pydantic's nested error list.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from assistant.feedback import UnknownAnswer

from .render import render_report_view
from .service import QAService
from .votes import same_origin, voter_of

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """A client error: HTTP status, stable code, message for humans."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


async def _json_object(request: Request, max_bytes: int) -> dict[str, Any]:
    body = await request.body()
    if len(body) > max_bytes:
        raise ApiError(413, "body_too_large", f"请求体太大(上限 {max_bytes} 字节)。Request body too large.")
    if not body.strip():
        raise ApiError(400, "invalid_json", "请求体为空,应为 JSON 对象。Request body must be a JSON object.")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"请求体不是合法的 JSON:{exc}。Invalid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_body", "请求体应为 JSON 对象。Request body must be a JSON object.")
    return data


def _question(data: dict[str, Any], max_chars: int) -> str:
    if "question" not in data or data["question"] is None:
        raise ApiError(422, "missing_question", "缺少字段 question。Field 'question' is required.")
    question = data["question"]
    if not isinstance(question, str):
        raise ApiError(422, "invalid_question", "question 必须是字符串。Field 'question' must be a string.")
    if not question.strip():
        raise ApiError(422, "empty_question", "问题不能为空。Field 'question' must not be empty.")
    if len(question) > max_chars:
        raise ApiError(413, "question_too_long",
                       f"问题太长了(最多 {max_chars} 个字,收到 {len(question)} 个)。"
                       f"Question too long (max {max_chars} characters).")
    return question


def _history(data: dict[str, Any], max_chars: int) -> list[str]:
    history = data.get("history")
    if history is None:
        return []
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise ApiError(422, "invalid_history",
                       "history 必须是字符串列表(之前的问题)。Field 'history' must be a list of strings.")
    if len(history) > 50 or any(len(h) > max_chars for h in history):
        raise ApiError(413, "history_too_long", "history 太长。Field 'history' is too long.")
    return history


def _report(data: dict[str, Any], service: QAService) -> str | None:
    report = data.get("report")
    if report is None or report == "":
        return None
    if not isinstance(report, str):
        raise ApiError(422, "invalid_report", "report 必须是报告编号字符串。Field 'report' must be a string id.")
    if report not in service.reports:
        raise ApiError(404, "unknown_report",
                       f"没有编号为 {report[:80]} 的报告,可用编号见 GET /api/reports。Unknown report id.")
    return report


def build_router(service: QAService, max_body_bytes: int = 64 * 1024) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz", response_model=None)
    async def healthz() -> dict[str, Any] | JSONResponse:
        """200 while an index is served (also during a background rebuild); 503 until the first one is ready."""
        state = service.status()
        body = {"status": "ok" if state["index"] else "starting", "reports": state["reports"],
                "chunks": state["chunks"], "index": state["index"], "index_state": state}
        return body if state["index"] else JSONResponse(body, status_code=503)

    @router.get("/api/reports")
    async def reports() -> dict[str, Any]:
        items = service.report_list()
        return {"count": len(items), "reports": items}

    @router.post("/api/ask")
    async def ask(request: Request) -> JSONResponse:
        data = await _json_object(request, max_body_bytes)
        question = _question(data, service.max_question_chars)
        history = _history(data, service.max_question_chars)
        report = _report(data, service)
        answer = await service.ask(question, history, report)
        return JSONResponse(service.issue(answer, question, history, report))

    @router.post("/api/feedback")
    async def feedback(request: Request) -> JSONResponse:
        """A vote on an answer this server gave: `{"answer_id": "...", "vote": 1 | -1 | 0}` (0 = withdraw)."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise ApiError(415, "unsupported_media_type",
                           "请求须为 JSON（Content-Type: application/json）。Content-Type must be application/json.")
        if not same_origin(request):
            raise ApiError(403, "cross_origin", "不接受来自其他网站的反馈。Cross-origin feedback is refused.")
        wait = service.vote_limiter.take(voter_of(request))
        if wait > 0:
            response = error_response(429, "rate_limited", "反馈太频繁，请稍后再试。Too many votes, slow down.")
            response.headers["Retry-After"] = service.vote_limiter.retry_after(wait)
            return response
        data = await _json_object(request, max_body_bytes)
        answer_id = data.get("answer_id")
        if not isinstance(answer_id, str) or not 8 <= len(answer_id) <= 64:
            raise ApiError(422, "invalid_answer_id",
                           "answer_id 必须是 /api/ask 返回的答案编号。Field 'answer_id' must come from /api/ask.")
        vote = data.get("vote")
        if vote is None:
            vote = 0
        if isinstance(vote, bool) or not isinstance(vote, int) or vote not in (1, -1, 0):
            raise ApiError(422, "invalid_vote",
                           "vote 必须是 1（👍）、-1（👎）或 0（撤销）。Field 'vote' must be 1, -1 or 0.")
        comment = data.get("comment") or ""
        if not isinstance(comment, str) or len(comment) > 2000:
            raise ApiError(422, "invalid_comment", "comment 必须是不超过 2000 字的字符串。")
        try:
            result = service.vote(answer_id, voter_of(request), vote, comment)
        except UnknownAnswer:
            raise ApiError(404, "unknown_answer",
                           "没有这个答案编号（可能已过期），无法记录反馈。Unknown or expired answer_id.") from None
        status = 201 if result.action == "stored" else 200
        return JSONResponse({"id": result.row, "action": result.action, "vote": vote}, status_code=status)

    @router.api_route("/api/ask", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    @router.api_route("/api/feedback", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def wrong_method(request: Request) -> JSONResponse:
        """Without this the chat page mounted at "/" would answer 404 for GET /api/ask."""
        response = error_response(405, "method_not_allowed",
                                  f"{request.url.path} 只接受 POST 请求。Use POST for {request.url.path}.")
        response.headers["Allow"] = "POST"
        return response

    @router.get("/view", response_class=HTMLResponse)
    async def view(request: Request, report: str = "", start: str = "-1", end: str = "-1",
                   scope: str = "section") -> HTMLResponse:
        """The report text around a citation, with the span highlighted and scrolled into view."""
        doc = service.reports.get(report)
        if doc is None:
            return HTMLResponse(_plain_page("未找到该报告", "链接中的报告编号不存在。"), status_code=404)
        try:
            s, e = int(start), int(end)
        except ValueError:
            return HTMLResponse(_plain_page("链接无效", "start / end 必须是整数。"), status_code=422)
        if not (0 <= s <= e <= len(doc.text)):
            s = e = -1  # no span: show the report from the top
        base = request.scope.get("root_path", "").rstrip("/")
        html = render_report_view(doc, s, e, base, whole=(scope == "report" or s < 0))
        return HTMLResponse(html)

    return router


def _plain_page(title: str, message: str) -> str:
    from html import escape

    return (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<body style="font-family:system-ui,sans-serif;padding:2rem"><h1>{escape(title)}</h1>'
            f'<p>{escape(message)}</p></body></html>')


def install_error_handlers(app: FastAPI) -> None:
    """ApiError → its 4xx JSON; a genuine server fault → a logged JSON 500 without a stack trace."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal_error", "服务器内部错误,请稍后重试。Internal server error.")
