"""Helpers for the web tests: free ports, a server in a thread, a tiny reverse proxy, headless Chromium,
and the fixtures the web test modules share (import them by name into a test module to use them).

Kept outside conftest so scripts (e.g. the latency measurement) can use them too.
"""
from __future__ import annotations

import http.server
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0, auth: tuple[str, str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2, auth=auth).status_code < 500:
                return
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"{url} not up after {timeout}s: {last}")


@contextmanager
def serve_app(app: Any, port: int, root_path: str = "", ready_path: str = "/healthz") -> Iterator[str]:
    """Run an ASGI app with uvicorn in a background thread; yields its base URL."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=port, root_path=root_path, log_level="warning",
                            lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    try:
        wait_http(f"http://127.0.0.1:{port}{ready_path}")  # (/healthz says 503 before the first index)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    """Forwards /<prefix>/… to the backend with the prefix stripped, streaming the response (SSE works).

    Like the nginx config in docs/web.md: the public Host is passed on (plus X-Forwarded-Host/Proto), so the
    app builds its public URLs from it.
    """

    prefix = ""
    backend = ""
    protocol_version = "HTTP/1.0"  # the response ends when the connection closes: simple streaming

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _forward(self) -> None:
        if not self.path.startswith(self.prefix + "/") and self.path != self.prefix:
            self.send_error(404, "outside the proxied prefix")
            return
        path = self.path[len(self.prefix):] or "/"
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else None
        skip = {"connection", "keep-alive", "transfer-encoding", "content-length", "accept-encoding"}
        headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
        headers["x-forwarded-host"] = self.headers.get("host", "")
        headers["x-forwarded-proto"] = "http"
        headers["accept-encoding"] = "identity"  # relay bytes as they come, never re-encode
        with httpx.Client(timeout=120) as client:
            with client.stream(self.command, self.backend + path, content=body, headers=headers) as resp:
                self.send_response(resp.status_code)
                for k, v in resp.headers.multi_items():
                    if k.lower() not in {"transfer-encoding", "connection", "content-length"}:
                        self.send_header(k, v)
                self.send_header("connection", "close")
                self.end_headers()
                for chunk in resp.iter_raw():
                    self.wfile.write(chunk)
                    self.wfile.flush()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward


@contextmanager
def reverse_proxy(port: int, prefix: str, backend: str) -> Iterator[str]:
    """A minimal nginx stand-in: http://127.0.0.1:port/prefix/… → backend/… ."""
    handler = type("Proxy", (_ProxyHandler,), {"prefix": prefix.rstrip("/"), "backend": backend.rstrip("/")})
    with _serving(http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)):
        yield f"http://127.0.0.1:{port}{prefix}"


@contextmanager
def static_server(directory: Path, port: int) -> Iterator[str]:
    """Serve `directory` on another port: the "intranet portal" that embeds the widget."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, *args: Any) -> None:
            pass

    with _serving(http.server.ThreadingHTTPServer(("127.0.0.1", port), Quiet)):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def _serving(server: http.server.ThreadingHTTPServer) -> Iterator[None]:
    """Run a stdlib HTTP server in a daemon thread for the duration of the block."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


# ---------------------------------------------------------------- the chat page, as the browser tests drive it

ANSWERS = "#gwr-chat .gwr-answer:not(.gwr-pending)"
# the chat's script has started (it marks #gwr-app): only then does Enter send (else it types a newline)
READY = "#gwr-app[data-ready='1'] #gwr-input textarea"
BROWSER_TIMEOUT = 90_000  # ms; the machine is small and shared


def ask_in_browser(page_or_frame: Any, question: str, timeout: int = BROWSER_TIMEOUT) -> tuple[Any, float]:
    """Type, press Enter, wait for the new answer; returns it and the Enter→answer time in seconds."""
    before = page_or_frame.locator(ANSWERS).count()
    box = page_or_frame.locator("#gwr-input textarea")
    box.fill(question)
    t0 = time.perf_counter()
    box.press("Enter")
    page_or_frame.locator(ANSWERS).nth(before).wait_for(timeout=timeout)
    return page_or_frame.locator(ANSWERS).nth(before), time.perf_counter() - t0


# Text the interface itself shows (not report quotes or the user's own words) and every label a screen reader
# reads: returned when it contains Latin words or half-width punctuation next to Chinese.
UI_TEXT_PROBLEMS_JS = """() => {
  // quoted: the user's words and the report's own (sentences, passages, section headings) stay verbatim
  const quoted = '.gwr-q, .gwr-passage, .gwr-sentence, .gwr-lead, .gwr-sec, script, style, noscript, template';
  const latin = /[A-Za-z]{2,}/;
  const halfWidth = /[\\u4e00-\\u9fff][,:;?!]|[,:;?!][\\u4e00-\\u9fff]/;
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    const text = node.textContent.trim();
    if (!text || !el || el.closest(quoted)) { continue; }
    if (latin.test(text) || halfWidth.test(text)) { out.push('text: ' + text.slice(0, 80)); }
  }
  const attrs = ['aria-label', 'aria-description', 'aria-roledescription', 'aria-placeholder', 'aria-valuetext',
                 'title', 'placeholder', 'alt'];
  for (const el of document.querySelectorAll('*')) {
    for (const a of attrs) {
      const v = el.getAttribute(a);
      if (v && (latin.test(v) || halfWidth.test(v) || v.includes('<'))) { out.push(el.tagName + '@' + a + ': ' + v.slice(0, 80)); }
    }
  }
  if (/[A-Za-z]{2,}/.test(document.title)) { out.push('title: ' + document.title); }
  return out;
}"""


# ------------------------------------------------------------------ shared fixtures


@pytest.fixture(scope="module")
def service(assistant, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The web service over the session's assistant, with a feedback database of its own."""
    from webapp.service import QAService

    return QAService(assistant, tmp_path_factory.mktemp("fb") / "feedback.sqlite3", workers=2)


@pytest.fixture(scope="module")
def client(service, settings) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """An in-process HTTP client of the whole app."""
    from fastapi.testclient import TestClient

    from webapp.config import ServerConfig
    from webapp.server import create_app

    with TestClient(create_app(ServerConfig(settings=settings), service)) as c:
        yield c


@pytest.fixture(scope="module")
def requests_seen() -> list[str]:
    """Every URL the browser requested (to check that nothing leaves the server)."""
    return []


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (required in CI)."""
    from conftest import require

    require(CHROMIUM.exists(), "Chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server, requests_seen) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A fresh desktop browser profile (empty localStorage) on the chat page of the module's `server`, clipboard
    allowed; every request it makes is recorded."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                              permissions=["clipboard-read", "clipboard-write"])
    ctx.on("request", lambda request: requests_seen.append(request.url))
    pg = ctx.new_page()
    pg.set_default_timeout(BROWSER_TIMEOUT)
    pg.goto(server + "/")
    pg.wait_for_selector(READY)
    yield pg
    ctx.close()

