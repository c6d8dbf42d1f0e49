"""Assemble the FastAPI app (API, report view, static files, chat page, widget) and run it with uvicorn.

Route order matters: Starlette matches in registration order, so the API, the
view and our static files come first, then the widget mount, and the chat page
mounted at "/" last catches everything else.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from functools import partial
from pathlib import Path
from typing import Sequence

# webapp/__init__.py has already switched Gradio analytics off: a package runs before its modules.
import gradio as gr
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from assistant.config import Settings

from .api import build_router, install_error_handlers
from .config import (ConfigError, ServerConfig, env_number, load_users, normalize_root_path, parse_allowed_hosts,
                     parse_frame_ancestors, parse_trusted_proxies)
from .htmlfix import HtmlFixMiddleware
from .limits import BodyLimitMiddleware
from .protocol import protocol_with_timeout
from .queueing import QueueLimits
from .security import SecurityHeadersMiddleware, add_identity_middleware
from .service import QAService
from .compare_api import build_compare_router
from .export_api import build_export_router
from .ui import STATIC_DIR, build_page, chat_config, css, page_shell, theme, widget_page

logger = logging.getLogger(__name__)

WIDGET_PATH = "/widget"
STATIC_PATH = "/gwr-static"  # not /static: that name belongs to Gradio's own mount


def create_app(config: ServerConfig, service: QAService | None = None) -> FastAPI:
    """The whole app. Pass `service` to share an already-loaded Assistant (tests, embedding)."""
    service = service or QAService.create(config.settings, config.workers, config.queue)
    base = config.root_path
    app = FastAPI(title="政府工作报告问答助手 API", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.service = service
    install_error_handlers(app)
    app.include_router(build_router(service, config.max_body_bytes))
    app.include_router(build_compare_router(service, config.max_body_bytes))
    app.include_router(build_export_router(service, config.max_body_bytes))
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="gwr-static")

    @app.get(WIDGET_PATH, include_in_schema=False, response_class=HTMLResponse)
    @app.get(WIDGET_PATH + "/", include_in_schema=False, response_class=HTMLResponse)
    async def widget() -> HTMLResponse:
        """The widget for iframes: its own small page (`?report=ID` pins it to one report, read by gwr.js)."""
        html = await asyncio.to_thread(widget_page, service, base)
        return HTMLResponse(html, headers={"cache-control": "no-store"})

    @app.get("/api/page")
    async def page_config(kind: str = "page") -> dict:
        """The chat's configuration now (reports, filter, examples): the open page refreshes from it after a build."""
        return await asyncio.to_thread(chat_config, service, base, "widget" if kind == "widget" else "page")

    common = dict(theme=theme(), footer_links=[], show_error=False, ssr_mode=False,
                  mcp_server=False, pwa=False, enable_monitoring=False,
                  head=(f'<meta name="referrer" content="same-origin">'
                        f'<link rel="icon" type="image/svg+xml" href="{base}{STATIC_PATH}/favicon.svg">'))
    # Gradio's own queue in front of ours: bounded too (its events all end in service.ask's queue)
    gradio_queue = dict(max_size=max(8, 4 * config.queue.max_waiting))
    gr.mount_gradio_app(app, build_page(service, base).queue(**gradio_queue), path="/", root_path=base or None,
                        css=css("gradio"), **common)

    add_identity_middleware(app, config)  # login, the client address behind trusted proxies, allowed Host names
    app.add_middleware(HtmlFixMiddleware, shell=partial(asyncio.to_thread, page_shell, service, base))
    # bodies are counted as they stream in, before any handler (ours or Gradio's) buffers them
    app.add_middleware(BodyLimitMiddleware, api_bytes=config.max_body_bytes, other_bytes=config.max_ui_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware, csp=config.csp())  # outermost: 401s carry it too
    return app


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python app.py", description="政府工作报告问答助手 — web UI, widget and JSON API.")
    p.add_argument("--host", default=os.environ.get("GWR_HOST", "127.0.0.1"),
                   help="interface to listen on (0.0.0.0 for the whole network; default 127.0.0.1)")
    p.add_argument("--port", type=int, default=int(os.environ.get("GWR_PORT", "7860")))
    p.add_argument("--root-path", default=os.environ.get("GWR_ROOT_PATH", ""),
                   help="public sub-path when served behind a reverse proxy that strips it, e.g. /qa")
    p.add_argument("--index-dir", type=Path, default=None,
                   help="index directory (built in the background on first start if empty)")
    p.add_argument("--corpus", type=Path, default=None,
                   help="directory of report files (default: the one the index was built from, else corpus/)")
    p.add_argument("--feedback", type=Path, default=None, help="SQLite file for 👍/👎 votes")
    p.add_argument("--auth-file", type=Path, default=None,
                   help="file of 'user:password' lines; enables login (also: env GWR_AUTH='user:pass')")
    p.add_argument("--frame-ancestors", default=os.environ.get("GWR_FRAME_ANCESTORS"),
                   help="pages allowed to embed the app, CSP syntax "
                        "(default: 'self' http://localhost:* http://127.0.0.1:*)")
    p.add_argument("--workers", type=int, default=1,
                   help="answers computed at once (default 1: answers are CPU-bound and the encoder is serialised)")
    limits = p.add_argument_group("limits (docs/operations.md); each also has a GWR_* environment variable")
    limits.add_argument("--max-body", type=int, default=None, help="bytes of a /api/ request body (GWR_MAX_BODY, 65536)")
    limits.add_argument("--max-ui-body", type=int, default=None,
                        help="bytes of any other request body, e.g. Gradio's (GWR_MAX_UI_BODY, 262144)")
    limits.add_argument("--queue-size", type=int, default=None,
                        help="questions waiting beyond the running ones before 503 (GWR_QUEUE_SIZE, 16)")
    limits.add_argument("--queue-per-client", type=int, default=None,
                        help="questions one client address may have running or waiting (GWR_QUEUE_PER_CLIENT, 4)")
    limits.add_argument("--queue-timeout", type=float, default=None,
                        help="seconds a question may wait for its turn before 503 (GWR_QUEUE_TIMEOUT, 5)")
    limits.add_argument("--queue-target-wait", type=float, default=None,
                        help="also 503 when the predicted wait for a turn exceeds this (GWR_QUEUE_TARGET_WAIT, 1.5)")
    limits.add_argument("--header-timeout", type=float, default=None,
                        help="seconds a client has to send its request headers (GWR_HEADER_TIMEOUT, 10)")
    limits.add_argument("--login-max-failures", type=int, default=None,
                        help="wrong logins for one user name per address per minute before a lockout "
                             "(GWR_LOGIN_MAX_FAILURES, 10)")
    limits.add_argument("--login-lockout", type=float, default=None,
                        help="seconds of the first lockout, doubling after (GWR_LOGIN_LOCKOUT, 30)")
    clients = p.add_argument_group("client identity (docs/operations.md); each also has a GWR_* environment variable")
    clients.add_argument("--trusted-proxies", default=None,
                         help="addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed, e.g. 127.0.0.1 "
                              "(GWR_TRUSTED_PROXIES; default none: the TCP peer is the client)")
    clients.add_argument("--allowed-hosts", default=None,
                         help="public host names the app answers to, e.g. qa.example.gov.cn; others get 400 "
                              "(GWR_ALLOWED_HOSTS; default any)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return p


def _limit(flag: float | None, env: str, default: float) -> float:
    if flag is not None:
        if flag <= 0:
            raise ConfigError(f"{env.lower().replace('gwr_', '--').replace('_', '-')} must be positive")
        return flag
    return env_number(env, default)


def _setting(flag: str | None, env: str) -> str:
    return flag if flag is not None else os.environ.get(env, "")


def config_from_args(argv: Sequence[str] | None = None) -> tuple[ServerConfig, argparse.Namespace]:
    args = _parser().parse_args(argv)
    settings = Settings().with_(index_dir=args.index_dir, corpus_dir=args.corpus, feedback_path=args.feedback)
    d = ServerConfig()
    workers = max(1, args.workers)
    queue = QueueLimits(slots=workers,
                        max_waiting=int(_limit(args.queue_size, "GWR_QUEUE_SIZE", d.queue.max_waiting)),
                        per_client=int(_limit(args.queue_per_client, "GWR_QUEUE_PER_CLIENT", d.queue.per_client)),
                        wait_timeout_s=_limit(args.queue_timeout, "GWR_QUEUE_TIMEOUT", d.queue.wait_timeout_s),
                        target_wait_s=_limit(args.queue_target_wait, "GWR_QUEUE_TARGET_WAIT", d.queue.target_wait_s))
    return ServerConfig(settings=settings, host=args.host, port=args.port,
                        root_path=normalize_root_path(args.root_path), users=load_users(args.auth_file),
                        frame_ancestors=parse_frame_ancestors(args.frame_ancestors), workers=workers,
                        max_body_bytes=int(_limit(args.max_body, "GWR_MAX_BODY", d.max_body_bytes)),
                        max_ui_body_bytes=int(_limit(args.max_ui_body, "GWR_MAX_UI_BODY", d.max_ui_body_bytes)),
                        queue=queue,
                        header_timeout_s=_limit(args.header_timeout, "GWR_HEADER_TIMEOUT", d.header_timeout_s),
                        login_max_failures=int(_limit(args.login_max_failures, "GWR_LOGIN_MAX_FAILURES",
                                                      d.login_max_failures)),
                        login_lockout_s=_limit(args.login_lockout, "GWR_LOGIN_LOCKOUT", d.login_lockout_s),
                        trusted_proxies=parse_trusted_proxies(_setting(args.trusted_proxies, "GWR_TRUSTED_PROXIES")),
                        allowed_hosts=parse_allowed_hosts(_setting(args.allowed_hosts, "GWR_ALLOWED_HOSTS"))), args


def main(argv: Sequence[str] | None = None) -> int:
    try:
        config, args = config_from_args(argv)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(config)
    where = f"http://{config.host}:{config.port}{config.root_path}/"
    logger.info("serving %s (widget: %swidget, API: %sapi/ask)%s", where, where, where,
                " with login" if config.auth_enabled else "")
    # uvicorn's own proxy-header handling is off: TrustedProxyMiddleware believes --trusted-proxies only
    uvicorn.run(app, host=config.host, port=config.port, root_path=config.root_path,
                log_level=args.log_level, proxy_headers=False,
                http=protocol_with_timeout(config.header_timeout_s), timeout_keep_alive=5)
    return 0
