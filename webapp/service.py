"""One Assistant for the whole server, answering in a thread pool, plus the vote store.

The index takes seconds to load and the model is large, so there is exactly one
`Assistant` per process, shared by the UI and the API (its reads are
thread-safe). `ask()` is CPU-bound; running it in a small pool keeps the event
loop free to serve pages, health checks and other users meanwhile.

The server never waits for a build: it serves the last intact index at once and
(re)builds or repairs in a background thread when the corpus changed or a file
is damaged, then swaps the new Assistant in with one assignment (a question
already running finishes on the old one). Before there is any index, questions
get a clear "索引正在建立（已完成 x%）" answer; `status()` (in /healthz) says where
the build is.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

from assistant.citing import document_citation, source_text
from assistant.compare import Comparison
from assistant.config import Settings
from assistant.feedback import FeedbackStore, VoteResult
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


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


class QAService:
    """The assistant, its executor, its background (re)builds and the feedback store, as the web layer sees them."""

    def __init__(self, assistant: Any | None, feedback_path: Path, workers: int = 1,
                 settings: Settings | None = None, queue_limits: QueueLimits | None = None) -> None:
        if assistant is None and settings is None:
            raise ValueError("QAService needs an assistant or the settings to build one")
        self._assistant = assistant
        self.settings: Settings = settings or assistant.settings
        self.feedback = FeedbackStore(feedback_path)
        self.vote_limiter = RateLimiter()  # per voter: a burst of 20 votes, then one every 2 s
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="gwr-ask")
        # bounded, deadline-aware admission in front of ask() (webapp/queueing.py)
        self.queue = AskQueue(self._pool, queue_limits or QueueLimits(slots=max(1, workers)))
        self._state = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pending: str | None = None  # a rebuild asked for while one runs
        self._build: dict[str, Any] = {"running": False, "reason": "", "stage": "", "done": 0, "total": 0,
                                       "started_at": None}
        self._last: dict[str, Any] = {"finished_at": None, "seconds": None, "error": None}
        self._examples = Examples(index=None)
        self._examples_lock = threading.Lock()
        self._moved = time.monotonic()  # when the running build last made progress
        self.stuck_after_s = 180.0  # a build with no progress for this long is reported as stuck
        self._damage: str | None = None  # damage found on disk in the served build (see watch_index)
        self._watch: Any | None = None  # assistant.store.BuildWatch of the served build
        self._closing = threading.Event()

    @classmethod
    def create(cls, settings: Settings, workers: int = 1, queue_limits: QueueLimits | None = None) -> "QAService":
        """Serve the last intact index now; build, update or repair it in the background when needed."""
        from assistant.pipeline import Assistant
        from assistant.store import IndexError_, current_build, last_good_index, resolve_corpus, staleness

        corpus_problem = None
        try:
            settings = resolve_corpus(settings)
        except IndexError_ as exc:  # the recorded report folder is gone: serve what is built, never rebuild
            corpus_problem = str(exc)
            logger.error("%s", exc)
        assistant, reason = None, "no usable index yet"
        data = last_good_index(settings.index_dir)  # the live build, or the one before it when that is damaged
        if data is not None:
            try:
                assistant = Assistant(settings, index=data)
                logger.info("serving the index %s from %s", data.path.name, settings.index_dir)
            except ValueError as exc:  # built with another encoder
                logger.warning("cannot serve %s: %s", data.path.name, exc)
        service = cls(assistant, settings.feedback_path, workers, settings=settings, queue_limits=queue_limits)
        if assistant is not None:
            reason = None
            if corpus_problem is None:
                damaged = data.path != current_build(settings.index_dir)
                reason = "the live index build is damaged; repairing it" if damaged else staleness(settings)
            service.warm_up()
        if corpus_problem is not None:
            service._last["error"] = corpus_problem
        elif reason:
            service.rebuild(reason)
        service.watch_index()
        return service

    @property
    def assistant(self) -> Any | None:
        """The Assistant answering right now (None until the first build finishes)."""
        return self._assistant

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

    # ------------------------------------------------------------ background builds
    def rebuild(self, reason: str = "requested") -> bool:
        """Build (incrementally) or repair the index in a background thread, then swap it in.

        Returns False when a build is already running (another one follows it, so a change
        made during a build is not missed).
        """
        with self._state:
            if self._build["running"]:
                self._pending = reason
                return False
            self._build.update(running=True, reason=reason, stage="reading reports", done=0, total=0,
                               started_at=_now())
            self._moved = time.monotonic()
            self._thread = threading.Thread(target=self._run_build, args=(reason,), name="gwr-index-build",
                                            daemon=True)
            self._thread.start()
        logger.info("building the index in the background: %s", reason)
        return True

    def watch_index(self, every_s: float = 2.0) -> threading.Thread:
        """Check the served build on disk every few seconds in a daemon thread (a stat per file; a hash only
        of a file that changed): damage shows in /healthz as degraded and starts a repair, which reuses the
        vectors that still pass their checksums while the loaded index keeps answering."""
        def run() -> None:
            while not self._closing.wait(every_s):
                try:
                    self.check_index()
                except Exception:  # a watcher that dies silently would hide the next damage
                    logger.warning("checking the served index failed", exc_info=True)

        thread = threading.Thread(target=run, name="gwr-index-watch", daemon=True)
        thread.start()
        return thread

    def check_index(self) -> str | None:
        """Damage on disk to the served build now (None when intact); new damage starts a repair."""
        from assistant.store import BuildWatch

        index = getattr(self._assistant, "index", None)
        if index is None:
            return None
        if self._watch is None or self._watch.build != index.path:
            self._watch, self._damage = BuildWatch(index), None
        damage = self._watch.check()
        reason = damage.reason if damage is not None else None
        if reason is not None and reason != self._damage:
            logger.error("the served index is damaged on disk: %s; repairing it in the background", reason)
            self.rebuild(f"served index damaged: {reason}")
        self._damage = reason
        return reason

    def wait_for_build(self, timeout: float | None = None) -> bool:
        """Block until no build is running (tests, scripts); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._state:
                thread = self._thread
                if not self._build["running"]:
                    return True
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            if thread is not None:
                thread.join(timeout=min(left, 1.0) if left is not None else 1.0)

    def _progress(self, done: int, total: int) -> None:
        with self._state:
            self._build.update(stage="embedding", done=done, total=total)
            self._moved = time.monotonic()

    def _run_build(self, reason: str | None) -> None:
        """Build until no rebuild is pending (a change made during a build gets its own build)."""
        while reason is not None:
            self._build_once(reason)
            with self._state:
                reason, self._pending = self._pending, None
                if reason is None:
                    self._build.update(running=False, stage="")
                else:
                    self._build.update(reason=reason, stage="reading reports", done=0, total=0, started_at=_now())
                    self._moved = time.monotonic()

    def _build_once(self, reason: str) -> None:
        from assistant.encoders import load_encoder
        from assistant.pipeline import Assistant
        from assistant.store import build_index, load_index

        t0 = time.perf_counter()
        error = None
        try:
            encoder = load_encoder(self.settings.model)
            # small batches: a question waits for the shared encoder at most one batch (not in the index signature)
            build_settings = self.settings.with_(embed_batch_size=min(8, self.settings.embed_batch_size))
            build_index(build_settings, encoder=encoder, progress=False, on_progress=self._progress)
            with self._state:
                self._build["stage"] = "loading"
            fresh = Assistant(self.settings, index=load_index(self.settings.index_dir), encoder=encoder)
            try:
                fresh.ask(WARM_UP_QUESTION)  # lazy loading happens here, not in a user's question
                examples = find_examples(fresh)  # checked before the swap: the new index comes with its examples
            except Exception:
                logger.warning("warm-up question on the new index failed", exc_info=True)
                examples = Examples(index=None)
            with self._examples_lock:
                self._examples = examples
            self._assistant = fresh  # the swap: one reference assignment
            logger.info("now serving the index %s (%d reports) after %.1fs",
                        fresh.index.path.name, len(fresh.reports), time.perf_counter() - t0)
        except Exception as exc:  # keep serving the old index; say why in status()
            error = f"{type(exc).__name__}: {exc}"
            logger.exception("index build failed (%s); still serving the previous index", reason)
        with self._state:
            self._last.update(finished_at=_now(), seconds=round(time.perf_counter() - t0, 1), error=error)

    def status(self) -> dict[str, Any]:
        """Index state for /healthz and the UI: what is served, and how far a running build is."""
        assistant = self._assistant
        with self._state:
            build = dict(self._build)
            last = dict(self._last)
        total = build["total"]
        build["percent"] = round(100.0 * build["done"] / total, 1) if total else 0.0
        if assistant is not None:
            state = "updating" if build["running"] else "ready"
        else:
            state = "building" if build["running"] else "unavailable"
        index = getattr(assistant, "index", None)
        return {"state": state, "index": index.path.name if index is not None else None,
                "reports": len(assistant.reports) if assistant is not None else 0,
                "chunks": len(index.chunks) if index is not None else 0,
                "built_at": index.manifest.get("built_at") if index is not None else None,
                # "flat" (exact) or "hnsw" (approximate): chosen by the index's size (Settings.dense_index)
                "dense_index": index.manifest.get("dense_index", "flat") if index is not None else None,
                "build": build, "last_build": last}

    def problems(self) -> list[str]:
        """Why the service is degraded though it answers: a stuck or failed build, files left out, damage on
        disk in the index being served (empty when all is well). /healthz reports them."""
        out: list[str] = []
        with self._state:
            running, stage = self._build["running"], self._build["stage"]
            idle = time.monotonic() - self._moved
            error = self._last["error"]
        if running and idle > self.stuck_after_s:
            out.append(f"index build stuck: no progress for {idle:.0f} s (stage: {stage})")
        if error:
            out.append(f"last index build failed: {error}")
        if self._damage:
            out.append(f"served index damaged on disk: {self._damage}")
        for item in self.skipped_files():
            out.append(f"file skipped: {item['rel_path']}: {item['reason']}")
        return out

    def skipped_files(self) -> list[dict[str, str]]:
        """Report files the served index left out because they could not be read (duplicates are no problem)."""
        index = getattr(self._assistant, "index", None)
        skipped = (index.manifest.get("skipped") or []) if index is not None else []
        return [{"rel_path": str(s.get("rel_path", "")), "reason": str(s.get("reason", ""))} for s in skipped
                if not str(s.get("reason", "")).endswith("(duplicate)")]

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
        assistant = self._assistant
        return assistant.reports if assistant is not None else {}

    def report_list(self) -> list[dict[str, Any]]:
        assistant = self._assistant
        return assistant.report_list() if assistant is not None else []

    def report_choices(self) -> list[tuple[str, str]]:
        """(label, id) pairs for the report filter, newest first."""
        metas = sorted(self.report_list(), key=lambda m: (m.get("year") or 0, m["title"]), reverse=True)
        return [(m["title"], m["id"]) for m in metas]

    def examples(self) -> Examples:
        """The page's example questions for the index served now (checked against it once per index)."""
        assistant = self._assistant
        with self._examples_lock:
            if self._examples.index != index_name(assistant):
                self._examples = find_examples(assistant)
            return self._examples

    @property
    def max_question_chars(self) -> int:
        return int(self.settings.max_question_chars)

    # ------------------------------------------------------------ asking
    def ask_sync(self, question: str, history: Sequence[str] | None = None, report: str | None = None) -> Answer:
        assistant = self._assistant  # one reference for the whole question, whatever a swap does meanwhile
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
            assistant = self._assistant
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
        self._closing.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
