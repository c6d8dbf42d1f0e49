"""The 👍/👎 store and POST /api/feedback: votes name answers the server gave, one row per answer and voter.

Against the real assistant and corpus; the HTTP tests go through the whole app (TestClient or a real server).
"""
from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

import webapp  # noqa: F401  (analytics off before gradio is imported)
from assistant.feedback import FeedbackStore, UnknownAnswer, voter_hash
from web_helpers import client, service  # noqa: F401  (shared fixtures)
from web_helpers import free_port, serve_app
from webapp.config import ServerConfig
from webapp.server import create_app
from webapp.votes import RateLimiter

GDP_Q = "东川区2025年地区生产总值是多少？"
GDP_A = "135.53亿元"
SAME_ORIGIN = {"origin": "http://testserver"}


@pytest.fixture(autouse=True)
def fresh_limiter(service) -> None:
    service.vote_limiter = RateLimiter()  # every test starts with a full bucket


def _ask(client, question: str = GDP_Q, **extra: Any) -> dict[str, Any]:
    r = client.post("/api/ask", json={"question": question, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def _vote(client, answer_id: Any, vote: Any, headers: dict[str, str] | None = None, **extra: Any) -> httpx.Response:
    return client.post("/api/feedback", json={"answer_id": answer_id, "vote": vote, **extra},
                       headers=SAME_ORIGIN if headers is None else headers)


# ---------------------------------------------------------------- the store

def test_store_one_row_per_answer_and_voter(tmp_path: Path, assistant) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    answer = assistant.ask(GDP_Q).to_dict()
    aid = store.record_answer(question=GDP_Q, answer=answer, history=["上一个问题"], report=None)
    assert store.set_vote(aid, "ip:1", 1).action == "stored"
    assert store.set_vote(aid, "ip:1", 1).action == "unchanged"
    assert store.set_vote(aid, "ip:1", -1).action == "updated"  # switching: still one row
    assert [v.vote for v in store.votes(answer_id=aid)] == [-1]
    assert store.set_vote(aid, "ip:2", 1).action == "stored"  # another voter: a second row
    assert store.count() == 2
    assert store.set_vote(aid, "ip:1", 0).action == "removed"  # un-voting removes
    assert store.set_vote(aid, "ip:1", 0).action == "unchanged"
    rows = list(store.votes())
    assert len(rows) == 1 and rows[0].vote == 1
    assert rows[0].question == GDP_Q and rows[0].history == ["上一个问题"] and GDP_A in rows[0].answer
    stored_voters = {r[0] for r in sqlite3.connect(tmp_path / "fb.sqlite3").execute("SELECT voter FROM feedback")}
    assert stored_voters == {voter_hash("ip:2")}  # voters are not stored in the clear
    with pytest.raises(UnknownAnswer):
        store.set_vote("never-issued-id", "ip:1", 1)
    for bad in (2, 1.0, True, "1"):
        with pytest.raises(ValueError):
            store.set_vote(aid, "ip:1", bad)  # type: ignore[arg-type]


def test_issued_answers_are_bounded(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3", max_answers=100)
    ids = [store.record_answer(question=f"q{i}", answer={"answer": str(i)}) for i in range(400)]
    assert store.answer_count() <= 150
    assert store.answer(ids[-1]) is not None
    with pytest.raises(UnknownAnswer):
        store.set_vote(ids[0], "ip:1", 1)  # pruned long ago: can no longer be voted on


OLD_SCHEMA = """
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, question TEXT NOT NULL,
    history TEXT NOT NULL DEFAULT '[]', report TEXT, answer TEXT NOT NULL, answer_json TEXT NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)), comment TEXT NOT NULL DEFAULT '');
"""


def test_old_database_is_migrated_without_losing_rows(tmp_path: Path, assistant) -> None:
    from eval.__main__ import main

    db = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(db)
    conn.executescript(OLD_SCHEMA)
    answer = assistant.ask("东川区2025年地区生产总值增长了多少？").to_dict()
    for i, (question, vote) in enumerate([("东川区2025年地区生产总值增长了多少？", -1), ("旧问题二", 1),
                                          ("旧问题三", -1)]):
        conn.execute("INSERT INTO feedback (ts, question, history, report, answer, answer_json, vote, comment) "
                     "VALUES (?, ?, '[]', NULL, ?, ?, ?, '')",
                     (f"2025-01-0{i + 1}T00:00:00Z", question, answer["answer"], json.dumps(answer), vote))
    conn.commit()
    conn.close()

    store = FeedbackStore(db)
    old = list(store.votes())
    assert [v.question for v in old] == ["东川区2025年地区生产总值增长了多少？", "旧问题二", "旧问题三"]
    assert all(v.answer_id is None for v in old)
    aid = store.record_answer(question="新问题", answer=answer)
    store.set_vote(aid, "ip:9", -1)
    assert FeedbackStore(db).count() == 4  # reopening (a restart) migrates nothing twice and loses nothing

    out = tmp_path / "drafts.jsonl"
    assert main(["from-feedback", "--feedback", str(db), "--out", str(out), "--qa", str(tmp_path / "none.jsonl")]) == 0
    drafts = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {d["question"] for d in drafts} == {"东川区2025年地区生产总值增长了多少？", "旧问题三", "新问题"}


def test_concurrent_votes_are_all_kept_and_survive_restart(tmp_path: Path, assistant) -> None:
    path = tmp_path / "votes.sqlite3"
    answer = assistant.ask(GDP_Q).to_dict()
    store = FeedbackStore(path)
    threads, per_thread = 16, 30
    ids = [[store.record_answer(question=f"{GDP_Q} #{n}-{i}", answer=answer) for i in range(per_thread)]
           for n in range(threads)]
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i, aid in enumerate(ids[n]):
                store.set_vote(aid, f"ip:{n}", 1 if i % 2 else -1)
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors
    reopened = FeedbackStore(path)
    assert reopened.count() == threads * per_thread
    assert len(list(reopened.votes(vote=1))) == threads * per_thread // 2


# ---------------------------------------------------------------- POST /api/feedback

def test_vote_like_switch_unlike_through_the_api(client, service) -> None:
    data = _ask(client)
    aid = data["answer_id"]
    assert isinstance(aid, str) and len(aid) >= 16
    before = service.feedback.count()
    r = _vote(client, aid, 1, answer={"answer": "伪造的答案"}, question="伪造的问题")
    assert r.status_code == 201 and r.json()["action"] == "stored", r.text
    row = list(service.feedback.votes(answer_id=aid))
    assert len(row) == 1 and row[0].vote == 1
    assert row[0].question == GDP_Q and row[0].answer == data["answer"]  # the server's copy, not the client's
    assert row[0].answer_json["citations"][0]["text"]
    assert _vote(client, aid, -1).json()["action"] == "updated"
    assert [v.vote for v in service.feedback.votes(answer_id=aid)] == [-1]
    assert _vote(client, aid, 0).json()["action"] == "removed"
    assert list(service.feedback.votes(answer_id=aid)) == []
    assert _vote(client, aid, None).json()["action"] == "unchanged"  # null = withdraw, nothing left to withdraw
    assert service.feedback.count() == before


def test_forged_and_malformed_votes_are_refused(client, service) -> None:
    aid = _ask(client)["answer_id"]
    before = service.feedback.count()
    forged = _vote(client, "x" * 22, 1)
    assert forged.status_code == 404 and forged.json()["error"] == "unknown_answer"
    old_style = client.post("/api/feedback", json={"question": GDP_Q, "answer": {"answer": "毒"}, "vote": -1},
                            headers=SAME_ORIGIN)
    assert old_style.status_code == 422 and old_style.json()["error"] == "invalid_answer_id"
    for bad in (2, -2, 1.0, True, "1", [1]):
        r = _vote(client, aid, bad)
        assert r.status_code == 422 and r.json()["error"] == "invalid_vote", (bad, r.text)
    plain = client.post("/api/feedback", content=json.dumps({"answer_id": aid, "vote": 1}),
                        headers={"content-type": "text/plain", **SAME_ORIGIN})
    assert plain.status_code == 415 and plain.json()["error"] == "unsupported_media_type"
    form = client.post("/api/feedback", data={"answer_id": aid, "vote": "1"}, headers=SAME_ORIGIN)
    assert form.status_code == 415
    assert service.feedback.count() == before


@pytest.mark.parametrize("headers", [
    {"origin": "http://evil.example"},
    {"origin": "null"},
    {"referer": "http://evil.example/page.html"},
    {"origin": "http://testserver", "sec-fetch-site": "cross-site"},
    {"origin": "http://testserver:9999"},
], ids=["origin", "null-origin", "referer", "sec-fetch-site", "other-port"])
def test_cross_origin_votes_are_refused(client, service, headers: dict[str, str]) -> None:
    aid = _ask(client)["answer_id"]
    before = service.feedback.count()
    r = _vote(client, aid, 1, headers=headers)
    assert r.status_code == 403 and r.json()["error"] == "cross_origin"
    assert service.feedback.count() == before


def test_same_origin_and_non_browser_votes_are_accepted(client) -> None:
    behind_proxy = {"origin": "https://portal.example.gov.cn", "x-forwarded-host": "portal.example.gov.cn"}
    for headers in ({"origin": "http://testserver"}, {"referer": "http://testserver/widget/"}, behind_proxy, {}):
        aid = _ask(client)["answer_id"]
        assert _vote(client, aid, 1, headers=headers).status_code == 201, headers


def test_votes_are_rate_limited(client, service) -> None:
    service.vote_limiter = RateLimiter(burst=3, per=60)
    aid = _ask(client)["answer_id"]
    codes = [_vote(client, aid, 1 if i % 2 else -1).status_code for i in range(5)]
    assert codes[:3] == [201, 200, 200] and codes[3:] == [429, 429]
    r = _vote(client, aid, 1)
    assert r.json()["error"] == "rate_limited" and 1 <= int(r.headers["retry-after"]) <= 60


def test_wrong_method_is_405_in_the_error_format(client) -> None:
    for path in ("/api/ask", "/api/feedback"):
        r = client.get(path)
        assert r.status_code == 405, path
        assert r.headers["allow"] == "POST"
        assert r.json()["error"] == "method_not_allowed" and "POST" in r.json()["message"]


def test_gradio_ask_endpoint_also_issues_answer_ids(service, settings) -> None:
    from gradio_client import Client

    app = create_app(ServerConfig(settings=settings), service)
    with serve_app(app, free_port()) as base:
        result = Client(base + "/", verbose=False, download_files=False).predict(GDP_Q, [], None, api_name="/ask")
        data = result if isinstance(result, dict) else json.loads(result)
        assert service.feedback.answer(data["answer_id"])["question"] == GDP_Q
        r = httpx.post(base + "/api/feedback", json={"answer_id": data["answer_id"], "vote": 1},
                       headers={"origin": base})
        assert r.status_code == 201


def test_concurrent_votes_through_the_server(service, settings) -> None:
    service.vote_limiter = RateLimiter(burst=1000, per=0.01)
    answer = service.ask_sync(GDP_Q)
    ids = [service.issue(answer, f"q{i}")["answer_id"] for i in range(80)]
    before = service.feedback.count()
    app = create_app(ServerConfig(settings=settings), service)
    with serve_app(app, free_port()) as base:
        def post(chunk: list[str]) -> int:
            with httpx.Client(base_url=base, timeout=30, headers={"origin": base}) as c:
                return sum(c.post("/api/feedback", json={"answer_id": aid, "vote": 1}).status_code == 201
                           for aid in chunk)

        results: list[int] = []
        threads = [threading.Thread(target=lambda n=n: results.append(post(ids[n::8]))) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sum(results) == 80
    assert service.feedback.count() == before + 80


def test_an_answer_to_a_question_with_lone_surrogates_is_still_recorded(service) -> None:
    """The gradio `ask` endpoint passes questions as sent: a lone surrogate must not break recording."""
    question = "东川区\ud8002025年地区生产总值是多少？"
    answer = service.ask_sync(question)
    data = service.issue(answer, question, ["\udfff上一问"], None)
    assert data["answer_id"] and data["answer"] == answer.answer
    assert service.vote(data["answer_id"], "someone", 1).action == "stored"
