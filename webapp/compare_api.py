"""Compare mode over HTTP: POST /api/compare → rows; GET /api/compare.csv|.xlsx → the table as a file.

    curl -s localhost:7860/api/compare -H 'content-type: application/json' \\
         -d '{"question": "各省2026年地区生产总值增长目标是多少？", "level": "province"}'

Body: `question` (required), `reports` (list of report ids, optional), `level`
("province" | "city" | "county", optional). Without `reports`/`level` the scope is
read from the question (regions named, "各省…", or every report).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from assistant.compare import DISPLAY_ORDERS, LEVELS, Comparison, display_order, to_csv
from assistant.xlsx import xlsx_bytes

from .api import ApiError, _json_object, _question, while_connected
from .security import client_key
from .service import QAService



def _level(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in LEVELS:
        raise ApiError(422, "invalid_level", f"level 应为 {' / '.join(LEVELS)} 之一。Field 'level' must be one of "
                                             f"{', '.join(LEVELS)}.")
    return value


def _reports(value: Any, service: QAService) -> list[str] | None:
    if value is None or value == []:
        return None
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value) or len(value) > 1000:
        raise ApiError(422, "invalid_reports", "reports 必须是报告编号列表。Field 'reports' must be a list of ids.")
    unknown = [r for r in value if r not in service.reports]
    if unknown:
        raise ApiError(404, "unknown_report", f"没有编号为 {unknown[0][:80]} 的报告,可用编号见 GET /api/reports。"
                                              "Unknown report id.")
    return value


async def run_compare(request: Request, service: QAService, question: str, reports: list[str] | None,
                      level: str | None) -> Comparison:
    """`compare` through the service's queue (it asks the reader once per report), stopped if the client leaves."""
    return await while_connected(request, service.compare(question, reports, level, client=client_key(request.scope)))


def table_file(comparison: Comparison, fmt: str, sort: str = "rank") -> tuple[bytes, str, str]:
    """(bytes, media type, file name) of the table as CSV (UTF-8 with BOM) or XLSX."""
    from assistant.compare import table_rows

    rows = display_order(comparison, sort if sort in DISPLAY_ORDERS else "rank")
    if fmt == "xlsx":
        return (xlsx_bytes(table_rows(comparison, rows), sheet="对比"),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "compare.xlsx")
    return ("\ufeff" + to_csv(comparison, rows)).encode("utf-8"), "text/csv; charset=utf-8", "compare.csv"


def build_compare_router(service: QAService, max_body_bytes: int = 64 * 1024) -> APIRouter:
    router = APIRouter()

    @router.post("/api/compare")
    async def compare_json(request: Request) -> JSONResponse:
        data = await _json_object(request, max_body_bytes)
        question = _question(data, service.max_question_chars)
        result = await run_compare(request, service, question, _reports(data.get("reports"), service),
                                   _level(data.get("level")))
        if not result.rows:
            raise ApiError(422, "not_comparable", result.message or "无法对比。")
        return JSONResponse(result.to_dict())

    async def download(request: Request, fmt: str, question: str, level: str, reports: str, sort: str) -> Response:
        q = _question({"question": question}, service.max_question_chars)
        ids = [r for r in reports.split(",") if r] if reports else None
        result = await run_compare(request, service, q, _reports(ids, service), _level(level))
        if not result.rows:
            raise ApiError(422, "not_comparable", result.message or "无法对比。")
        body, media, name = table_file(result, fmt, sort)
        return Response(body, media_type=media, headers={
            "Content-Disposition": f"attachment; filename={name}; filename*=UTF-8''{quote(name)}"})

    @router.get("/api/compare.csv")
    async def compare_csv(request: Request, question: str = "", level: str = "", reports: str = "",
                          sort: str = "rank") -> Response:
        return await download(request, "csv", question, level, reports, sort)

    @router.get("/api/compare.xlsx")
    async def compare_xlsx(request: Request, question: str = "", level: str = "", reports: str = "",
                           sort: str = "rank") -> Response:
        return await download(request, "xlsx", question, level, reports, sort)

    return router


__all__ = ["build_compare_router", "run_compare", "table_file"]
