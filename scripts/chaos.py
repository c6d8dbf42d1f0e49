#!/usr/bin/env python
"""Chaos run on loopback: start a fresh server, attack it one way after another, print what happened.

    python scripts/chaos.py                       # every attack, ~8 minutes
    python scripts/chaos.py --only crowd,login    # some of them (files, index, voters, hostile, damage: second server)
    python scripts/chaos.py --index-dir DIR       # reuse a built index (else the app's default, built if needed)

Every request goes to 127.0.0.x only (the server is started here, on 127.0.0.1), every attack is
bounded in count and time, and the script stops the server it started. While each attack runs, a
*control client* (from its own loopback address, 127.0.0.2) keeps asking real questions and checks
each answer against the one the idle server gave for the same question.

Printed per attack: status codes seen by the attacker; server RSS before / peak / after (MB); p50/p99
of the control client's answered questions; control answers lost (no answer, or a 5xx) and wrong (not
the idle answer); how long a question takes right after the attack ends. An attack is one small async
function in ATTACKS; add rows there. Not part of pytest; it asserts nothing.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

import httpx

ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "chaos", "chaos-pass-1"
AUTH = (USER, PASSWORD)
COLLEAGUE = ("zhang", "zhang-pass-2")  # a second account, used from the attacker's address
CONTROL_ADDR, BRUTE_ADDR, SLOW_ADDR = "127.0.0.2", "127.0.0.3", "127.0.0.4"
GDP_Q = "东川区2025年地区生产总值是多少？"
COMPARE_Q = "东川区和昆明市的地区生产总值分别是多少？"


def _basic_header(auth: tuple[str, str]) -> str:
    import base64

    return "Authorization: Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode() + "\r\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _questions() -> list[str]:
    out = []
    for line in (ROOT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            if not item.get("history"):
                out.append(item["question"])
    return out[:40]


@dataclass
class Ctx:
    """What an attack needs: where the server is, and a place for its status codes."""

    base: str
    host: str
    port: int
    pid: int
    statuses: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def client(self, local: str = "127.0.0.1", **kw: Any) -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(local_address=local,
                                             limits=httpx.Limits(max_connections=kw.pop("conns", 50)))
        return httpx.AsyncClient(base_url=self.base, transport=transport, auth=kw.pop("auth", AUTH),
                                 timeout=kw.pop("timeout", 10), **kw)


# ---------------------------------------------------------------- attacks

async def _impatient(ctx: Ctx, request: Awaitable[httpx.Response]) -> None:
    """One request of an impatient client: count its status (or its error); after a refusal or an error,
    wait 0.1 s before the next."""
    try:
        r = await request
        ctx.statuses[str(r.status_code)] += 1
        if r.status_code == 200:
            return
    except httpx.TimeoutException:
        ctx.statuses["timeout"] += 1
        return
    except httpx.HTTPError as exc:
        ctx.statuses[type(exc).__name__] += 1
    await asyncio.sleep(0.1)


async def crowd(ctx: Ctx, addresses: int = 1, clients: int = 200, seconds: float = 15.0) -> None:
    """`clients` impatient clients (2 s timeout, retry 0.1 s after a refusal) for `seconds`, from `addresses` IPs."""
    questions = _questions()
    deadline = time.monotonic() + seconds
    pools = [ctx.client(f"127.0.1.{i + 1}", timeout=2.0, conns=clients) for i in range(addresses)]

    async def one(n: int) -> None:
        c = pools[n % addresses]
        i = n
        while time.monotonic() < deadline:
            i += 1
            await _impatient(ctx, c.post("/api/ask", json={"question": questions[i % len(questions)]}))

    await asyncio.gather(*(one(n) for n in range(clients)))
    for c in pools:
        await c.aclose()


async def crowd_spread(ctx: Ctx) -> None:
    await crowd(ctx, addresses=50, clients=200, seconds=10.0)


async def _stream_body(ctx: Ctx, path: str, size: int, content_type: str = "application/json",
                       declared: bool = True, multipart: bool = False) -> str:
    """Sends up to `size` bytes of body over a raw socket, stopping as soon as the server answers."""
    reader, writer = await asyncio.open_connection(ctx.host, ctx.port)
    import base64

    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    boundary = "chaosboundary"
    head = [f"POST {path} HTTP/1.1", f"Host: {ctx.host}", f"Authorization: Basic {auth}"]
    if multipart:
        head.append(f"Content-Type: multipart/form-data; boundary={boundary}")
    else:
        head.append(f"Content-Type: {content_type}")
    head.append(f"Content-Length: {size}" if declared else "Transfer-Encoding: chunked")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
    chunk = b"[" * (1 << 20)
    sent = 0
    status = "no answer"
    try:
        while sent < size:
            piece = chunk[: min(len(chunk), size - sent)]
            writer.write(piece if declared else b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            sent += len(piece)
            try:
                line = await asyncio.wait_for(reader.readline(), timeout=0.001)
            except asyncio.TimeoutError:
                continue
            if line:
                status = line.split()[1].decode()
                break
        if status == "no answer":
            line = await asyncio.wait_for(reader.readline(), timeout=10)
            status = line.split()[1].decode() if line else "closed"
    except (ConnectionError, asyncio.TimeoutError, IndexError):
        status = status if status != "no answer" else "closed"
    finally:
        writer.close()
    ctx.notes.append(f"{path}: {status} after {sent / 1e6:.1f} MB sent")
    return status


async def huge_bodies(ctx: Ctx) -> None:
    """300 MB to /api/ask (declared, then chunked), 4 × 100 MB to Gradio's call route, 50 MB upload."""
    jobs = [_stream_body(ctx, "/api/ask", 300 << 20), _stream_body(ctx, "/api/ask", 300 << 20, declared=False)]
    jobs += [_stream_body(ctx, "/gradio_api/call/ask", 100 << 20, declared=d) for d in (True, False, True, False)]
    jobs += [_stream_body(ctx, "/gradio_api/queue/join", 100 << 20, declared=False)]
    jobs += [_stream_body(ctx, "/gradio_api/upload", 50 << 20, multipart=True),
             _stream_body(ctx, "/widget/gradio_api/upload", 50 << 20, multipart=True, declared=False)]
    for status in await asyncio.gather(*jobs):
        ctx.statuses[status] += 1


async def bad_json(ctx: Ctx) -> None:
    """Lone surrogates in question/report/history/feedback, 30,000 nested '[', on the API and Gradio's route."""
    s = '"\\ud800"'
    bodies = [
        ("/api/ask", '{"question": %s}' % s), ("/api/ask", '{"question": "%s", "report": %s}' % (GDP_Q, s)),
        ("/api/ask", '{"question": "%s", "history": [%s]}' % (GDP_Q, s)),
        ("/api/feedback", '{"question": %s, "vote": 1, "answer": {}}' % s),
        ("/api/ask", "[" * 30000), ("/api/ask", '{"question": ' + "[" * 30000 + "}"),
        ("/api/feedback", "[" * 30000),
        ("/gradio_api/call/ask", '{"data": [%s, [], null]}' % s), ("/gradio_api/call/ask", "[" * 30000),
    ]
    async with ctx.client() as c:
        for _ in range(20):
            for path, body in bodies:
                r = await c.post(path, content=body.encode(), headers={"content-type": "application/json"})
                ctx.statuses[str(r.status_code)] += 1


async def text_plain(ctx: Ctx) -> None:
    async with ctx.client() as c:
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "text/html") * 30:
            r = await c.post("/api/ask", content=json.dumps({"question": GDP_Q}).encode(),
                             headers={"content-type": ctype})
            ctx.statuses[str(r.status_code)] += 1


async def login(ctx: Ctx, tries: int = 2000, seconds: float = 15.0) -> None:
    """2,000 wrong passwords as fast as possible from one address, then the right one."""
    deadline = time.monotonic() + seconds
    async with ctx.client(BRUTE_ADDR, auth=None, conns=20) as c:
        async def guess(n: int) -> None:
            for i in range(n, tries, 20):
                if time.monotonic() > deadline:
                    return
                r = await c.get("/api/reports", auth=(USER, f"guess-{i}"))
                ctx.statuses[str(r.status_code)] += 1

        await asyncio.gather(*(guess(n) for n in range(20)))
        right = await c.get("/api/reports", auth=AUTH)
        ctx.statuses[f"right password→{right.status_code}"] += 1


async def _trickle(ctx: Ctx, conns: int, seconds: float, first: bytes, drip: Callable[[int], bytes | None]) -> None:
    """`conns` connections that send `first`, then `drip(i)` one piece a second (None: nothing left to send)
    until the server answers or closes; counts the status codes (or "closed by server", "held to the end")."""
    cut = Counter[str]()
    times: list[float] = []

    async def one() -> None:
        try:
            reader, writer = await asyncio.open_connection(ctx.host, ctx.port, local_addr=(SLOW_ADDR, 0))
        except OSError as exc:
            cut[type(exc).__name__] += 1
            return
        start = time.monotonic()
        try:
            writer.write(first)
            await writer.drain()
            i = 0
            while time.monotonic() - start < seconds:
                try:
                    line = await asyncio.wait_for(reader.readline(), timeout=1.0)
                except asyncio.TimeoutError:
                    piece = drip(i)
                    i += 1
                    if piece is None:
                        break
                    writer.write(piece)
                    await writer.drain()
                    continue
                cut[line.split(b" ")[1].decode() if line.startswith(b"HTTP/") else "closed by server"] += 1
                times.append(time.monotonic() - start)
                return
            cut["held to the end"] += 1
        except ConnectionError:
            cut["closed by server"] += 1
        finally:
            writer.close()

    await asyncio.gather(*(one() for _ in range(conns)))
    ctx.statuses.update(cut)
    if times:
        ctx.notes.append(f"cut after {min(times):.1f}–{max(times):.1f} s")


async def slow_headers(ctx: Ctx, conns: int = 1000, seconds: float = 15.0) -> None:
    """1,000 connections sending their headers one byte a second; how many does the server cut off?"""
    payload = f"GET /api/reports HTTP/1.1\r\nHost: {ctx.host}\r\nX-Slow: ".encode() + b"a" * 100
    await _trickle(ctx, conns, seconds, payload[:1], lambda i: payload[i + 1:i + 2] or None)


async def feedback_flood(ctx: Ctx, votes: int = 2000, seconds: float = 10.0) -> None:
    """Forged votes as fast as possible, with whatever /api/feedback requires today."""
    deadline = time.monotonic() + seconds
    async with ctx.client(conns=20) as c:
        async def voter(n: int) -> None:
            for i in range(n, votes, 20):
                if time.monotonic() > deadline:
                    return
                r = await c.post("/api/feedback", json={"question": f"伪造 {i}", "vote": -1,
                                                        "answer": {"answer": "x" * 1000}, "comment": "x" * 1900})
                ctx.statuses[str(r.status_code)] += 1

        await asyncio.gather(*(voter(n) for n in range(20)))


async def login_rotating(ctx: Ctx, tries: int = 600, seconds: float = 10.0) -> None:
    """Wrong passwords with a new forged X-Forwarded-For each time, then from 50 real addresses: the forged
    header buys no new tries, and the global budget bounds how many passwords are checked at all. A colleague
    (another account) logs in from the attacker's address meanwhile."""
    deadline = time.monotonic() + seconds
    checked = Counter[str]()
    async with ctx.client(BRUTE_ADDR, auth=None, conns=20) as c:
        async def forged(n: int) -> None:
            for i in range(n, tries, 20):
                if time.monotonic() > deadline:
                    return
                r = await c.get("/api/reports", auth=(USER, f"rot-{i}"),
                                headers={"x-forwarded-for": f"10.{i % 250}.{i // 250 % 250}.{i % 7 + 1}"})
                checked[f"forged XFF {r.status_code}"] += 1

        await asyncio.gather(*(forged(n) for n in range(20)))
        colleague = await c.get("/api/reports", auth=COLLEAGUE)
        checked[f"colleague from the attacker's address→{colleague.status_code}"] += 1
    pools = [ctx.client(f"127.0.3.{i + 1}", auth=None, conns=4) for i in range(50)]

    async def spread(n: int) -> None:
        c = pools[n]
        for i in range(12):
            r = await c.get("/api/reports", auth=(COLLEAGUE[0], f"spread-{n}-{i}"))
            checked[f"50 addresses {r.status_code}"] += 1

    await asyncio.gather(*(spread(n) for n in range(50)))
    for c in pools:
        await c.aclose()
    ctx.statuses.update(checked)
    ctx.notes.append("401 = a password actually checked; 429 = refused before checking")


async def compare_crowd(ctx: Ctx, clients: int = 60, seconds: float = 10.0) -> None:
    """Impatient clients (2 s) on the comparison and its CSV/XLSX downloads; then /healthz and the next comparison."""
    deadline = time.monotonic() + seconds
    routes = [("POST", "/api/compare"), ("GET", "/api/compare.csv"), ("GET", "/api/compare.xlsx")]
    async with ctx.client("127.0.4.1", timeout=2.0, conns=clients) as c:
        async def one(n: int) -> None:
            i = n
            while time.monotonic() < deadline:
                i += 1
                method, path = routes[i % len(routes)]
                await _impatient(ctx, c.post(path, json={"question": COMPARE_Q}) if method == "POST"
                                 else c.get(path, params={"question": COMPARE_Q}))

        await asyncio.gather(*(one(n) for n in range(clients)))
    async with ctx.client(CONTROL_ADDR, timeout=30) as c:
        queue = (await c.get("/healthz")).json().get("queue", {})
        ctx.notes.append(f"/healthz right after: running {queue.get('running_by_kind')}, waiting {queue.get('waiting')}, "
                         f"stopped so far {queue.get('stopped')}")
        for _ in range(20):  # work for the clients that left is stopped, not finished
            queue = (await c.get("/healthz")).json().get("queue", {})
            if not queue.get("running") and not queue.get("waiting"):
                break
            await asyncio.sleep(0.25)
        t = time.perf_counter()
        r = await c.post("/api/compare", json={"question": COMPARE_Q})
        ctx.notes.append(f"next comparison: HTTP {r.status_code} in {time.perf_counter() - t:.2f} s")


async def slow_bodies(ctx: Ctx, conns: int = 500, seconds: float = 20.0) -> None:
    """Connections that declare a 1,000-byte body and send one byte a second: cut with 408 after the body timeout."""
    head = (f"POST /api/ask HTTP/1.1\r\nHost: {ctx.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: 1000\r\n{_basic_header(AUTH)}\r\n").encode()
    await _trickle(ctx, conns, seconds, head + b'{"question": "', lambda i: b"x")


async def huge_digits(ctx: Ctx) -> None:
    """5,001-digit numbers and lone surrogates in the JSON of every POST route."""
    digits = "9" * 5001
    bodies = ['{"question": %s}' % digits, '{"question": "%s", "history": [%s]}' % (GDP_Q, digits),
              '{"answer_id": %s, "vote": %s}' % (digits, digits), '{"turns": [{"question": %s}]}' % digits,
              '{"question": "%s", "reports": [%s], "level": %s}' % (COMPARE_Q, digits, digits),
              '{"question": "\\ud800", "turns": [{"question": "\\udfff"}]}', '{"question": -%s.5e99999}' % digits]
    paths = ["/api/ask", "/api/feedback", "/api/compare", "/api/export.md", "/api/export.docx"]
    async with ctx.client(timeout=30) as c:
        for path in paths:
            for body in bodies:
                r = await c.post(path, content=body.encode(), headers={"content-type": "application/json"})
                ctx.statuses[str(r.status_code)] += 1
                if r.status_code >= 500 and r.status_code != 503:
                    ctx.notes.append(f"{path}: {r.status_code} for {body[:40]}")


async def gradio_malformed(ctx: Ctx) -> None:
    """Every named Gradio endpoint called with lone surrogates, numbers for strings, history=5, huge values."""
    values: list[Any] = ["\ud800是多少？", 5, None, [], {"a": 1}, ["\udfff"], "x" * 5001, True, -1e308, [[1, 2]]]
    async with ctx.client(timeout=30) as c:
        info = (await c.get("/gradio_api/info")).json()
        names = [n.lstrip("/") for n in (info.get("named_endpoints") or {})]
        ctx.notes.append(f"endpoints: {', '.join(names)}")
        for name in names:
            arity = len(info["named_endpoints"]["/" + name].get("parameters", [])) or 3
            for i, v in enumerate(values):
                data = [values[(i + j) % len(values)] if j else v for j in range(arity)]
                body = json.dumps({"data": data})  # lone surrogates escaped as a browser would
                r = await c.post(f"/gradio_api/call/{name}", content=body, headers={"content-type": "application/json"})
                if r.status_code != 200:
                    ctx.statuses[f"POST {r.status_code}"] += 1
                    continue
                stream = await c.get(f"/gradio_api/call/{name}/{r.json()['event_id']}")
                event = next((ln[7:] for ln in stream.text.splitlines() if ln.startswith("event: ")), "?")
                ctx.statuses[f"{stream.status_code} {event}"] += 1


# ---------------------------------------------------------------- attacks on the corpus and the index
# These start a second server of their own on a copy of the bundled corpus, as an operator's restart
# would after files were dropped into corpus/ or the index was damaged; its control client asks while
# it starts, builds in the background and swaps.

def _env2() -> dict[str, str]:
    """The second server's environment: no login, one thread, and the project's embedding cache (saves time only)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.pop("GWR_AUTH", None)
    cache = ROOT / "index" / "built" / "embeddings.sqlite3"
    if "GWR_EMBEDDING_CACHE" not in env and cache.exists():
        env["GWR_EMBEDDING_CACHE"] = str(cache)
    return env


async def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    """A command in a thread, so the control client keeps asking meanwhile."""
    return await asyncio.to_thread(subprocess.run, cmd, cwd=ROOT, capture_output=True, timeout=600, env=_env2())


async def _second_server(corpus: Path, index_dir: Path, tmp: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    cmd = [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port), "--corpus", str(corpus),
           "--index-dir", str(index_dir), "--feedback", str(tmp / "fb2.sqlite3"), "--log-level", "warning"]
    log = open(tmp / "server2.log", "ab")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=_env2(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, f"http://127.0.0.1:{port}"


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


async def _watch_second(ctx: Ctx, base: str, proc: subprocess.Popen, seconds: float,
                        done: Callable[[dict], bool]) -> dict:
    """Ask the second server while it starts and builds: time to listen, answers, /healthz until `done`."""
    t0 = time.monotonic()
    listening = None
    health: dict = {}
    async with httpx.AsyncClient(base_url=base, timeout=10) as c:
        while time.monotonic() - t0 < seconds:
            try:
                r = await c.post("/api/ask", json={"question": GDP_Q})
                listening = listening or time.monotonic() - t0
                ctx.statuses[f"ask {r.status_code}"] += 1
                health = (await c.get("/healthz")).json()
                if done(health):
                    break
            except httpx.HTTPError:
                if listening:
                    ctx.statuses["ask error"] += 1
            await asyncio.sleep(0.5)
    ctx.notes.append(f"second server listening after {listening or -1:.1f} s; index state: "
                     f"{(health.get('index_state') or {}).get('state', '?')}")
    return health


def _bundled_copy(prefix: str) -> tuple[Path, Path, Path]:
    """A temp folder with a copy of the bundled corpus: (folder, corpus, index dir to be)."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    corpus, index_dir = tmp / "corpus", tmp / "index"
    corpus.mkdir()
    for p in (ROOT / "corpus").iterdir():
        (corpus / p.name).write_bytes(p.read_bytes())
    return tmp, corpus, index_dir


async def untrusted_files(ctx: Ctx) -> None:
    """A link out of the corpus to a secret file, a GBK copy under another name, a 74 MB file; then a restart."""
    tmp, corpus, index_dir = _bundled_copy("gwr-chaos-corpus-")
    secret = tmp / "secret.txt"
    secret.write_text("机密口令：天王盖地虎。2025年地区生产总值是多少保密。\n", encoding="utf-8")
    (corpus / "leak.txt").symlink_to(secret)
    dongchuan = next(p for p in corpus.glob("*dongchuan*.txt"))
    (corpus / "copy-gbk.txt").write_bytes(dongchuan.read_text(encoding="utf-8").encode("gb18030"))
    (corpus / "huge.txt").write_bytes(("各位代表：" + "政府工作" * 40).encode("utf-8") * 150_000)
    proc, base = await _second_server(corpus, index_dir, tmp)
    try:
        health = await _watch_second(ctx, base, proc, 120, lambda h: (h.get("index_state") or {}).get("state") == "ready")
        async with httpx.AsyncClient(base_url=base, timeout=10) as c:
            reports = (await c.get("/api/reports")).json().get("reports", [])
            ids = [r.get("id") for r in reports]
            view = await c.get("/view", params={"report": "leak", "start": 0, "end": 10})
            ask = (await c.post("/api/ask", json={"question": "机密口令是什么？"})).json()
        leaked = "天王盖地虎" in json.dumps(ask, ensure_ascii=False) or "天王盖地虎" in view.text
        ctx.statuses[f"reports {len(ids)}"] += 1
        ctx.statuses["secret leaked" if leaked else "secret not served"] += 1
        ctx.notes.append(f"reports indexed: {', '.join(ids)} (state {(health.get('index_state') or {}).get('state')}); "
                         f"/view of the link: {view.status_code}")
    finally:
        _stop(proc)


async def corrupt_index(ctx: Ctx) -> None:
    """Bytes flipped in the live build's vectors and chunks, then a restart: serve the intact build, repair."""
    tmp, corpus, index_dir = _bundled_copy("gwr-chaos-index-")
    build = await _run([sys.executable, "-m", "index", "build", "--corpus", str(corpus), "--index-dir", str(index_dir)])
    ctx.notes.append(f"first build exit {build.returncode}")
    # a second build after a change, so an intact earlier build exists beside the live one
    (corpus / "note.txt").write_text("各位代表：\n一、2025年工作回顾\n本报告用于测试。\n", encoding="utf-8")
    await _run([sys.executable, "-m", "index", "build", "--index-dir", str(index_dir)])
    live = index_dir / (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    for name in ("vectors.npy", "chunks.jsonl"):
        data = bytearray((live / name).read_bytes())
        for i in range(len(data) // 2, len(data) // 2 + 64):
            data[i] ^= 0xFF
        (live / name).write_bytes(bytes(data))
    status = await _run([sys.executable, "-m", "index", "status", "--index-dir", str(index_dir)])
    ctx.statuses[f"status exit {status.returncode}"] += 1
    proc, base = await _second_server(corpus, index_dir, tmp)
    try:
        health = await _watch_second(ctx, base, proc, 90,
                                     lambda h: (h.get("index_state") or {}).get("state") == "ready")
        ctx.notes.append(f"served {health.get('index')} while repairing")
    finally:
        _stop(proc)


async def _built_copy(ctx: Ctx, prefix: str) -> tuple[Path, Path, Path]:
    """A copy of the bundled corpus with its index built (by the CLI; the project's embedding cache makes it quick)."""
    tmp, corpus, index_dir = _bundled_copy(prefix)
    build = await _run([sys.executable, "-m", "index", "build", "--corpus", str(corpus), "--index-dir", str(index_dir)])
    if build.returncode != 0:
        ctx.notes.append(f"build of the copy failed: {build.stderr.decode(errors='replace')[-300:]}")
    return tmp, corpus, index_dir


async def _until(base: str, ok: Callable[[dict], bool], seconds: float) -> tuple[float | None, dict]:
    """Seconds until /healthz satisfies `ok` (None if it never did), and the last /healthz."""
    t0 = time.monotonic()
    health: dict = {}
    async with httpx.AsyncClient(base_url=base, timeout=5) as c:
        while time.monotonic() - t0 < seconds:
            try:
                health = (await c.get("/healthz")).json()
                if ok(health):
                    return time.monotonic() - t0, health
            except (httpx.HTTPError, ValueError):
                pass
            await asyncio.sleep(0.25)
    return None, health


async def _asker(base: str, stop: asyncio.Event, out: list[tuple[float, int]]) -> None:
    """A user asking the second server every 0.5 s: (seconds, status) per question."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        while not stop.is_set():
            t = time.perf_counter()
            try:
                status = (await c.post("/api/ask", json={"question": GDP_Q})).status_code
            except httpx.HTTPError:
                status = 0
            out.append((time.perf_counter() - t, status))
            await asyncio.sleep(0.5)


def _answered(asked: list[tuple[float, int]]) -> str:
    ok = [t for t, s in asked if s == 200]
    return (f"{len(ok)}/{len(asked)} questions answered, slowest {max(ok, default=0):.2f} s, "
            f"statuses {dict(Counter(s for _, s in asked))}")


async def forged_voters(ctx: Ctx, votes: int = 600) -> None:
    """Login off: votes on one answer with a new X-Forwarded-For and a new Basic user name each time."""
    import base64

    tmp, corpus, index_dir = await _built_copy(ctx, "gwr-chaos-votes-")
    proc, base = await _second_server(corpus, index_dir, tmp)
    try:
        await _until(base, lambda h: h.get("status") in ("ok", "degraded"), 120)
        async with httpx.AsyncClient(base_url=base, timeout=10) as c:
            answer_id = (await c.post("/api/ask", json={"question": GDP_Q})).json()["answer_id"]
            stored = 0
            for i in range(votes):
                user = base64.b64encode(f"voter{i}:x".encode()).decode()
                r = await c.post("/api/feedback", json={"answer_id": answer_id, "vote": -1},
                                 headers={"x-forwarded-for": f"10.0.{i // 250}.{i % 250 + 1}",
                                          "authorization": f"Basic {user}"})
                ctx.statuses[str(r.status_code)] += 1
                stored += r.status_code == 201
        ctx.notes.append(f"votes counted on the answer: {stored} of {votes} forged voters")
    finally:
        _stop(proc)


def _build_finished(health: dict) -> bool:
    """The server's build (started at its launch) has run and finished, failed or not."""
    state = health.get("build") or {}
    return bool((state.get("last_build") or {}).get("finished_at")) and not (state.get("build") or {}).get("running")


async def hostile_files(ctx: Ctx) -> None:
    """A 41,000-character report without headings and .docx files inflating to 8 MB and 100 MB dropped beside
    an indexed corpus, then a restart: answers from the last good index at once, bounded memory, /healthz says."""
    sys.path.insert(0, str(ROOT / "tests"))
    from hostile_files import inflating_docx, no_heading_text

    tmp, corpus, index_dir = await _built_copy(ctx, "gwr-chaos-hostile-")
    (corpus / "no-headings.txt").write_text(no_heading_text(41_000, kind="sentences"), encoding="utf-8")
    inflating_docx(corpus / "inflates-8mb.docx", 8_000_000)
    inflating_docx(corpus / "inflates-100mb.docx", 100_000_000)
    proc, base = await _second_server(corpus, index_dir, tmp)
    rss: list[float] = []
    stop_rss = threading.Event()
    sampler = threading.Thread(target=_sample_rss, args=(proc.pid, stop_rss, rss), daemon=True)
    sampler.start()
    asked: list[tuple[float, int]] = []
    stop = asyncio.Event()
    t0 = time.monotonic()
    try:
        first, _ = await _until(base, lambda h: bool(h.get("index")), 120)
        asker = asyncio.ensure_future(_asker(base, stop, asked))
        done, health = await _until(base, _build_finished, 300)
        stop.set()
        await asker
        ctx.notes.append(f"second server answering {first or -1:.1f} s after start; build done after "
                         f"{done if done is None else round(time.monotonic() - t0, 1)} s; {_answered(asked)}")
        ctx.notes.append(f"second server peak RSS {max(rss or [0]):.0f} MB; /healthz {health.get('status')}: "
                         + "; ".join(health.get("problems") or [])[:400])
        ctx.statuses[f"healthz {health.get('status')}"] += 1
    finally:
        stop_rss.set()
        _stop(proc)


async def live_damage(ctx: Ctx) -> None:
    """Bytes flipped in the served build while the server runs: seconds until /healthz is degraded, until the
    repair is served, and the questions asked meanwhile."""
    tmp, corpus, index_dir = await _built_copy(ctx, "gwr-chaos-live-")
    proc, base = await _second_server(corpus, index_dir, tmp)
    asked: list[tuple[float, int]] = []
    stop = asyncio.Event()
    try:
        await _until(base, lambda h: h.get("status") == "ok", 120)
        asker = asyncio.ensure_future(_asker(base, stop, asked))
        live = index_dir / (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
        data = bytearray((live / "chunks.jsonl").read_bytes())
        for i in range(len(data) // 2, len(data) // 2 + 64):
            data[i] ^= 0xFF
        (live / "chunks.jsonl").write_bytes(bytes(data))
        noticed, health = await _until(base, lambda h: h.get("status") == "degraded", 30)
        why = "; ".join(health.get("problems") or [])[:200]
        repaired, health = await _until(base, lambda h: h.get("status") == "ok" and h.get("index") != live.name, 150)
        stop.set()
        await asker
        ctx.notes.append(f"degraded after {noticed if noticed is None else round(noticed, 1)} s ({why}); repaired and "
                         f"served after {repaired if repaired is None else round(repaired, 1)} s more; {_answered(asked)}")
        ctx.statuses[f"healthz {health.get('status')}"] += 1
    finally:
        _stop(proc)


#: attacks that build and restart a second server on a new report take longer than the others' 150 s
LONG_ATTACKS: dict[Callable[[Ctx], Awaitable[None]], int] = {hostile_files: 420}

ATTACKS: list[tuple[str, Callable[[Ctx], Awaitable[None]]]] = [
    ("crowd 200×2s×15s, one address", crowd),
    ("crowd 200×2s×10s, 50 addresses", crowd_spread),
    ("huge bodies (API, Gradio, upload)", huge_bodies),
    ("surrogates + deep nesting", bad_json),
    ("text/plain bodies", text_plain),
    ("login brute force", login),
    ("slow headers ×1000", slow_headers),
    ("feedback flood", feedback_flood),
    ("untrusted corpus files + restart", untrusted_files),
    ("corrupt index + restart", corrupt_index),
    ("login, forged XFF and 50 addresses", login_rotating),
    ("comparison crowd 60×2s×10s", compare_crowd),
    ("slow bodies ×500", slow_bodies),
    ("5,001-digit numbers, every POST", huge_digits),
    ("Gradio endpoints, malformed values", gradio_malformed),
    ("forged voters, login off", forged_voters),
    ("hostile report files + restart", hostile_files),
    ("live index damage", live_damage),
]
KEYS = {"crowd": 0, "spread": 1, "bodies": 2, "json": 3, "plain": 4, "login": 5, "slow": 6, "feedback": 7,
        "files": 8, "index": 9, "rotating": 10, "compare": 11, "slowbody": 12, "digits": 13, "gradio": 14,
        "voters": 15, "hostile": 16, "damage": 17}


# ---------------------------------------------------------------- control client and measurements

class Control:
    """Asks real questions from its own address during an attack; compares with the idle answers."""

    def __init__(self, ctx: Ctx, expected: dict[str, str]) -> None:
        self.ctx, self.expected = ctx, expected
        self.latencies: list[float] = []
        self.lost = self.wrong = self.refused = 0
        self.stop = asyncio.Event()

    async def run(self) -> None:
        questions = list(self.expected)
        async with self.ctx.client(CONTROL_ADDR, timeout=10) as c:
            i = 0
            while not self.stop.is_set():
                q = questions[i % len(questions)]
                i += 1
                t = time.perf_counter()
                try:
                    r = await c.post("/api/ask", json={"question": q})
                except httpx.HTTPError as exc:
                    self.lost += 1
                    self.ctx.notes.append(f"control: {type(exc).__name__} after {time.perf_counter() - t:.1f} s")
                    continue
                if r.status_code in (429, 503):
                    self.refused += 1
                    await asyncio.sleep(float(r.headers.get("retry-after", "1")))
                    continue
                if r.status_code != 200:
                    self.lost += 1
                    self.ctx.notes.append(f"control: HTTP {r.status_code}")
                    continue
                self.latencies.append((time.perf_counter() - t) * 1000)
                if r.json().get("answer") != self.expected[q]:
                    self.wrong += 1
                await asyncio.sleep(0.2)


def _sample_rss(pid: int, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        out.append(_rss_mb(pid))
        stop.wait(0.1)


async def run_attack(ctx: Ctx, name: str, fn: Callable[[Ctx], Awaitable[None]], expected: dict[str, str]) -> dict:
    ctx.statuses, ctx.notes = Counter(), []
    before = _rss_mb(ctx.pid)
    samples: list[float] = []
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_rss, args=(ctx.pid, stop, samples), daemon=True)
    sampler.start()
    control = Control(ctx, expected)
    control_task = asyncio.ensure_future(control.run())
    t = time.monotonic()
    try:
        await asyncio.wait_for(fn(ctx), timeout=LONG_ATTACKS.get(fn, 150))
    except asyncio.TimeoutError:
        ctx.statuses[f"attack cut at {LONG_ATTACKS.get(fn, 150)} s"] += 1
    took = time.monotonic() - t
    control.stop.set()
    await control_task
    async with ctx.client(CONTROL_ADDR, timeout=30) as c:  # the crowd has left: how soon is a question answered?
        t1 = time.perf_counter()
        r = await c.post("/api/ask", json={"question": GDP_Q})
        after_ms = (time.perf_counter() - t1) * 1000
        after_ok = r.status_code == 200
    await asyncio.sleep(1.0)
    stop.set()
    sampler.join()
    return {"attack": name, "seconds": took, "statuses": dict(ctx.statuses), "notes": list(ctx.notes),
            "rss_before": before, "rss_peak": max(samples or [before]), "rss_after": _rss_mb(ctx.pid),
            "control_n": len(control.latencies), "control_p50": _pct(control.latencies, 0.5),
            "control_p99": _pct(control.latencies, 0.99), "refused": control.refused,
            "lost": control.lost, "wrong": control.wrong, "after_ms": after_ms, "after_ok": after_ok}


def _print(rows: list[dict]) -> None:
    print()
    print(f"{'attack':36s} {'status codes':44s} {'RSS MB before/peak/after':>25s} "
          f"{'control p50/p99 ms (n, refused)':>32s} {'lost':>4s} {'wrong':>5s} {'next q':>8s}")
    for r in rows:
        codes = ", ".join(f"{k}:{v}" for k, v in sorted(r["statuses"].items(), key=lambda kv: -kv[1]))
        rss = f"{r['rss_before']:.0f}/{r['rss_peak']:.0f}/{r['rss_after']:.0f}"
        ctl = f"{r['control_p50']:.0f}/{r['control_p99']:.0f} ({r['control_n']}, {r['refused']})"
        nxt = f"{r['after_ms']:.0f} ms" + ("" if r["after_ok"] else "!")
        print(f"{r['attack']:36s} {codes[:44]:44s} {rss:>25s} {ctl:>32s} {r['lost']:>4d} {r['wrong']:>5d} {nxt:>8s}")
        if len(codes) > 44:
            print(f"{'':36s} {codes[44:]}")
        for note in r["notes"]:
            print(f"{'':38s}{note}")
    worst = max(r["rss_peak"] for r in rows)
    fives = sum(v for r in rows for k, v in r["statuses"].items()
                if any(code.startswith("5") and code != "503" for code in re.findall(r"(?<![\d.])\d{3}(?![\d.])", k)))
    print(f"\npeak RSS {worst:.0f} MB; 5xx other than 503: {fives}; control answers lost "
          f"{sum(r['lost'] for r in rows)}, wrong {sum(r['wrong'] for r in rows)}; "
          f"worst control p99 {max(r['control_p99'] for r in rows):.0f} ms; "
          f"slowest next question {max(r['after_ms'] for r in rows):.0f} ms")


async def main_async(args: argparse.Namespace) -> int:
    port = _free_port()
    tmp = Path(tempfile.mkdtemp(prefix="gwr-chaos-"))
    cmd = [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port),
           "--feedback", str(tmp / "feedback.sqlite3"), "--log-level", "warning"]
    if args.index_dir:
        cmd += ["--index-dir", str(args.index_dir)]
    env = {**os.environ, "GWR_AUTH": f"{USER}:{PASSWORD},{COLLEAGUE[0]}:{COLLEAGUE[1]}", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    log = open(tmp / "server.log", "wb")
    print(f"starting server on 127.0.0.1:{port} (log: {tmp / 'server.log'})", flush=True)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        ctx = Ctx(base=base, host="127.0.0.1", port=port, pid=proc.pid)
        deadline = time.monotonic() + 300
        async with ctx.client(CONTROL_ADDR, timeout=30) as c:
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the server did not come up; see its log")
                try:
                    if (await c.post("/api/ask", json={"question": GDP_Q})).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(1)
            expected = {}
            for q in _questions()[:12]:
                expected[q] = (await c.post("/api/ask", json={"question": q})).json().get("answer")
        print(f"server up, RSS {_rss_mb(proc.pid):.0f} MB; idle answers recorded for {len(expected)} questions",
              flush=True)
        chosen = ATTACKS if not args.only else [ATTACKS[KEYS[k]] for k in args.only.split(",")]
        rows = []
        for name, fn in chosen:
            print(f"attack: {name} ...", flush=True)
            rows.append(await run_attack(ctx, name, fn, expected))
            await asyncio.sleep(1)
        _print(rows)
        async with ctx.client(CONTROL_ADDR) as c:
            health = (await c.get("/healthz")).json()
        print(f"/healthz queue after the run: {json.dumps(health.get('queue'), ensure_ascii=False)}")
        if args.json:
            Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        errors = [line for line in (tmp / "server.log").read_text(errors="replace").splitlines()
                  if "Traceback" in line or " ERROR " in line]
        print(f"server log: {len(errors)} error lines")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--index-dir", type=Path, default=None)
    p.add_argument("--only", default="", help="comma-separated: " + ",".join(KEYS))
    p.add_argument("--json", default="", help="also write the rows as JSON here")
    return asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
