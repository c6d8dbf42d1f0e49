"""👍/👎 votes on answers the server actually gave, stored locally in SQLite (WAL mode).

Every answer the web app hands out is recorded under a random answer id (a
bounded table: the oldest are pruned). A vote names that id, so it can only
ever refer to a real answer, and the stored row is built from the server's copy
of the question and answer — never from anything the client sends. There is at
most one row per (answer id, voter): voting again updates it, vote 0 removes it.

Databases written before answer ids existed are migrated in place (two columns
and a unique index are added; old rows are kept as they are). I/O lives here,
at the edge: the app writes votes, `python -m eval from-feedback` reads them.
"""
from __future__ import annotations

import hashlib
import json
import secrets
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
CREATE TABLE IF NOT EXISTS answers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    ts TEXT NOT NULL,
    question TEXT NOT NULL,
    history TEXT NOT NULL DEFAULT '[]',
    report TEXT,
    answer_json TEXT NOT NULL
);
"""
MIGRATIONS = (  # columns added after the first release; applied when missing
    ("answer_id", "ALTER TABLE feedback ADD COLUMN answer_id TEXT"),
    ("voter", "ALTER TABLE feedback ADD COLUMN voter TEXT"),
)
UNIQUE_VOTE = "CREATE UNIQUE INDEX IF NOT EXISTS feedback_answer_voter ON feedback (answer_id, voter)"
DEFAULT_MAX_ANSWERS = 5000  # answers kept for voting (about 5 KB each); older ones can no longer be voted on
_COLUMNS = "id, ts, question, history, report, answer, answer_json, vote, comment, answer_id"


class UnknownAnswer(LookupError):
    """The vote names an answer id this server never issued (or pruned long ago)."""


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
    answer_id: str | None = None  # None for rows written before answer ids existed


@dataclass(frozen=True)
class VoteResult:
    action: str  # "stored" | "updated" | "removed" | "unchanged"
    row: int | None  # the feedback row id (None once removed)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def voter_hash(voter: str) -> str:
    """Voters are stored hashed: the store needs to tell them apart, not to know who they are."""
    return hashlib.sha256(voter.encode("utf-8")).hexdigest()[:32]


class FeedbackStore:
    """Issued answers and the votes on them. Each write is its own transaction; SQLite serializes writers."""

    def __init__(self, path: Path, max_answers: int = DEFAULT_MAX_ANSWERS) -> None:
        self.path = Path(path)
        self.max_answers = max(1, int(max_answers))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        conn = self._conn()
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)
        columns = {row[1] for row in conn.execute("PRAGMA table_info(feedback)")}
        for name, sql in MIGRATIONS:
            if name not in columns:
                conn.execute(sql)
        conn.execute(UNIQUE_VOTE)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    # ------------------------------------------------------------ answers the server gave
    def record_answer(self, *, question: str, answer: dict[str, Any], history: list[str] | None = None,
                      report: str | None = None) -> str:
        """Remember an answer handed out; returns the unguessable id a vote must name."""
        answer_id = secrets.token_urlsafe(16)
        conn = self._conn()
        cur = conn.execute(
            "INSERT INTO answers (id, ts, question, history, report, answer_json) VALUES (?, ?, ?, ?, ?, ?)",
            (answer_id, _now(), question, json.dumps(history or [], ensure_ascii=False), report,
             json.dumps(answer, ensure_ascii=False)))
        seq = int(cur.lastrowid or 0)
        if seq % 50 == 0:  # prune now and then, not on every answer
            conn.execute("DELETE FROM answers WHERE seq <= ?", (seq - self.max_answers,))
        return answer_id

    def answer(self, answer_id: str) -> dict[str, Any] | None:
        row = self._conn().execute("SELECT question, history, report, answer_json FROM answers WHERE id = ?",
                                   (answer_id,)).fetchone()
        if row is None:
            return None
        return {"question": row[0], "history": json.loads(row[1]), "report": row[2], "answer": json.loads(row[3])}

    def answer_count(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    # ------------------------------------------------------------ votes
    def set_vote(self, answer_id: str, voter: str, vote: int, comment: str = "") -> VoteResult:
        """One row per (answer, voter): 1/-1 stores or updates it, 0 removes it. Raises UnknownAnswer."""
        if isinstance(vote, bool) or not isinstance(vote, int) or vote not in (-1, 0, 1):
            raise ValueError("vote must be 1 (👍), -1 (👎) or 0 (remove)")
        voter_key = voter_hash(voter)
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            given = self.answer(answer_id)
            if given is None:
                raise UnknownAnswer(answer_id)
            old = conn.execute("SELECT id, vote, comment FROM feedback WHERE answer_id = ? AND voter = ?",
                               (answer_id, voter_key)).fetchone()
            if vote == 0:
                if old is not None:
                    conn.execute("DELETE FROM feedback WHERE id = ?", (old[0],))
                result = VoteResult("removed" if old else "unchanged", None)
            elif old is not None:
                if old[1] == vote and (not comment or comment == old[2]):
                    result = VoteResult("unchanged", int(old[0]))
                else:
                    conn.execute("UPDATE feedback SET vote = ?, ts = ?, comment = ? WHERE id = ?",
                                 (vote, _now(), comment or old[2], old[0]))
                    result = VoteResult("updated", int(old[0]))
            else:
                answer = given["answer"]
                cur = conn.execute(
                    "INSERT INTO feedback (ts, question, history, report, answer, answer_json, vote, comment, "
                    "answer_id, voter) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (_now(), given["question"], json.dumps(given["history"], ensure_ascii=False), given["report"],
                     str(answer.get("answer", "")), json.dumps(answer, ensure_ascii=False), vote, comment,
                     answer_id, voter_key))
                result = VoteResult("stored", int(cur.lastrowid or 0))
            conn.execute("COMMIT")
            return result
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def add(self, *, question: str, answer: dict[str, Any], vote: int, history: list[str] | None = None,
            report: str | None = None, comment: str = "") -> int:
        """Append a vote without an answer id (imports, tests); the web app uses `set_vote`."""
        if isinstance(vote, bool) or not isinstance(vote, int) or vote not in (-1, 1):
            raise ValueError("vote must be 1 (👍) or -1 (👎)")
        cur = self._conn().execute(
            "INSERT INTO feedback (ts, question, history, report, answer, answer_json, vote, comment) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (_now(), question, json.dumps(history or [], ensure_ascii=False), report,
             str(answer.get("answer", "")), json.dumps(answer, ensure_ascii=False), vote, comment),
        )
        return int(cur.lastrowid or 0)

    def votes(self, vote: int | None = None, answer_id: str | None = None) -> Iterator[Vote]:
        sql = f"SELECT {_COLUMNS} FROM feedback"
        where, args = [], []
        if vote is not None:
            where.append("vote = ?")
            args.append(vote)
        if answer_id is not None:
            where.append("answer_id = ?")
            args.append(answer_id)
        if where:
            sql += " WHERE " + " AND ".join(where)
        for row in self._conn().execute(sql + " ORDER BY id", args):
            yield Vote(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5], json.loads(row[6]), row[7],
                       row[8], row[9])

    def count(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM feedback").fetchone()[0])
