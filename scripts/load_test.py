#!/usr/bin/env python
"""Bounded load test of the web app's JSON API on loopback: N clients for T seconds against POST /api/ask.

    python scripts/load_test.py                          # starts `python app.py --port <free>` itself
    python scripts/load_test.py --clients 32 --duration 60 --index-dir var/loadtest/index
    python scripts/load_test.py --url http://127.0.0.1:7860 --server-pid 1234
    python scripts/load_test.py --fallback               # development only: a minimal FastAPI app instead

Each client loops: POST {question, history?, report?} and check the reply is an
Answer (JSON with "answer" and "citations"), until the deadline; requests are
bounded by --duration and --max-requests, and only loopback addresses are
accepted. Each client sends from its own loopback address (127.0.1.x), as
separate users would (--one-address: all from 127.0.0.1, which the server's
per-client limit then throttles); a 429/503 refusal is counted as "refused"
and the client waits its Retry-After, as a well-behaved client does. Reports throughput, latency p50/p95/p99/max, errors by kind, and the
server's resident memory (VmRSS/VmHWM from /proc/<pid>/status) before and after.
Not part of pytest.
"""
from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
EDGE_QUESTIONS = ["", "   ", "😀", "？？？", "東川區2025年地區生產總值是多少？", "What was Dongchuan's GDP in 2025?",
                  "东川区" * 200]


def _questions() -> list[dict[str, object]]:
    bodies: list[dict[str, object]] = []
    qa = ROOT / "eval" / "qa.jsonl"
    for line in qa.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            body: dict[str, object] = {"question": item["question"]}
            if item.get("history"):
                body["history"] = item["history"]
            bodies.append(body)
    bodies += [{"question": q} for q in EDGE_QUESTIONS]
    bodies.append({"question": "地区生产总值是多少？", "report": "dongchuan-2026-government-work-report"})
    return bodies


def _loopback_only(url: str) -> None:
    host = urlparse(url).hostname or ""
    try:
        addrs = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as exc:
        raise SystemExit(f"cannot resolve {host}: {exc}")
    if not addrs or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addrs):
        raise SystemExit(f"refusing to load-test {host} ({', '.join(sorted(addrs))}): loopback addresses only")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _memory(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of a process, in MB."""
    out: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                key = line.split(":")[0]
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


def _start_server(args: argparse.Namespace, port: int) -> subprocess.Popen[bytes]:
    if args.fallback:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--serve-fallback", "--port", str(port)]
    else:
        app = ROOT / "app.py"
        if not app.exists():
            raise SystemExit("app.py not found: pass --url of a running server, or --fallback (development only)")
        cmd = [sys.executable, str(app), "--host", "127.0.0.1", "--port", str(port)]
    for flag, value in (("--index-dir", args.index_dir), ("--corpus", args.corpus)):
        if value:
            cmd += [flag, str(value)]
    log = open(args.server_log, "wb") if args.server_log else subprocess.DEVNULL
    print(f"starting: {' '.join(cmd)}", flush=True)
    return subprocess.Popen(cmd, cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


async def _wait_ready(client, url: str, proc: subprocess.Popen[bytes] | None, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"the server exited with code {proc.returncode} before it was ready")
        try:
            r = await client.post(f"{url}/api/ask", json={"question": "东川区2025年地区生产总值是多少？"}, timeout=30)
            if r.status_code == 200:
                return
        except Exception:
            pass
        await asyncio.sleep(1.0)
    raise SystemExit(f"the server did not answer within {timeout:.0f} s")


async def _client(client, url: str, bodies: list[dict[str, object]], deadline: float, budget: list[int],  # type: ignore[no-untyped-def]
                  latencies: list[float], errors: Counter[str], seed: int, timeout: float,
                  refused: Counter[str] | None = None) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        body = rng.choice(bodies)
        t = time.perf_counter()
        try:
            r = await client.post(f"{url}/api/ask", json=body, timeout=timeout)
            elapsed = (time.perf_counter() - t) * 1000
            if r.status_code == 200:
                data = r.json()
                if not isinstance(data, dict) or "answer" not in data or "citations" not in data:
                    errors["bad body"] += 1
                    continue
            elif r.status_code in (413, 422) and _refused_by_design(body):
                pass  # the API refuses empty/over-long questions with a message: a correct reply, not an error
            elif r.status_code in (429, 503) and refused is not None:
                refused[str(r.status_code)] += 1  # shed by the server's queue: wait as told, then retry
                await asyncio.sleep(min(5.0, float(r.headers.get("retry-after", "1"))))
                continue
            else:
                errors[f"HTTP {r.status_code}"] += 1
                continue
            latencies.append(elapsed)
        except Exception as exc:  # timeouts, refused connections, broken JSON
            errors[type(exc).__name__] += 1


def _refused_by_design(body: dict[str, object]) -> bool:
    question = str(body.get("question", ""))
    return not question.strip() or len(question) > 500


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


async def run(args: argparse.Namespace) -> dict[str, object]:
    import httpx

    proc = None
    url = args.url.rstrip("/") if args.url else None
    if url is None:
        port = args.port or _free_port()
        url = f"http://127.0.0.1:{port}"
        proc = _start_server(args, port)
    _loopback_only(url)
    pid = proc.pid if proc is not None else args.server_pid
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    try:
        async with httpx.AsyncClient(limits=limits, trust_env=False) as client:
            t = time.monotonic()
            await _wait_ready(client, url, proc, args.startup_timeout)
            startup = time.monotonic() - t
            mem_before = _memory(pid) if pid else {}
            bodies = _questions()
            latencies: list[float] = []
            errors: Counter[str] = Counter()
            refused: Counter[str] = Counter()
            budget = [args.max_requests]
            started = time.monotonic()
            deadline = started + args.duration
            if args.one_address:
                users = [client] * args.clients
            else:  # one source address per simulated user, so the per-client limit sees separate users
                users = [httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address=f"127.0.1.{i % 250 + 1}"),
                                           trust_env=False) for i in range(args.clients)]
            try:
                await asyncio.gather(*(_client(users[i], url, bodies, deadline, budget, latencies, errors, i,
                                               args.timeout, refused) for i in range(args.clients)))
            finally:
                for user in users:
                    if user is not client:
                        await user.aclose()
            wall = time.monotonic() - started
            mem_after = _memory(pid) if pid else {}
    finally:
        if proc is not None:
            _stop(proc)
    done = len(latencies) + sum(errors.values())
    return {
        "url": url, "clients": args.clients, "duration_s": round(wall, 1), "startup_s": round(startup, 1),
        "requests": done + sum(refused.values()), "ok": len(latencies), "refused": dict(refused),
        "errors": dict(errors),
        "throughput_rps": round(len(latencies) / wall, 2) if wall else None,
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(_pct(latencies, 95), 1), "p99_ms": round(_pct(latencies, 99), 1),
        "max_ms": round(max(latencies), 1) if latencies else None,
        "server_pid": pid, "rss_before_mb": round(mem_before.get("VmRSS", float("nan")), 1),
        "rss_after_mb": round(mem_after.get("VmRSS", float("nan")), 1),
        "rss_peak_mb": round(mem_after.get("VmHWM", float("nan")), 1),
    }


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server this script started (its own process group), politely first."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def serve_fallback(port: int, index_dir: Path | None, corpus: Path | None) -> int:
    """Development stand-in for the web app: the same POST /api/ask contract, nothing else."""
    import uvicorn
    from fastapi import FastAPI, HTTPException
    from fastapi.concurrency import run_in_threadpool

    sys.path.insert(0, str(ROOT))
    from assistant.config import Settings
    from assistant.pipeline import Assistant

    assistant = Assistant(Settings().with_(index_dir=index_dir, corpus_dir=corpus))
    app = FastAPI()

    @app.post("/api/ask")
    async def ask(body: dict) -> dict:  # type: ignore[type-arg]
        question = body.get("question")
        if not isinstance(question, str) or not question.strip():
            raise HTTPException(422, "question is required")
        if len(question) > 500:
            raise HTTPException(413, "question too long")
        answer = await run_in_threadpool(assistant.ask, question, body.get("history"), body.get("report"))
        return answer.to_dict()

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=None, help="a running server (loopback only); default: start app.py")
    parser.add_argument("--server-pid", type=int, default=None, help="pid of the --url server, for memory figures")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--max-requests", type=int, default=100_000, help="stop after this many requests")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-request timeout, seconds")
    parser.add_argument("--startup-timeout", type=float, default=900.0,
                        help="seconds to wait for the server (a first start may build the index)")
    parser.add_argument("--index-dir", type=Path, default=None, help="passed to the server")
    parser.add_argument("--corpus", type=Path, default=None, help="passed to the server")
    parser.add_argument("--server-log", type=Path, default=None, help="write the server's output here")
    parser.add_argument("--fallback", action="store_true", help="development only: serve a minimal FastAPI app")
    parser.add_argument("--serve-fallback", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--one-address", action="store_true", help="all clients from 127.0.0.1")
    args = parser.parse_args(argv)
    if args.serve_fallback:
        return serve_fallback(args.port, args.index_dir, args.corpus)
    if args.clients < 1 or args.duration <= 0:
        parser.error("--clients and --duration must be positive")
    result = asyncio.run(run(args))
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    errors = sum(result["errors"].values()) if isinstance(result["errors"], dict) else 0
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
