"""Compare mode over HTTP and in the page: POST /api/compare, CSV/XLSX downloads, the table in Chromium.

Real server, real assistant on the 2 bundled reports, real headless Chromium.
"""
from __future__ import annotations

import csv
import io
from typing import Any, Iterator

import openpyxl
import pytest

import webapp  # noqa: F401  (analytics off before gradio is imported)
from conftest import require
from web_helpers import CHROMIUM, SCREENSHOTS, free_port, launch_chromium, serve_app
from webapp.config import ServerConfig
from webapp.server import create_app
from webapp.service import QAService

from assistant.xlsx import NUMERIC_COLUMNS

QUESTION = "各地固定资产投资目标是多少？"  # both bundled reports state one, in 亿元
DC_REGION, KM_REGION = "东川区", "昆明市"
TIMEOUT = 90_000


@pytest.fixture(scope="module")
def service(assistant, tmp_path_factory) -> QAService:
    return QAService(assistant, tmp_path_factory.mktemp("cmp-fb") / "feedback.sqlite3", workers=2)


@pytest.fixture(scope="module")
def client(service, settings) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(create_app(ServerConfig(settings=settings), service)) as c:
        yield c


# ---------------------------------------------------------------- API

def test_api_compare_rows(client, assistant) -> None:
    r = client.post("/api/compare", json={"question": QUESTION})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["scope"] == "all" and len(data["rows"]) == len(assistant.reports)
    for row in data["rows"]:
        if row["stated"]:
            c = row["citation"]
            assert c["text"][c["start"]:c["end"]] == row["answer"]
            assert row["quantity"]["unit_class"] == "currency"
    assert data["comparable"] and len(data["ranking"]) == 2


def test_api_compare_scope_by_reports_and_level(client) -> None:
    r = client.post("/api/compare", json={"question": "固定资产投资目标是多少？",
                                          "reports": ["dongchuan-2026-government-work-report"]})
    assert r.status_code == 200 and [row["region"] for row in r.json()["rows"]] == [DC_REGION]
    r = client.post("/api/compare", json={"question": "固定资产投资目标是多少？", "level": "city"})
    assert r.status_code == 200 and [row["region"] for row in r.json()["rows"]] == [KM_REGION]


@pytest.mark.parametrize("body,status,code", [
    ({}, 422, "missing_question"),
    ({"question": ""}, 422, "empty_question"),
    ({"question": QUESTION, "level": "planet"}, 422, "invalid_level"),
    ({"question": QUESTION, "reports": "x"}, 422, "invalid_reports"),
    ({"question": QUESTION, "reports": ["no-such-report"]}, 404, "unknown_report"),
    ({"question": "东川区2025年地区生产总值是多少？"}, 200, None),  # compare mode forces a comparison over all
])
def test_api_compare_bad_input(client, body: dict, status: int, code: str | None) -> None:
    r = client.post("/api/compare", json=body)
    assert r.status_code == status, r.text
    if code:
        assert r.json()["error"] == code and r.json()["message"]


def test_api_downloads_parse(client) -> None:
    r = client.get("/api/compare.csv", params={"question": QUESTION, "sort": "value_asc"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["地区", "答案"] and [row[0] for row in rows[1:]] == [DC_REGION, KM_REGION]
    x = client.get("/api/compare.xlsx", params={"question": QUESTION, "sort": "value_asc"})
    assert x.status_code == 200 and x.content[:2] == b"PK"
    ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
    got = [list(r) for r in ws.iter_rows(values_only=True)]
    assert ws.title == "对比" and ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:J{len(rows)}"
    assert got[0] == rows[0] and ws["A1"].font.b and len(got) == len(rows)
    numbers = 0
    for want, have in zip(rows[1:], got[1:]):
        assert len(have) == len(want)
        for header, text, value in zip(rows[0], want, have):
            if header in NUMERIC_COLUMNS and text and "–" not in text:  # ranges ("4.5–5") stay text
                assert isinstance(value, (int, float)) and value == pytest.approx(float(text)), (header, text, value)
                numbers += 1
            else:
                assert (value or "") == text, (header, text, value)  # Chinese text intact, verbatim
    assert numbers >= 2 * 3  # rank, value and confidence of both stated rows
    assert all(ws.column_dimensions[chr(65 + i)].width for i in range(len(rows[0])))


# ---------------------------------------------------------------- the page, in Chromium

@pytest.fixture(scope="module")
def server(service, settings) -> Iterator[str]:
    with serve_app(create_app(ServerConfig(settings=settings), service), free_port()) as base:
        yield base


@pytest.fixture(scope="module")
def page(server) -> Iterator[Any]:
    require(CHROMIUM.exists(), "Chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        ctx = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN", accept_downloads=True)
        pg = ctx.new_page()
        pg.set_default_timeout(TIMEOUT)
        pg.goto(server + "/")
        pg.wait_for_selector("#gwr-compare-q textarea")
        yield pg
        ctx.close()
        browser.close()


def _table(page: Any) -> list[list[str]]:
    rows = page.locator("#gwr-compare-rows tbody tr")
    return [[c.strip() for c in rows.nth(i).locator("td").all_inner_texts()] for i in range(rows.count())]


def _regions(page: Any) -> list[str]:
    return [row[1] for row in _table(page)]


def test_compare_table_sorts_and_downloads(page, assistant) -> None:
    page.locator("#gwr-compare-q textarea").fill(QUESTION)
    page.locator("#gwr-compare-go").click()
    page.locator("#gwr-compare-rows tbody tr").first.wait_for()
    table = _table(page)
    assert len(table) == len(assistant.reports)  # one row per report
    assert {row[1] for row in table} == {DC_REGION, KM_REGION}
    assert page.locator("#gwr-compare-rows a.gwr-cmp-source").count() == 2  # each stated cell links to its passage
    assert page.locator(".gwr-cmp-bar").count() == 2  # comparable figures: a bar each
    page.locator("#gwr-compare").screenshot(path=str(SCREENSHOTS / "compare-01-table.png"))

    def sort_by(label: str, first: str) -> None:
        page.get_by_label(label).check()
        page.wait_for_function(
            "f => document.querySelector('#gwr-compare-rows tbody tr td:nth-child(2)')?.innerText.trim() === f", arg=first)

    sort_by("数值从低到高", DC_REGION)  # 80亿元以上 < 100亿元
    assert _regions(page) == [DC_REGION, KM_REGION]
    sort_by("数值从高到低", KM_REGION)
    assert _regions(page) == [KM_REGION, DC_REGION]

    # the CSV download parses and matches the table as shown (same order, same verbatim answers)
    with page.expect_download() as info:
        page.locator("#gwr-compare-csv").click()
    text = open(info.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["地区", "答案", "限定"]
    shown = _table(page)
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [(s[1], s[2], s[3]) for s in shown]
    # the TSV box holds the same table
    tsv = page.locator("#gwr-compare-tsv textarea").input_value()
    assert [line.split("\t")[:2] for line in tsv.strip().splitlines()] == [r[:2] for r in rows]
