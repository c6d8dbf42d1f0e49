"""One Assistant for the whole server, answering in a thread pool, plus the vote store.

The index takes seconds to load and the model is large, so there is exactly one
`Assistant` per process, shared by the UI and the API (its reads are
thread-safe). `ask()` is CPU-bound; running it in a small pool keeps the event
loop free to serve pages, health checks and other users meanwhile.
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Sequence

from assistant.config import Settings
from assistant.feedback import FeedbackStore, VoteResult
from assistant.types import Answer, Report

from .votes import RateLimiter

logger = logging.getLogger(__name__)

WARM_UP_QUESTION = "地区生产总值是多少？"


class QAService:
    """The assistant, its executor and the feedback store, as the web layer sees them."""

    def __init__(self, assistant: Any, feedback_path: Path, workers: int = 2) -> None:
        self.assistant = assistant
        self.settings: Settings = assistant.settings
        self.feedback = FeedbackStore(feedback_path)
        self.vote_limiter = RateLimiter()  # per voter: a burst of 20 votes, then one every 2 s
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="gwr-ask")

    @classmethod
    def create(cls, settings: Settings, workers: int = 2) -> "QAService":
        from assistant.pipeline import Assistant

        logger.info("loading index from %s", settings.index_dir)
        service = cls(Assistant(settings), settings.feedback_path, workers)
        service.warm_up()
        return service

    def warm_up(self) -> None:
        """One throw-away question in the background: the first user should not pay for lazy loading (~2 s)."""
        def run() -> None:
            try:
                self.ask_sync(WARM_UP_QUESTION)
            except Exception:  # never fatal: the first real question will just be slower
                logger.warning("warm-up question failed", exc_info=True)

        self._pool.submit(run)

    # ------------------------------------------------------------ reports
    @property
    def reports(self) -> dict[str, Report]:
        return self.assistant.reports

    def report_list(self) -> list[dict[str, Any]]:
        return self.assistant.report_list()

    def report_choices(self) -> list[tuple[str, str]]:
        """(label, id) pairs for the report filter, newest first."""
        metas = sorted(self.report_list(), key=lambda m: (m.get("year") or 0, m["title"]), reverse=True)
        return [(m["title"], m["id"]) for m in metas]

    @property
    def max_question_chars(self) -> int:
        return int(self.settings.max_question_chars)

    # ------------------------------------------------------------ asking
    def ask_sync(self, question: str, history: Sequence[str] | None = None, report: str | None = None) -> Answer:
        return self.assistant.ask(question, history=list(history or []), report=report or None)

    async def ask(self, question: str, history: Sequence[str] | None = None, report: str | None = None) -> Answer:
        """`Assistant.ask` on the worker pool, so a slow answer never blocks the server."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, partial(self.ask_sync, question, history, report))

    # ------------------------------------------------------------ feedback
    def issue(self, answer: Answer, question: str, history: Sequence[str] | None = None,
              report: str | None = None) -> dict[str, Any]:
        """The answer's JSON plus `answer_id`: the server remembers what it gave, so votes can only name it."""
        data = answer.to_dict()
        data["answer_id"] = self.feedback.record_answer(question=question, answer=answer.to_dict(),
                                                        history=list(history or []), report=report)
        return data

    def vote(self, answer_id: str, voter: str, vote: int, comment: str = "") -> VoteResult:
        """Store, change (1/-1) or withdraw (0) one voter's vote on an issued answer; raises UnknownAnswer."""
        result = self.feedback.set_vote(answer_id, voter, vote, comment)
        logger.info("feedback on %s: %+d (%s)", answer_id[:8], vote, result.action)
        return result

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
