"""One Assistant for the whole server, answering in a thread pool, plus the vote store.

The index takes seconds to load and the model is large, so there is exactly one
`Assistant` per process, shared by the UI and the API (its reads are
thread-safe). `ask()` is CPU-bound; running it in a small pool keeps the event
loop free to serve pages, health checks and other users meanwhile.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Sequence

from assistant.config import Settings
from assistant.feedback import FeedbackStore
from assistant.types import Answer, Report

from .queueing import AskQueue, QueueLimits

logger = logging.getLogger(__name__)

WARM_UP_QUESTION = "地区生产总值是多少？"


class QAService:
    """The assistant, its executor and the feedback store, as the web layer sees them."""

    def __init__(self, assistant: Any, feedback_path: Path, workers: int = 1,
                 queue_limits: QueueLimits | None = None) -> None:
        self.assistant = assistant
        self.settings: Settings = assistant.settings
        self.feedback = FeedbackStore(feedback_path)
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="gwr-ask")
        # bounded, deadline-aware admission in front of ask() (webapp/queueing.py)
        self.queue = AskQueue(self._pool, queue_limits or QueueLimits(slots=max(1, workers)))

    @classmethod
    def create(cls, settings: Settings, workers: int = 1, queue_limits: QueueLimits | None = None) -> "QAService":
        from assistant.pipeline import Assistant

        logger.info("loading index from %s", settings.index_dir)
        service = cls(Assistant(settings), settings.feedback_path, workers, queue_limits)
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

    async def ask(self, question: str, history: Sequence[str] | None = None, report: str | None = None,
                  client: str | None = None) -> Answer:
        """`Assistant.ask` on the worker pool through the bounded queue (may raise queueing.Overloaded)."""
        return await self.queue.run(partial(self.ask_sync, question, history, report), client=client)

    # ------------------------------------------------------------ feedback
    def vote(self, *, question: str, answer: dict[str, Any], vote: int, history: Sequence[str] | None = None,
             report: str | None = None, comment: str = "") -> int:
        row = self.feedback.add(question=question, answer=answer, vote=vote, history=list(history or []),
                                report=report, comment=comment)
        logger.info("feedback #%d: %+d for %r", row, vote, question[:40])
        return row

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
