"""A bounded, deadline-aware queue in front of `Assistant.ask`.

Answers are CPU-bound and effectively run one at a time (the encoder holds a
lock), so a crowd cannot be served faster by accepting more of it: unbounded
waiting only makes every answer late and keeps computing answers for clients
that have long gone. This queue admits at most `slots` running jobs plus
`max_waiting` waiting ones, and at most `per_client` jobs from any one client
address; past that a request is refused at once (the API turns that into
503/429 with Retry-After). Free slots go round-robin over the clients that
are waiting, so a client with one question waits behind at most one question
of each other client, not behind a noisy client's whole backlog. A waiting job
is dropped when its deadline passes or when its caller is cancelled (the HTTP
client disconnected), so no work is done for nobody.

Every expensive route goes through the same queue — questions, comparisons (page,
API and downloads), exports and the report view, from our API and from Gradio's
handlers alike — so one kind of request cannot starve the others or escape the
limits. A job that can stop part-way (a comparison asks one report after another)
takes a `threading.Event`: it is set when the client leaves while the job runs or
when the job outlives `run_timeout_s`, and the job stops at its next check.
"""
from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import Counter, deque
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class QueueLimits:
    """How much waiting the server accepts; the defaults suit one process on a small machine."""

    slots: int = 1  # answers computed at once (the encoder is serialised anyway)
    max_waiting: int = 16  # queued beyond the running ones; ~0.5 s of work at ~30 answers/s
    per_client: int = 4  # running + waiting per client address: one noisy client cannot fill the queue
    wait_timeout_s: float = 5.0  # a job not started within this is dropped (its client would give up anyway)
    # also shed when the predicted wait (jobs ahead × recent time per job) exceeds this: on a slow or busy
    # machine a count of waiting jobs alone would let the wait, and so p99, grow with the crowd
    target_wait_s: float = 1.5
    run_timeout_s: float = 30.0  # a stoppable job (a comparison) running longer than this is told to stop


class Overloaded(Exception):
    """Refused without queueing. `scope` is "server" (queue full) or "client" (this client has too many)."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(scope)
        self.scope, self.retry_after = scope, retry_after


class DeadlineExceeded(Exception):
    """The job waited past its deadline and was dropped without being computed."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("deadline")
        self.retry_after = retry_after


class AskQueue:
    """Admission control + FIFO slots on an executor. All methods run on the event loop (no locks needed)."""

    def __init__(self, executor: Executor, limits: QueueLimits | None = None) -> None:
        self.executor = executor
        self.limits = limits or QueueLimits()
        self._free = max(1, self.limits.slots)
        self._lanes: dict[str, deque[asyncio.Future[None]]] = {}  # waiting jobs per client, FIFO within a client
        self._turns: deque[str] = deque()  # clients with waiting jobs, in round-robin order
        self.waiting = 0
        self.running = 0
        self._per_client: Counter[str] = Counter()
        self.counters: Counter[str] = Counter()  # done, shed, client_limited, expired, dropped, abandoned, stopped
        self.kinds: Counter[str] = Counter()  # jobs done per kind (ask, compare, export, view)
        self.running_kinds: Counter[str] = Counter()
        self._recent_s = 1 / 30  # moving average of one job's run time, for Retry-After

    async def _acquire(self, lane: str, timeout: float) -> None:
        """Wait for a slot, taking turns with the other clients' lanes."""
        if self._free > 0 and not self._turns:
            self._free -= 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if lane not in self._lanes:
            self._lanes[lane] = deque()
            self._turns.append(lane)
        self._lanes[lane].append(turn)
        try:
            await asyncio.wait_for(turn, timeout=timeout)
        except BaseException:
            if turn.done() and not turn.cancelled():
                self._release()  # the slot was handed over just as we gave up: pass it on
            raise

    def _release(self) -> None:
        """Hand the freed slot to the next lane's oldest live job, or keep it free."""
        while self._turns:
            lane = self._turns.popleft()
            jobs = self._lanes[lane]
            while jobs and jobs[0].done():  # cancelled (deadline or client gone) while waiting
                jobs.popleft()
            if not jobs:
                del self._lanes[lane]
                continue
            turn = jobs.popleft()
            if jobs:
                self._turns.append(lane)  # back of the round
            else:
                del self._lanes[lane]
            turn.set_result(None)
            return
        self._free += 1

    def predicted_wait_s(self) -> float:
        """How long a job queued now would likely wait for its turn."""
        return (self.waiting + self.running) * self._recent_s / max(1, self.limits.slots)

    def retry_after(self) -> int:
        """Seconds until the queue has likely drained enough to take a new job (at least 1)."""
        return max(1, math.ceil(self.predicted_wait_s()))

    async def run(self, fn: Callable[[], T], client: str | None = None, kind: str = "ask",
                  stop: threading.Event | None = None) -> T:
        """Run `fn` on the executor once a slot is free; raises Overloaded or DeadlineExceeded instead of waiting long.

        `stop`, when given, is set if the caller is cancelled while `fn` runs or `fn` outlives `run_timeout_s`;
        `fn` is expected to check it and give up (whatever it raises then is passed on).
        """
        limits = self.limits
        if client is not None and self._per_client[client] >= limits.per_client:
            self.counters["client_limited"] += 1
            raise Overloaded("client", self.retry_after())
        if self.waiting >= limits.max_waiting or (self.waiting and self.predicted_wait_s() > limits.target_wait_s):
            self.counters["shed"] += 1
            raise Overloaded("server", self.retry_after())
        if client is not None:
            self._per_client[client] += 1
        try:
            self.waiting += 1
            try:
                await self._acquire(client or "", limits.wait_timeout_s)
            except asyncio.TimeoutError:
                self.counters["expired"] += 1
                raise DeadlineExceeded(self.retry_after()) from None
            except asyncio.CancelledError:
                self.counters["dropped"] += 1  # the client went away while waiting: nothing computed
                raise
            finally:
                self.waiting -= 1
            self.running += 1
            self.running_kinds[kind] += 1
            started = time.perf_counter()
            loop = asyncio.get_running_loop()
            timer = loop.call_later(limits.run_timeout_s, stop.set) if stop is not None else None

            def finished(_: object = None) -> None:
                self.running -= 1
                self.running_kinds[kind] -= 1
                if timer is not None:
                    timer.cancel()
                    if stop.is_set():  # type: ignore[union-attr]
                        self.counters["stopped"] += 1
                self._release()
                self._recent_s = 0.8 * self._recent_s + 0.2 * (time.perf_counter() - started)

            future = loop.run_in_executor(self.executor, fn)
            try:
                result = await asyncio.shield(future)
            except asyncio.CancelledError:
                # a thread cannot be killed: a stoppable job is told to stop; either way the slot is kept
                # until the thread returns, so jobs stay one at a time
                self.counters["abandoned"] += 1
                if stop is not None:
                    stop.set()
                future.add_done_callback(finished)
                raise
            except BaseException:
                finished()
                raise
            finished()
            self.counters["done"] += 1
            self.kinds[kind] += 1
            return result
        finally:
            if client is not None:
                self._per_client[client] -= 1
                if self._per_client[client] <= 0:
                    del self._per_client[client]

    def stats(self) -> dict[str, Any]:
        """What /healthz reports about the queue."""
        return {"waiting": self.waiting, "running": self.running, "max_waiting": self.limits.max_waiting,
                "slots": self.limits.slots, "per_client": self.limits.per_client,
                "wait_timeout_s": self.limits.wait_timeout_s, "target_wait_s": self.limits.target_wait_s,
                "run_timeout_s": self.limits.run_timeout_s,
                "predicted_wait_s": round(self.predicted_wait_s(), 3), **{k: self.counters[k] for k in
                ("done", "shed", "client_limited", "expired", "dropped", "abandoned", "stopped")},
                "running_by_kind": {k: v for k, v in self.running_kinds.items() if v},
                "done_by_kind": dict(self.kinds)}
