"""One Assistant for the whole server, answering in a thread pool, plus the vote store.

The index takes seconds to load and the model is large, so there is exactly one
`Assistant` per process, shared by the UI and the API (its reads are
thread-safe). `ask()` is CPU-bound; running it in a small pool keeps the event
loop free to serve pages, health checks and other users meanwhile.

The server never waits for a build: its `IndexKeeper` (assistant/storage/keeper.py)
serves the last intact index at once and (re)builds or repairs in a background thread
when the corpus changed or a file is damaged, then swaps the new Assistant in with one
assignment (a question already running finishes on the old one). Before there is any
index, questions get a clear "索引正在建立（已完成 x%）" answer; `status()` (in /healthz)
says where the build is.
"""
from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

from assistant.citing import document_citation, source_text
from assistant.compare import Comparison
from assistant.config import Settings
from assistant.feedback import FeedbackStore, VoteResult
from assistant.encoders import Encoder
from assistant.storage import IndexData, IndexKeeper
from assistant.text import clean_question
from assistant.types import Answer, Report

from .examples import Examples, find_examples, index_name
from .votes import RateLimiter
from .queueing import AskQueue, QueueLimits

logger = logging.getLogger(__name__)

WARM_UP_QUESTION = "地区生产总值是多少？"
T = TypeVar("T")


def _storable(text: str) -> str:
    """Text with lone surrogates replaced, so it can be written as UTF-8."""
    return text.encode("utf-8", "replace").decode("utf-8") if isinstance(text, str) else text


class QAService:
    """The assistant, its executor and the feedback store as the web layer sees them; the index's background
    (re)builds, repairs and status are its `IndexKeeper`'s (assistant/storage/keeper.py)."""

    def __init__(self, assistant: Any | None, feedback_path: Path, workers: int = 1,
                 settings: Settings | None = None, queue_limits: QueueLimits | None = None) -> None:
        if assistant is None and settings is None:
            raise ValueError("QAService needs an assistant or the settings to build one")
        self.keeper: IndexKeeper[Any] = IndexKeeper(settings or assistant.settings, open_index=self._open_index,
                                                    prepare=self._prepare, served=assistant,
                                                    index=getattr(assistant, "index", None))
        self.feedback = FeedbackStore(feedback_path)
        self.vote_limiter = RateLimiter()  # per voter: a burst of 20 votes, then one every 2 s
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="gwr-ask")
        # bounded, deadline-aware admission in front of ask() (webapp/queueing.py)
        self.queue = AskQueue(self._pool, queue_limits or QueueLimits(slots=max(1, workers)))
        self._examples = Examples(index=None)
        self._examples_lock = threading.Lock()

    @classmethod
    def create(cls, settings: Settings, workers: int = 1, queue_limits: QueueLimits | None = None) -> "QAService":
        """Serve the last intact index now; build, update or repair it in the background when needed."""
        service = cls(None, settings.feedback_path, workers, settings=settings, queue_limits=queue_limits)
        service.keeper.start(on_served=lambda _: service.warm_up())
        return service

    @property
    def settings(self) -> Settings:
        """The settings served with (the report folder resolved to the one the index was built from)."""
        return self.keeper.settings

    @property
    def assistant(self) -> Any | None:
        """The Assistant answering right now (None until the first build finishes)."""
        return self.keeper.served

    def _open_index(self, index: IndexData, encoder: Encoder | None) -> Any:
        """The Assistant for a loaded index (the keeper serves it)."""
        from assistant.pipeline import Assistant

        return Assistant(self.settings, index=index, encoder=encoder)

    def _prepare(self, fresh: Any) -> None:
        """Before a new index is swapped in: one question (lazy loading happens here, not in a user's question)
        and the page's examples checked against it, so the new index comes with its examples."""
        try:
            fresh.ask(WARM_UP_QUESTION)
            examples = find_examples(fresh)
        except Exception:
            logger.warning("warm-up question on the new index failed", exc_info=True)
            examples = Examples(index=None)
        with self._examples_lock:
            self._examples = examples

    def warm_up(self) -> None:
        """One throw-away question in the background: the first user should not pay for lazy loading (~2 s).

        The page's examples are checked against the index right after, so the first page has them.
        """
        def run() -> None:
            try:
                self.ask_sync(WARM_UP_QUESTION)
                self.examples()
            except Exception:  # never fatal: the first real question will just be slower
                logger.warning("warm-up question failed", exc_info=True)

        self._pool.submit(run)

    # ------------------------------------------------------------ the index (kept by self.keeper)
    def rebuild(self, reason: str = "requested") -> bool:
        """Build or repair the index in the background, then swap it in (False: one is running; this follows)."""
        return self.keeper.rebuild(reason)

    def wait_for_build(self, timeout: float | None = None) -> bool:
        """Block until no build is running (tests, scripts); False on timeout."""
        return self.keeper.wait(timeout)

    def status(self) -> dict[str, Any]:
        """Index state for /healthz and the UI: what is served, and how far a running build is."""
        return self.keeper.status()

    def problems(self) -> list[str]:
        """Why the service is degraded though it answers (empty when all is well); /healthz reports them."""
        return self.keeper.problems()

    def skipped_files(self) -> list[dict[str, str]]:
        """Report files the served index left out because they could not be read (duplicates are no problem)."""
        return self.keeper.skipped_files()

    def _not_ready(self, question: str) -> Answer:
        """The answer while there is no index to answer from."""
        status = self.status()
        if status["state"] == "building":
            message = f"索引正在建立（已完成 {status['build']['percent']:.0f}%），请稍后再提问。"
        else:
            message = "索引暂不可用，请联系管理员查看服务日志。"
            if status["last_build"]["error"]:
                message = f"索引建立失败：{status['last_build']['error']}。请联系管理员。"
        return Answer(question=clean_question(question), answer="", sentence="", confidence=0.0, abstained=True,
                      reason="index not ready", message=message)

    # ------------------------------------------------------------ reports
    @property
    def reports(self) -> dict[str, Report]:
        assistant = self.keeper.served
        return assistant.reports if assistant is not None else {}

    def report_list(self) -> list[dict[str, Any]]:
        assistant = self.keeper.served
        return assistant.report_list() if assistant is not None else []

    def report_choices(self) -> list[tuple[str, str]]:
        """(label, id) pairs for the report filter, newest first."""
        metas = sorted(self.report_list(), key=lambda m: (m.get("year") or 0, m["title"]), reverse=True)
        return [(m["title"], m["id"]) for m in metas]

    def examples(self) -> Examples:
        """The page's example questions for the index served now (checked against it once per index)."""
        assistant = self.keeper.served
        with self._examples_lock:
            if self._examples.index != index_name(assistant):
                self._examples = find_examples(assistant)
            return self._examples

    @property
    def max_question_chars(self) -> int:
        return int(self.settings.max_question_chars)

    # ------------------------------------------------------------ asking
    def ask_sync(self, question: str, history: Sequence[str] | None = None, report: str | None = None) -> Answer:
        assistant = self.keeper.served  # one reference for the whole question, whatever a swap does meanwhile
        if assistant is None:
            return self._not_ready(question)
        return assistant.ask(question, history=list(history or []), report=report or None)

    async def ask(self, question: str, history: Sequence[str] | None = None, report: str | None = None,
                  client: str | None = None) -> Answer:
        """`Assistant.ask` on the worker pool through the bounded queue (may raise queueing.Overloaded)."""
        return await self.queue.run(partial(self.ask_sync, question, history, report), client=client)

    async def compare(self, question: str, reports: Sequence[str] | None = None, level: str | None = None,
                      client: str | None = None) -> Comparison:
        """`compare` through the same queue as questions; it stops between reports once its client has gone
        or it has run past the queue's `run_timeout_s` (raising ComparisonStopped)."""
        from assistant.compare import compare

        stop = threading.Event()

        def run() -> Comparison:
            assistant = self.keeper.served
            if assistant is None:
                return Comparison(question=question, core_question="", scope="", rows=(),
                                  message=self._not_ready(question).message)
            return compare(assistant, question, reports, level, stop=stop.is_set)

        return await self.queue.run(run, client=client, kind="compare", stop=stop)

    async def run(self, fn: Callable[[], T], client: str | None = None, kind: str = "other") -> T:
        """Any other expensive work (an export, the report view) through the same queue."""
        return await self.queue.run(fn, client=client, kind=kind)

    # ------------------------------------------------------------ feedback
    def quote(self, answer: Answer) -> str:
        """The answer's sentence cited the way officials cite (assistant/citing.py); "" when there is none.

        Built from the first citation, which is where the sentence comes from; the report's date comes from
        its metadata (a report no longer served is cited by its title alone).
        """
        if answer.abstained or not answer.citations:
            return ""
        first = answer.citations[0]
        sentence = answer.sentence or answer.answer
        if not sentence:
            return ""
        report = self.reports.get(first.report)
        if report is not None:
            return document_citation(report.meta, first.section, sentence)
        return f"{source_text(first.title, None, first.section)}：“{sentence}”"

    def answer_json(self, answer: Answer) -> dict[str, Any]:
        """`Answer.to_dict()` plus `quote`: the JSON every answer is handed out (and exported) in."""
        data = answer.to_dict()
        data["quote"] = self.quote(answer)
        return data

    def issue(self, answer: Answer, question: str, history: Sequence[str] | None = None,
              report: str | None = None) -> dict[str, Any]:
        """The answer's JSON plus `answer_id`: the server remembers what it gave, so votes can only name it."""
        data = self.answer_json(answer)
        # what is stored must be valid UTF-8 even when a client sent lone surrogates ("\ud800")
        data["answer_id"] = self.feedback.record_answer(
            question=_storable(question), answer=json.loads(_storable(json.dumps(data, ensure_ascii=False))),
            history=[_storable(h) for h in (history or [])], report=_storable(report) if report else report)
        return data

    def vote(self, answer_id: str, voter: str, vote: int, comment: str = "") -> VoteResult:
        """Store, change (1/-1) or withdraw (0) one voter's vote on an issued answer; raises UnknownAnswer."""
        result = self.feedback.set_vote(answer_id, voter, vote, comment)
        logger.info("feedback on %s: %+d (%s)", answer_id[:8], vote, result.action)
        return result

    def close(self) -> None:
        self.keeper.close()
        self._pool.shutdown(wait=False, cancel_futures=True)
