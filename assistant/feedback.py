"""👍/👎 votes on answers, stored locally in SQLite (WAL mode: concurrent writers lose nothing).

I/O lives here, at the edge: the app writes votes, `python -m eval from-feedback` reads them.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    question TEXT NOT NULL,
    history TEXT NOT NULL DEFAULT '[]',
    report TEXT,
    answer TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    comment TEXT NOT NULL DEFAULT ''
);
"""


@dataclass(frozen=True)
class Vote:
    id: int
    ts: str
    question: str
    history: list[str]
    report: str | None
    answer: str
    answer_json: dict[str, Any]
    vote: int
    comment: str


class FeedbackStore:
    """Append-only vote log. Each write is its own transaction; SQLite serializes writers."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._conn() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    def add(self, *, question: str, answer: dict[str, Any], vote: int, history: list[str] | None = None,
            report: str | None = None, comment: str = "") -> int:
        if vote not in (-1, 1):
            raise ValueError("vote must be 1 (👍) or -1 (👎)")
        conn = self._conn()
        cur = conn.execute(
            "INSERT INTO feedback (ts, question, history, report, answer, answer_json, vote, comment) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), question, json.dumps(history or [], ensure_ascii=False), report,
             str(answer.get("answer", "")), json.dumps(answer, ensure_ascii=False), vote, comment),
        )
        return int(cur.lastrowid)

    def votes(self, vote: int | None = None) -> Iterator[Vote]:
        sql = "SELECT id, ts, question, history, report, answer, answer_json, vote, comment FROM feedback"
        args: tuple = ()
        if vote is not None:
            sql += " WHERE vote = ?"
            args = (vote,)
        for row in self._conn().execute(sql + " ORDER BY id", args):
            yield Vote(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5], json.loads(row[6]), row[7], row[8])

    def count(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM feedback").fetchone()[0])
