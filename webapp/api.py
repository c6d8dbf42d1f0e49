"""The plain JSON API and the report view: /api/ask, /api/reports, /api/feedback, /healthz, /view.

Input is validated by hand rather than through a pydantic model so that every
bad request gets a 4xx with one clear, bilingual message and a stable `error`
code — never a 500 and never pydantic's nested error list. Bodies must be
declared JSON, UTF-8 without lone surrogates, and shallow. Questions go through
the service's bounded queue: when it is full the answer is 503 (or 429 for a
client that already has several questions waiting) with Retry-After, and a
question whose client disconnects is dropped rather than computed.
"""
from __future__ import annotations

import asyncio
import json
import logging
from functools import partial
from typing import Any, Awaitable, TypeVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.requests import ClientDisconnect

from assistant.compare import ComparisonStopped
from assistant.feedback import UnknownAnswer

from .queueing import DeadlineExceeded, Overloaded
from .render import render_report_view
from .security import client_key
from .service import QAService
from .votes import same_origin, voter_of

logger = logging.getLogger(__name__)
T = TypeVar("T")


class ApiError(Exception):
    """A client error: HTTP status, stable code, message for humans."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    # backslashreplace: an error message must render even if it quotes something odd
    content = json.dumps({"error": code, "message": message}, ensure_ascii=False).encode("utf-8", "backslashreplace")
    return Response(content, status_code=status, headers=headers, media_type="application/json")


MAX_JSON_DEPTH = 8  # the API's bodies are two levels deep; anything much deeper is not a real client


def post_only(request: Request) -> Response:
    """405 naming the route, for the other methods of a POST-only API route."""
    response = error_response(405, "method_not_allowed",
                              f"{request.url.path} 只接受 POST 请求。Use POST for {request.url.path}.")
    response.headers["Allow"] = "POST"
    return response


def _is_json_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _check_values(data: Any) -> None:
    """Every string must be encodable UTF-8 (no lone surrogates such as "\\ud800") and nesting shallow."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ApiError(400, "too_deep", f"JSON 嵌套太深(最多 {MAX_JSON_DEPTH} 层)。JSON nested too deeply.")
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ApiError(400, "invalid_text",
                               "文本中含有无效字符(孤立的代理码位)。Text contains an invalid character "
                               "(lone surrogate).") from None
        elif isinstance(value, dict):
            stack.extend((k, depth + 1) for k in value)
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


async def _json_object(request: Request, max_bytes: int) -> dict[str, Any]:
    if not _is_json_type(request.headers.get("content-type", "")):
        raise ApiError(415, "unsupported_media_type",
                       "请求体须为 JSON(Content-Type: application/json)。Content-Type must be application/json.")
    body = await request.body()  # already bounded while streaming by limits.BodyLimitMiddleware
    if len(body) > max_bytes:
        raise ApiError(413, "body_too_large", f"请求体太大(上限 {max_bytes} 字节)。Request body too large.")
    if not body.strip():
        raise ApiError(400, "invalid_json", "请求体为空,应为 JSON 对象。Request body must be a JSON object.")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"请求体不是合法的 JSON:{exc}。Invalid JSON.") from None
    except ValueError:  # e.g. an integer of more than 4,300 digits (Python's int conversion limit)
        raise ApiError(400, "invalid_json", "请求体中的数字太长。A number in the JSON body is too long.") from None
    except RecursionError:
        raise ApiError(400, "too_deep", f"JSON 嵌套太深(最多 {MAX_JSON_DEPTH} 层)。JSON nested too deeply.") from None
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_body", "请求体应为 JSON 对象。Request body must be a JSON object.")
    _check_values(data)
    return data


class ClientGone(Exception):
    """The HTTP client disconnected before its answer was ready; nothing is sent."""


async def _until_disconnected(request: Request) -> None:
    """Returns when the client goes away (after the body is read, the next ASGI message is the disconnect)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def while_connected(request: Request, job: Awaitable[T]) -> T:
    """Await a queued job (service.ask, .compare, .run), cancelled as soon as the client disconnects.

    Cancelling drops a waiting job from the queue and tells a running stoppable one to stop. The queue's
    refusals become 429 (this client has too many) or 503 with Retry-After.
    """
    task = asyncio.ensure_future(job)
    watcher = asyncio.ensure_future(_until_disconnected(request))
    try:
        done, _ = await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
    if task in done:
        try:
            return task.result()
        except Overloaded as exc:
            raise overloaded_error(exc) from None
        except DeadlineExceeded as exc:
            raise ApiError(503, "queue_timeout", "服务繁忙,排队超时,请稍后再试。Queued too long, please retry.",
                           {"Retry-After": str(exc.retry_after)}) from None
        except ComparisonStopped:
            raise ApiError(503, "too_slow", "这次对比用时太长,已停止,请缩小范围后再试。The comparison took too long "
                                            "and was stopped; narrow its scope.", {"Retry-After": "5"}) from None
    task.cancel()
    raise ClientGone()


def overloaded_error(exc: Overloaded) -> ApiError:
    if exc.scope == "client":
        return ApiError(429, "too_many_requests",
                        "您的请求太多了,请等前面的完成后再试。Too many requests in flight from this client.",
                        {"Retry-After": str(exc.retry_after)})
    return ApiError(503, "overloaded", "服务繁忙,请稍后再试。Server busy, please retry later.",
                    {"Retry-After": str(exc.retry_after)})


async def _ask_while_connected(request: Request, service: QAService, question: str, history: list[str],
                               report: str | None) -> Any:
    """service.ask, dropped from the queue as soon as the client disconnects."""
    return await while_connected(request, service.ask(question, history, report, client=client_key(request.scope)))


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
        """200 while an index is served (also during a background rebuild); 503 until the first one is ready.

        `status` is "ok", "busy" (the queue is full), "degraded" (still answering, but `problems` says what is
        wrong: a stuck or failed build, report files left out, damage on disk in the served index) or
        "starting". Also reports the queue (every expensive route's jobs): depth, predicted wait, counters.
        """
        state = service.status()
        queue = service.queue.stats()
        ready = bool(state["index"])
        busy = queue["waiting"] >= queue["max_waiting"]
        problems = service.problems()
        status = ("degraded" if problems else "busy" if busy else "ok") if ready else "starting"
        body = {"status": status, "problems": problems, "reports": state["reports"],
                "chunks": state["chunks"], "index": state["index"], "index_state": state, "build": state,
                "queue": queue}
        return body if ready else JSONResponse(body, status_code=503)

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
        answer = await _ask_while_connected(request, service, question, history, report)
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
    async def wrong_method(request: Request) -> Response:
        """Without this the chat page mounted at "/" would answer 404 for GET /api/ask."""
        return post_only(request)

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
        # a long report takes seconds to render: off the event loop, through the same queue as questions
        try:
            html = await while_connected(request, service.run(
                partial(render_report_view, doc, s, e, base, whole=(scope == "report" or s < 0)),
                client=client_key(request.scope), kind="view"))
        except ApiError as exc:  # busy: a page the viewer can show, not JSON
            return HTMLResponse(_plain_page("服务繁忙", "请稍后再打开原文。" + exc.message.split("。")[0] + "。"),
                                status_code=exc.status, headers=exc.headers)
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
    async def _api_error(_request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(ClientGone)
    @app.exception_handler(ClientDisconnect)
    async def _gone(_request: Request, _exc: Exception) -> Response:
        return Response(status_code=499)  # nobody reads it; logged as 499 like nginx does

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal_error", "服务器内部错误,请稍后重试。Internal server error.")
