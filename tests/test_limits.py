"""Request limits on every route: body sizes while streaming, refused upload routes, 415, surrogates, nesting."""
from __future__ import annotations

import json
import socket
from typing import Any, Iterator

import httpx
import pytest

import webapp  # noqa: F401  (analytics off before gradio is imported)
from limits_helpers import read_response, request_head, serve
from webapp.config import ServerConfig
from webapp.server import create_app
from webapp.service import QAService

GDP_Q = "东川区2025年地区生产总值是多少？"
API_LIMIT, UI_LIMIT = 64 * 1024, 256 * 1024


@pytest.fixture(scope="module")
def server(assistant, settings, tmp_path_factory) -> Iterator[tuple[str, int]]:
    service = QAService(assistant, tmp_path_factory.mktemp("fb") / "feedback.sqlite3")
    app = create_app(ServerConfig(settings=settings, max_body_bytes=API_LIMIT, max_ui_body_bytes=UI_LIMIT), service)
    with serve(app) as addr:
        yield addr


@pytest.fixture()
def http(server) -> Iterator[httpx.Client]:
    host, port = server
    with httpx.Client(base_url=f"http://{host}:{port}", timeout=30) as c:
        yield c


def _declared_huge(server: tuple[str, int], path: str, size: int = 300 * 1024 * 1024) -> tuple[int, dict, bytes]:
    """Headers declaring `size` bytes and not one byte of body: the answer must come anyway."""
    with socket.create_connection(server) as s:
        s.sendall(request_head("POST", path, {"Content-Type": "application/json", "Content-Length": str(size)}))
        return read_response(s)


def _chunked(server: tuple[str, int], path: str, total: int, content_type: str = "application/json") -> tuple[int, int]:
    """Streams a chunked body of up to `total` bytes; returns (status, bytes sent before the answer came)."""
    sent = 0
    with socket.create_connection(server) as s:
        s.sendall(request_head("POST", path, {"Content-Type": content_type, "Transfer-Encoding": "chunked"}))
        s.settimeout(0.05)
        chunk = b"[" * 16384
        while sent < total:
            try:
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
            try:
                if s.recv(1, socket.MSG_PEEK):
                    break  # the server has answered mid-body
            except (socket.timeout, BlockingIOError):
                pass
        status, _, _ = read_response(s)
    return status, sent


@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback", "/api/export.docx", "/gradio_api/call/ask",
                                  "/gradio_api/queue/join", "/gradio_api/run/predict"])
def test_declared_huge_body_refused_before_reading(server, path: str) -> None:
    status, headers, body = _declared_huge(server, path)
    assert status == 413, (path, body)
    assert json.loads(body)["error"] == "body_too_large"
    assert "请求体太大" in json.loads(body)["message"]


@pytest.mark.parametrize("path,limit", [("/api/ask", API_LIMIT), ("/gradio_api/call/ask", UI_LIMIT),
                                        ("/gradio_api/queue/join", UI_LIMIT)])
def test_streamed_body_cut_off_at_the_limit(server, path: str, limit: int) -> None:
    status, sent = _chunked(server, path, total=8 * 1024 * 1024)
    assert status == 413
    assert sent < limit + 1024 * 1024, f"the server let {sent} bytes in before answering"


@pytest.mark.parametrize("path", ["/gradio_api/upload", "/gradio_api/upload?upload_id=x",
                                  "/gradio_api/process_recording"])
def test_upload_routes_refused(http: httpx.Client, path: str) -> None:
    r = http.post(path, files={"files": ("a.txt", b"x" * 1000, "text/plain")})
    assert r.status_code == 403, (path, r.status_code, r.text[:200])
    assert r.json()["error"] == "feature_disabled"


def test_body_within_limit_still_answered(http: httpx.Client) -> None:
    r = http.post("/api/ask", json={"question": GDP_Q, "history": ["东川区" * 100] * 10})
    assert r.status_code == 200 and "135.53亿元" in r.json()["answer"]


# ---------------------------------------------------------------- content type, surrogates, nesting

@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_non_json_body_gets_415(http: httpx.Client, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    r = http.post("/api/ask", content=json.dumps({"question": GDP_Q}).encode(), headers=headers)
    assert r.status_code == 415, r.text
    assert r.json()["error"] == "unsupported_media_type" and "JSON" in r.json()["message"]


def test_json_with_charset_accepted(http: httpx.Client) -> None:
    r = http.post("/api/ask", content=json.dumps({"question": GDP_Q}).encode(),
                  headers={"content-type": "application/json; charset=utf-8"})
    assert r.status_code == 200


SURROGATE = '"\\ud800"'  # a JSON escape for a lone surrogate: valid JSON, not encodable text
SURROGATE_BODIES = {
    "question": '{"question": %s}' % SURROGATE,
    "question tail": '{"question": "东川区\\udfff是多少"}',
    "report": '{"question": "%s", "report": %s}' % (GDP_Q, SURROGATE),
    "history": '{"question": "%s", "history": [%s]}' % (GDP_Q, SURROGATE),
    "key": '{"question": "%s", %s: 1}' % (GDP_Q, SURROGATE),
}


@pytest.mark.parametrize("name", list(SURROGATE_BODIES))
def test_lone_surrogate_gets_4xx(http: httpx.Client, name: str) -> None:
    r = http.post("/api/ask", content=SURROGATE_BODIES[name].encode(), headers={"content-type": "application/json"})
    assert r.status_code == 400, (name, r.status_code, r.text)
    assert r.json()["error"] == "invalid_text" and "无效字符" in r.json()["message"]


def test_lone_surrogate_in_feedback_gets_4xx(http: httpx.Client) -> None:
    body = '{"question": %s, "vote": 1, "answer": {"answer": "x"}}' % SURROGATE
    r = http.post("/api/feedback", content=body.encode(), headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, r.text


@pytest.mark.parametrize("body", [b"[" * 30000, b'{"question": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                                  b'{"question": "x", "history": ' + b"[" * 20 + b"]" * 20 + b"}"])
def test_deep_nesting_gets_400(http: httpx.Client, body: bytes) -> None:
    r = http.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text[:200]
    assert r.json()["error"] in ("too_deep", "invalid_json")


@pytest.mark.parametrize("body", [b'{"data": [' + b'"\\ud800"' + b', [], null]}', b"[" * 30000,
                                  b'{"data": ' + b"[" * 5000 + b"]" * 5000 + b"}"])
def test_gradio_call_route_never_500s(http: httpx.Client, body: Any) -> None:
    r = http.post("/gradio_api/call/ask", content=body, headers={"content-type": "application/json"})
    assert r.status_code < 500, (r.status_code, r.text[:300])


def test_limit_options_from_flags_and_env(monkeypatch) -> None:
    from webapp.config import ConfigError
    from webapp.server import config_from_args

    monkeypatch.setenv("GWR_QUEUE_SIZE", "8")
    monkeypatch.setenv("GWR_MAX_BODY", "1024")
    config, _ = config_from_args(["--queue-per-client", "2", "--header-timeout", "3"])
    assert (config.queue.max_waiting, config.queue.per_client, config.max_body_bytes, config.header_timeout_s) == \
        (8, 2, 1024, 3.0)
    monkeypatch.setenv("GWR_QUEUE_SIZE", "many")
    with pytest.raises(ConfigError):
        config_from_args([])


# ---------------------------------------------------------------- client identity: proxies, hosts, votes, logins
# A small app (the API routes and the identity middleware exactly as create_app installs them, no model) keeps
# these fast; TestClient's `client=` sets the TCP peer a request comes from.

from fastapi import FastAPI, Request  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from assistant.config import Settings  # noqa: E402
from webapp.api import build_router, install_error_handlers  # noqa: E402
from webapp.security import (DEVICE_COOKIE, VERIFIED_USER, BasicAuthMiddleware, LoginThrottle,  # noqa: E402
                             add_identity_middleware, client_key)
from webapp.votes import RateLimiter  # noqa: E402

USERS = (("zhang", "s3cret"), ("li", "pw-li"))
ZHANG, LI = USERS


@pytest.fixture()
def small(tmp_path) -> Iterator[Any]:
    """make(**ServerConfig fields) → (app, service): the identity middleware in front of the API, no model."""
    services: list[QAService] = []

    def make(**config: Any) -> tuple[FastAPI, QAService]:
        settings = Settings().with_(feedback_path=tmp_path / f"fb{len(services)}.sqlite3")
        service = QAService(None, settings.feedback_path, settings=settings)
        service.vote_limiter = RateLimiter(burst=10_000, per=0.001)  # count voters here, not the rate limit
        services.append(service)
        app = FastAPI()
        install_error_handlers(app)
        app.include_router(build_router(service))

        @app.get("/api/whoami")
        async def whoami(request: Request) -> dict[str, Any]:
            return {"client": client_key(request.scope), "user": request.scope.get(VERIFIED_USER),
                    "scheme": request.url.scheme}

        add_identity_middleware(app, ServerConfig(settings=settings, **config))
        return app, service

    yield make
    for service in services:
        service.close()


def _stored_votes(service: QAService, answer_id: str) -> int:
    return len(list(service.feedback.votes(answer_id=answer_id)))


def test_forged_voters_add_at_most_one_vote(small) -> None:
    app, service = small()
    aid = service.feedback.record_answer(question=GDP_Q, answer={"answer": "x"})
    with TestClient(app, client=("127.0.0.1", 5000)) as c:
        for i in range(30):  # login is off: a Basic user name, X-Forwarded-For, a cookie are all mere claims
            c.post("/api/feedback", json={"answer_id": aid, "vote": -1}, auth=(f"voter{i}", "x"))
            c.post("/api/feedback", json={"answer_id": aid, "vote": -1}, headers={"x-forwarded-for": f"10.0.0.{i}"})
            c.cookies.set("voter", str(i))
            c.post("/api/feedback", json={"answer_id": aid, "vote": -1})
    assert _stored_votes(service, aid) == 1


def test_votes_with_login_are_one_per_verified_user(small) -> None:
    app, service = small(users=USERS)
    aid = service.feedback.record_answer(question=GDP_Q, answer={"answer": "x"})
    with TestClient(app) as c:
        for i in range(10):
            forged = c.post("/api/feedback", json={"answer_id": aid, "vote": 1}, auth=(f"voter{i}", "x"))
            assert forged.status_code == 401
            c.post("/api/feedback", json={"answer_id": aid, "vote": 1}, auth=ZHANG,
                   headers={"x-forwarded-for": f"10.0.0.{i}"})
        assert c.post("/api/feedback", json={"answer_id": aid, "vote": 1}, auth=LI).status_code == 201
        assert c.get("/api/whoami", auth=LI).json()["user"] == "li"
    assert _stored_votes(service, aid) == 2


def test_forwarded_for_is_believed_from_trusted_proxies_only(small) -> None:
    def seen(app: FastAPI, peer: str, **headers: str) -> dict[str, Any]:
        with TestClient(app, client=(peer, 4000)) as c:
            return c.get("/api/whoami", headers=headers).json()

    default, _ = small()  # no proxy trusted: not even one on loopback
    assert seen(default, "127.0.0.1", **{"x-forwarded-for": "198.51.100.7"})["client"] == "127.0.0.1"
    app, _ = small(trusted_proxies=("10.0.0.0/8", "127.0.0.1"))
    assert seen(app, "203.0.113.9", **{"x-forwarded-for": "198.51.100.7"})["client"] == "203.0.113.9"
    cases = {"198.51.100.7": "198.51.100.7",
             "6.6.6.6, 198.51.100.7": "198.51.100.7",  # what the client wrote itself stays to the left
             "198.51.100.7, 10.9.9.9": "198.51.100.7",  # a second trusted proxy in the chain is skipped
             "10.9.9.9": "10.9.9.9", "not-an-ip": "10.1.2.3", "[2001:db8::1]:443": "2001:db8::1"}
    for header, client in cases.items():
        assert seen(app, "10.1.2.3", **{"x-forwarded-for": header})["client"] == client, header
    assert seen(app, "10.1.2.3")["client"] == "10.1.2.3"
    assert seen(app, "10.1.2.3", **{"x-forwarded-proto": "https"})["scheme"] == "https"
    assert seen(app, "203.0.113.9", **{"x-forwarded-proto": "https"})["scheme"] == "http"


def test_server_leaves_proxy_headers_to_the_middleware(monkeypatch) -> None:
    import webapp.server as server

    seen: dict[str, Any] = {}
    monkeypatch.setattr(server, "create_app", lambda config: "app")
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **kw: seen.update(kw))
    assert server.main(["--port", "7999", "--log-level", "warning"]) == 0
    assert seen["proxy_headers"] is False and "forwarded_allow_ips" not in seen


def test_identity_options_from_flags_and_env(monkeypatch) -> None:
    from webapp.config import ConfigError
    from webapp.server import config_from_args

    config, _ = config_from_args(["--trusted-proxies", "127.0.0.1, 10.0.0.0/8", "--allowed-hosts", "QA.example.cn"])
    assert config.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8") and config.allowed_hosts == ("qa.example.cn",)
    assert config_from_args([])[0].trusted_proxies == ()  # default: no proxy trusted
    monkeypatch.setenv("GWR_TRUSTED_PROXIES", "::1")
    monkeypatch.setenv("GWR_ALLOWED_HOSTS", "qa.example.cn:8443,.example.gov.cn")
    config, _ = config_from_args([])
    assert config.trusted_proxies == ("::1/128",) and config.allowed_hosts == ("qa.example.cn:8443", ".example.gov.cn")
    for flag, bad in (("--trusted-proxies", "proxy.local"), ("--allowed-hosts", "evil.example/x")):
        with pytest.raises(ConfigError):
            config_from_args([flag, bad])


def test_wrong_host_refused_when_allowed_hosts_set(small) -> None:
    app, service = small(allowed_hosts=("qa.example.cn", ".intranet.example"))
    aid = service.feedback.record_answer(question=GDP_Q, answer={"answer": "x"})
    with TestClient(app, base_url="http://qa.example.cn") as c:
        assert c.get("/api/whoami").status_code == 200
        assert c.get("/api/whoami", headers={"host": "a.intranet.example:8443"}).status_code == 200
        for headers in ({"host": "rebound.evil.example"}, {"host": "qa.example.cn.evil.example"},
                        {"x-forwarded-host": "rebound.evil.example"}, {"host": "qa.example.cn/x"}):
            r = c.get("/api/whoami", headers=headers)
            assert r.status_code == 400 and r.json()["error"] == "bad_host", headers
        assert c.get("/healthz", headers={"host": "10.0.0.5"}).status_code != 400  # probes stay open
        vote = {"answer_id": aid, "vote": 1}
        assert c.post("/api/feedback", json=vote, headers={"origin": "http://evil.example"}).status_code == 403
        assert c.post("/api/feedback", json=vote, headers={"origin": "https://qa.example.cn"}).status_code == 201


def test_origin_check_ignores_malformed_hosts(small) -> None:
    app, service = small()
    aid = service.feedback.record_answer(question=GDP_Q, answer={"answer": "x"})
    with TestClient(app) as c:
        for bad in ("evil example", "evil.example/x", "@evil"):
            r = c.post("/api/feedback", json={"answer_id": aid, "vote": 1},
                       headers={"host": bad, "origin": f"http://{bad}"})
            assert r.status_code == 403, bad
        ok = c.post("/api/feedback", json={"answer_id": aid, "vote": 1}, headers={"origin": "http://testserver"})
        assert ok.status_code == 201


def _guess(c: TestClient, user: str, n: int, tag: str = "") -> list[int]:
    return [c.get("/api/whoami", auth=(user, f"guess{tag}{i}")).status_code for i in range(n)]


def test_locked_address_lets_other_users_and_known_devices_in(small) -> None:
    app, _ = small(users=USERS, login_max_failures=5, login_lockout_s=60)
    with TestClient(app) as browser, TestClient(app) as attacker:  # same address ("testclient")
        first = browser.get("/api/whoami", auth=ZHANG)
        assert first.status_code == 200 and DEVICE_COOKIE in first.cookies
        assert _guess(attacker, "zhang", 5) == [401] * 5
        locked = attacker.get("/api/whoami", auth=ZHANG)  # the right password, but no device cookie
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
        assert attacker.get("/api/whoami", auth=LI).json()["user"] == "li"  # another user, same address
        assert browser.get("/api/whoami", auth=ZHANG).json()["user"] == "zhang"  # the device cookie gets in
        li_cookie = attacker.cookies.get(DEVICE_COOKIE)
        forged = TestClient(app, cookies={DEVICE_COOKIE: li_cookie})  # a cookie names its user
        assert forged.get("/api/whoami", auth=ZHANG).status_code == 429
        garbage = TestClient(app, cookies={DEVICE_COOKIE: "x.99999999999.y"})
        assert garbage.get("/api/whoami", auth=ZHANG).status_code == 429
        assert _guess(browser, "zhang", 5, "b") == [401] * 5  # guessing with the cookie: the cookie is locked
        assert browser.get("/api/whoami", auth=ZHANG).status_code == 429


def test_valid_logins_do_not_reset_the_guess_budget(small) -> None:
    app, _ = small(users=USERS, login_max_failures=5, login_lockout_s=60)
    with TestClient(app) as insider, TestClient(app) as victim:
        wrong = 0
        for round_ in range(20):  # an account holder: a valid login, then guesses at another account, repeat
            assert insider.get("/api/whoami", auth=LI).status_code == 200
            assert victim.get("/api/whoami", auth=ZHANG).status_code == 200  # the victim too, from there
            wrong += _guess(insider, "zhang", 4, f"r{round_}-").count(401)
    assert wrong <= 5, f"{wrong} wrong passwords were checked for one account"


def test_guessing_one_account_from_many_addresses_is_bounded(small) -> None:
    app, _ = small(users=USERS, login_max_failures=5, login_lockout_s=60, trusted_proxies=("10.0.0.1",))
    with TestClient(app, client=("10.0.0.1", 1)) as proxy:  # a trusted proxy: every request a new address
        def at(n: int, auth: tuple[str, str]) -> int:
            return proxy.get("/api/whoami", auth=auth,
                             headers={"x-forwarded-for": f"198.51.{n // 250}.{n % 250}"}).status_code
        proxy.get("/api/whoami", auth=ZHANG, headers={"x-forwarded-for": "192.0.2.1"})  # zhang's own browser
        zhang_cookie = proxy.cookies.get(DEVICE_COOKIE)
        proxy.cookies.clear()
        statuses = [at(n // 3, ("zhang", f"guess{n}")) for n in range(600)]  # 3 guesses from each of 200 addresses
        assert statuses.count(401) <= 25 and statuses[-1] == 429
        assert at(999, ZHANG) == 429  # untrusted clients are locked out for this user everywhere...
        assert at(999, LI) == 200  # ...other users are not
        proxy.cookies.set(DEVICE_COOKIE, zhang_cookie)
        assert proxy.get("/api/whoami", auth=ZHANG, headers={"x-forwarded-for": "192.0.2.1"}).status_code == 200


def test_login_memory_is_bounded() -> None:
    t = LoginThrottle(max_failures=3, max_tracked=100)
    for i in range(1000):
        t.failed(f"10.0.{i // 250}.{i % 250}")
    assert len(t._failures) <= 100 and len(t._locked) <= 100

    async def ok(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    guard = BasicAuthMiddleware(ok, USERS, throttle=LoginThrottle(max_failures=3, max_tracked=100))
    c = TestClient(guard)
    assert {c.get("/", auth=(f"nobody{i}", "x")).status_code for i in range(300)} == {401}
    assert c.get("/", auth=ZHANG).status_code == 204
    assert not guard.throttle._failures and not guard.user_throttle._failures  # names that do not exist: nothing kept
