"""Keeping an index served: the last good build at once, rebuilds and repairs in the background.

A server must answer from its first second and never wait for a build. `IndexKeeper` serves the
last intact build of the index directory at once; rebuilds in a background thread when the corpus
changed or the served build is damaged (a rebuild asked for during a build runs after it, so no
change is missed); swaps the new build in with one assignment (work already running finishes on
the old one); watches the served build for damage on disk (`watch.BuildWatch`, every few seconds);
and says where it stands (`status`, `problems`: what /healthz reports). What is served is made
from a loaded index by the caller (the web service makes an `Assistant`), so the keeper knows
nothing of answering.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Generic, TypeVar

from ..config import Settings
from ..encoders import Encoder, load_encoder
from .build import build_index
from .corpus import resolve_corpus, staleness
from .layout import IndexError_, current_build
from .load import IndexData, last_good_index, load_index
from .watch import BuildWatch

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


class IndexKeeper(Generic[T]):
    """Serves the last good build of one index directory and keeps it current and intact (see the module).

    open_index(index, encoder) makes what is served from a loaded index (encoder: the one a background
    build used, else None); prepare(served), when given, runs on a freshly built one before it is
    swapped in (a warm-up), in the build thread. served/index: something already being served.
    """

    def __init__(self, settings: Settings, open_index: Callable[[IndexData, Encoder | None], T] | None = None,
                 prepare: Callable[[T], None] | None = None, served: T | None = None,
                 index: IndexData | None = None) -> None:
        self.settings = settings
        self._open = open_index
        self._prepare = prepare
        self._current: tuple[T | None, IndexData | None] = (served, index)  # swapped with one assignment
        self._state = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pending: str | None = None  # a rebuild asked for while one runs
        self._build: dict[str, Any] = {"running": False, "reason": "", "stage": "", "done": 0, "total": 0,
                                       "started_at": None}
        self._last: dict[str, Any] = {"finished_at": None, "seconds": None, "error": None}
        self._moved = time.monotonic()  # when the running build last made progress
        self.stuck_after_s = 180.0  # a build with no progress for this long is reported as stuck
        self._damage: str | None = None  # damage found on disk in the served build (see check)
        self._watch: BuildWatch | None = None  # of the served build
        self._closing = threading.Event()

    @property
    def served(self) -> T | None:
        """What answers right now (None until the first build finishes)."""
        return self._current[0]

    @property
    def index(self) -> IndexData | None:
        """The loaded index being served (None until the first build finishes)."""
        return self._current[1]

    def start(self, on_served: Callable[[T], None] | None = None, watch_every_s: float = 2.0) -> None:
        """Serve the last intact build now; build, update or repair it in the background when needed; watch it.

        on_served(served) is called once a build serves, before any background build starts. When the
        report folder the index was built from is gone, what is built is served and never rebuilt.
        """
        if self._open is None:
            raise ValueError("an IndexKeeper that starts needs open_index")
        corpus_problem = None
        try:
            self.settings = resolve_corpus(self.settings)
        except IndexError_ as exc:  # the recorded report folder is gone: serve what is built, never rebuild
            corpus_problem = str(exc)
            logger.error("%s", exc)
        reason: str | None = "no usable index yet"
        data = last_good_index(self.settings.index_dir)  # the live build, or the one before it when that is damaged
        if data is not None:
            try:
                self._current = (self._open(data, None), data)
                logger.info("serving the index %s from %s", data.path.name, self.settings.index_dir)
            except ValueError as exc:  # built with another encoder
                logger.warning("cannot serve %s: %s", data.path.name, exc)
        served = self.served
        if served is not None and data is not None:
            reason = None
            if corpus_problem is None:
                damaged = data.path != current_build(self.settings.index_dir)
                reason = "the live index build is damaged; repairing it" if damaged else staleness(self.settings)
            if on_served is not None:
                on_served(served)
        if corpus_problem is not None:
            self._last["error"] = corpus_problem
        elif reason:
            self.rebuild(reason)
        self.watch(watch_every_s)

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

    def wait(self, timeout: float | None = None) -> bool:
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
        t0 = time.perf_counter()
        error = None
        try:
            if self._open is None:
                raise ValueError("nothing to serve a new build with (no open_index)")
            encoder = load_encoder(self.settings.model)
            # small batches: a question waits for the shared encoder at most one batch (not in the index signature)
            build_settings = self.settings.with_(embed_batch_size=min(8, self.settings.embed_batch_size))
            build_index(build_settings, encoder=encoder, progress=False, on_progress=self._progress)
            with self._state:
                self._build["stage"] = "loading"
            index = load_index(self.settings.index_dir)
            fresh = self._open(index, encoder)
            if self._prepare is not None:
                self._prepare(fresh)  # lazy loading happens here, not in a user's question
            self._current = (fresh, index)  # the swap: one reference assignment
            logger.info("now serving the index %s (%d reports) after %.1fs",
                        index.path.name, len(index.reports), time.perf_counter() - t0)
        except Exception as exc:  # keep serving the old index; say why in status()
            error = f"{type(exc).__name__}: {exc}"
            logger.exception("index build failed (%s); still serving the previous index", reason)
        with self._state:
            self._last.update(finished_at=_now(), seconds=round(time.perf_counter() - t0, 1), error=error)

    # ------------------------------------------------------------ damage

    def watch(self, every_s: float = 2.0) -> threading.Thread:
        """Check the served build on disk every few seconds in a daemon thread (a stat per file; a hash only
        of a file that changed): damage shows in `problems` and starts a repair, which reuses the vectors
        that still pass their checksums while the loaded index keeps answering."""
        def run() -> None:
            while not self._closing.wait(every_s):
                try:
                    self.check()
                except Exception:  # a watcher that dies silently would hide the next damage
                    logger.warning("checking the served index failed", exc_info=True)

        thread = threading.Thread(target=run, name="gwr-index-watch", daemon=True)
        thread.start()
        return thread

    def check(self) -> str | None:
        """Damage on disk to the served build now (None when intact); new damage starts a repair."""
        index = self.index
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

    # ------------------------------------------------------------ status

    def status(self) -> dict[str, Any]:
        """Index state for /healthz and the UI: what is served, and how far a running build is."""
        served, index = self._current
        with self._state:
            build = dict(self._build)
            last = dict(self._last)
        total = build["total"]
        build["percent"] = round(100.0 * build["done"] / total, 1) if total else 0.0
        if served is not None:
            state = "updating" if build["running"] else "ready"
        else:
            state = "building" if build["running"] else "unavailable"
        return {"state": state, "index": index.path.name if index is not None else None,
                "reports": len(index.reports) if index is not None else 0,
                "chunks": len(index.chunks) if index is not None else 0,
                "built_at": index.manifest.get("built_at") if index is not None else None,
                # "flat" (exact) or "hnsw" (approximate): chosen by the index's size (Settings.dense_index)
                "dense_index": index.manifest.get("dense_index", "flat") if index is not None else None,
                # graph entries of passages no longer indexed (a grown graph; see retriever/ann.py)
                "dense_masked": index.manifest.get("dense_masked", 0) if index is not None else None,
                "build": build, "last_build": last}

    def problems(self) -> list[str]:
        """Why the service is degraded though it answers: a stuck or failed build, files left out, damage on
        disk in the index being served (empty when all is well)."""
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
        index = self.index
        skipped = (index.manifest.get("skipped") or []) if index is not None else []
        return [{"rel_path": str(s.get("rel_path", "")), "reason": str(s.get("reason", ""))} for s in skipped
                if not str(s.get("reason", "")).endswith("(duplicate)")]

    def close(self) -> None:
        """Stop watching (a running build finishes in its daemon thread)."""
        self._closing.set()
