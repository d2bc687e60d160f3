"""The console and the public forms against a real server: every console route refuses a
caller without a session and a caller with the wrong role; cookies, CSRF and security headers
are as ASVS level 2 asks; log-in is throttled; reports and appeals work over the API; and no
report or appeal text reaches the server's log."""

from __future__ import annotations

import re

import httpx
import pytest

from conftest import start_server, stop_server
from console_client import Console
from ledger_fixtures import report, user
from policywarden.api.app import create_app
from policywarden.review.service import appeal_tokens, staff_store
from policywarden.services import Services
from policywarden.settings import Settings
from review_fixtures import PASSWORD

CANARY = "okapi-canary-5519"

# Every console route and who may use it. A route missing here fails the first test: a new
# route must say who may use it and be covered by the checks below.
ROUTES = {
    ("GET", "/console"): "public", ("GET", "/console/"): "public",
    ("GET", "/console/login"): "public", ("POST", "/console/login"): "public",
    ("POST", "/console/logout"): "anyone", ("GET", "/console/password"): "anyone", ("POST", "/console/password"): "anyone",
    ("GET", "/console/queue"): "read", ("GET", "/console/decisions"): "read", ("GET", "/console/search"): "read",
    ("GET", "/console/accounts/{subject}"): "read",
    ("GET", "/console/cases/{case_id}"): "case", ("POST", "/console/cases/{case_id}/reveal"): "case",
    ("POST", "/console/queue/next"): "decide", ("POST", "/console/cases/{case_id}/claim"): "decide",
    ("POST", "/console/cases/{case_id}/release"): "decide", ("POST", "/console/cases/{case_id}/decide"): "decide",
    ("POST", "/console/cases/{case_id}/second-review"): "decide",
    ("GET", "/console/audit"): "audit",
    ("GET", "/console/staff"): "admin", ("POST", "/console/staff"): "admin",
    ("POST", "/console/staff/{username}/roles"): "admin", ("POST", "/console/staff/{username}/active"): "admin",
    ("POST", "/console/staff/{username}/password"): "admin",
}
# Who is refused each kind of route (403), and who gets through.
WRONG = {"decide": ["aud"], "audit": ["ann", "cara"], "admin": ["ann", "cara", "aud"], "case": ["ann", "root", "aud"]}
RIGHT = {"read": ["ann", "aud", "root"], "decide": ["ann"], "audit": ["aud", "root"], "admin": ["root"], "case": ["cara"],
         "anyone": ["ann"]}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console")
    settings = Settings(database_url=f"sqlite:///{tmp / 'pw.db'}", secret_file=str(tmp / "pw.key"))
    sv = Services(settings)
    sv.migrate()
    people = staff_store(sv)
    for name, roles in (("ann", ["reviewer"]), ("cara", ["reviewer", "child_safety"]), ("aud", ["auditor"]),
                        ("root", ["admin"]), ("locky", ["reviewer"])):
        people.create(name, name.title(), PASSWORD, roles, "test")
    sv.ledger.record(report(user("u_kid"), "minors.grooming", "critical", verdict_action="escalate", reporting=["ncmec"]))
    sv.ledger.record(report(user("u_adult"), "protect.weapons", "critical", verdict_action="escalate"))
    server = start_server(tmp, {"POLICYWARDEN_LOGIN_FAILURES_PER_ACCOUNT": "3"})
    yield server, sv
    stop_server(server)


def logged_in(server, name: str) -> Console:
    c = Console(server.base_url)
    assert c.login(name).status_code == 303
    return c


def fill(path: str) -> str:
    # Case 1 is the child-safety case, so that "case" routes are refused to the wrong people.
    return path.replace("{case_id}", "1").replace("{subject}", "user:0:u_kid").replace("{username}", "locky")


def _flat(routes):
    for r in routes:
        if hasattr(r, "original_router"):  # FastAPI >= 0.160 keeps included routers whole
            yield from _flat(r.original_router.routes)
        else:
            yield r


def test_every_console_route_says_who_may_use_it():
    routes = {(m, r.path) for r in _flat(create_app().routes) if getattr(r, "path", "").startswith("/console")
              for m in getattr(r, "methods", ()) if m != "HEAD"}
    assert routes == set(ROUTES)


@pytest.mark.parametrize("method, path", [k for k, v in ROUTES.items() if v != "public"])
def test_without_a_session_every_route_sends_to_the_log_in_page(env, method, path):
    server, _ = env
    c = Console(server.base_url)
    r = c.get(fill(path)) if method == "GET" else c.post(fill(path), {"x": "1"})
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")


@pytest.mark.parametrize("method, path", [k for k, v in ROUTES.items() if v in WRONG])
def test_the_wrong_role_is_refused_on_every_route(env, method, path):
    server, _ = env
    for name in WRONG[ROUTES[(method, path)]]:
        c = logged_in(server, name)
        c.get("/console/password")  # a page with this session's CSRF token
        r = c.get(fill(path)) if method == "GET" else c.post(fill(path), {"outcome": "dismiss", "roles": "admin"})
        assert r.status_code == 403, (name, method, path)
    # Nothing was changed by the refused calls.
    assert [p.roles for p in staff_store(env[1]).list() if p.username == "locky"] == [("reviewer",)]


@pytest.mark.parametrize("method, path", [k for k, v in ROUTES.items() if v in RIGHT and k[0] == "GET"])
def test_the_right_roles_get_the_page(env, method, path):
    server, _ = env
    for name in RIGHT[ROUTES[(method, path)]]:
        r = logged_in(server, name).get(fill(path))
        assert r.status_code == 200, (name, path)
        assert r.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("method, path", [k for k, v in ROUTES.items() if k[0] == "POST" and v != "public"])
def test_state_changes_need_the_csrf_token_and_the_same_origin(env, method, path):
    server, _ = env
    who = RIGHT.get(ROUTES[(method, path)], ["root"])[0]
    c = logged_in(server, who)
    c.get("/console/password")
    assert c.post(fill(path), {"x": "1"}, csrf=False).status_code == 403
    body = [("csrf_token", "0" * 64)]
    assert c.post(fill(path), body, csrf=False).status_code == 403
    r = c.post(fill(path), {"x": "1"}, headers={"origin": "https://evil.example"})
    assert r.status_code == 403 and "Form expired" in r.text


def test_session_cookie_and_security_headers(env):
    server, _ = env
    c = Console(server.base_url)
    page = c.get("/console/login")
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "script-src" not in csp
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "same-origin" and page.headers["x-content-type-options"] == "nosniff"
    r = c.login("ann")
    (cookie,) = [h for h in r.headers.get_list("set-cookie") if h.startswith("__Host-pw_session=")]
    attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "secure", "path", "samesite"} <= attrs and "domain" not in attrs
    assert "samesite=strict" in cookie.lower() and "path=/" in cookie.lower()
    token = cookie.split(";")[0].split("=", 1)[1]
    assert len(token) >= 43  # 256 bits, url-safe base64
    # Log-out ends the session on the server, not only in this browser.
    c.get("/console/queue")
    stolen = dict(c.cookies)
    assert c.post("/console/logout").status_code == 303
    replay = Console(server.base_url)
    replay.cookies = stolen
    assert replay.get("/console/queue").status_code == 303
    # The JSON API keeps its own headers.
    assert "content-security-policy" not in httpx.get(f"{server.base_url}/healthz").headers


def test_log_in_is_throttled_and_says_nothing_about_the_account(env):
    server, _ = env
    c = Console(server.base_url)
    for _ in range(2):
        r = c.login("locky", "not the password at all")
        assert r.status_code == 401 and "Wrong username or password" in r.text
    r = c.login("locky", "not the password at all")
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert c.login("locky").status_code == 429
    ghost = c.login("ghost", "not the password at all")
    assert ghost.status_code == 401 and "Wrong username or password" in ghost.text
    assert c.login("ghost", "x" * 2000).status_code == 401


def test_log_in_needs_its_form_token_and_redirects_only_inside_the_console(env):
    server, _ = env
    c = Console(server.base_url)
    c.get("/console/login")
    r = c.post("/console/login", {"form_token": "forged", "username": "ann", "password": PASSWORD}, csrf=False)
    assert r.status_code == 403
    r = c.post("/console/login", {"form_token": c.form_token, "username": "ann", "password": PASSWORD,
                                  "next": "//evil.example/x"}, csrf=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/queue"


def test_reports_and_appeals_over_the_api_and_no_text_in_the_log(env):
    server, sv = env
    api = httpx.Client(base_url=server.base_url, timeout=30)
    r = api.post("/v1/reports", json={"target_kind": "content", "target": f"https://x.example/{CANARY}",
                                      "category": "protect.weapons", "description": f"desc {CANARY}",
                                      "content": f"content {CANARY}", "contact": f"{CANARY}@example.org"})
    assert r.status_code == 201
    reference = r.json()["reference"]
    status = api.get(f"/v1/reports/{reference}").json()
    assert status["state"] == "received" and status["decided_at"] is None
    assert api.get("/v1/reports/pwr_" + "x" * 22).status_code == 404
    bad = api.post("/v1/reports", json={"target_kind": "content", "target": "x", "category": "made.up", "extra": CANARY})
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"
    bad = api.post("/v1/reports", json={"target_kind": "content", "target": "x", "category": "made.up"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "category"
    assert api.post("/v1/reports", json={"target_kind": "content", "target": "x" * 2001}).status_code == 400
    # Ten reports an hour from one address (the server trusts X-Forwarded-For from loopback, as
    # behind a local reverse proxy); the eleventh is refused, another address is not.
    one = {"X-Forwarded-For": "198.51.100.7"}
    for i in range(10):
        assert api.post("/v1/reports", json={"target_kind": "account", "target": f"spammer {i}"}, headers=one).status_code == 201
    limited = api.post("/v1/reports", json={"target_kind": "account", "target": "spammer"}, headers=one)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert limited.json()["error"]["code"] == "rate_limited"
    other = {"X-Forwarded-For": "198.51.100.8"}
    assert api.post("/v1/reports", json={"target_kind": "account", "target": "spammer"}, headers=other).status_code == 201

    (warn,) = sv.ledger.record(report(user("u_appellant"))).actions
    token = appeal_tokens(sv.secret).issue(warn["id"])
    assert api.get(f"/v1/appeals/{token}").json()["appeal"] is None
    r = api.post("/v1/appeals", json={"token": token, "statement": f"not me {CANARY}"})
    assert r.status_code == 201 and r.json()["appeal"]["state"] == "received"
    assert api.post("/v1/appeals", json={"token": token, "statement": "again"}).status_code == 409
    forged = token[:-2] + ("BB" if token.endswith("AA") else "AA")  # "AA" alone was the token itself 1 time in 4,096
    assert api.post("/v1/appeals", json={"token": forged, "statement": "x"}).status_code == 404
    # The web forms: a body over the limit is refused before it is read whole.
    big = Console(server.base_url)
    big.get("/report")
    r = big.post("/report", {"form_token": big.form_token, "target_kind": "content", "target": "x",
                             "content": "y" * 70_000}, csrf=False)
    assert r.status_code == 413
    assert CANARY not in server.logs()


def test_a_report_filed_in_the_form_has_a_status_page(env):
    server, _ = env
    c = Console(server.base_url)
    page = c.get("/report")
    assert page.status_code == 200 and 'for="target"' in page.text
    r = c.post("/report", {"form_token": c.form_token, "target_kind": "account", "target": "", "category": "made.up"},
               csrf=False)
    assert r.status_code == 400 and 'aria-invalid="true"' in r.text and 'href="#target"' in r.text
    r = c.post("/report", {"form_token": c.form_token, "target_kind": "account", "target": "bad-actor-99",
                           "category": "empower.fraud", "description": "selling fake tickets"}, csrf=False)
    assert r.status_code == 201
    reference = re.search(r"pwr_[A-Za-z0-9_-]{22}", r.text).group(0)
    status = c.get(f"/report/status/{reference}")
    assert status.status_code == 200 and "waiting for a reviewer" in status.text
    assert c.get("/report/status/pwr_nope").status_code == 404
    forged = Console(server.base_url)
    assert forged.post("/report", {"form_token": "x", "target_kind": "account", "target": "y", "category": "unsure"},
                       csrf=False).status_code == 403


def test_plain_http_cookies_are_an_explicit_opt_out():
    from fastapi.responses import Response

    from policywarden.web.security import CookiePolicy

    for secure, name in ((True, "__Host-pw_session"), (False, "pw_session")):
        policy, response = CookiePolicy(secure), Response()
        policy.set(response, policy.session, "t")
        header = response.headers["set-cookie"].lower()
        assert policy.session == name and header.startswith(name.lower() + "=t;")
        assert ("; secure" in header) is secure and "httponly" in header and "samesite=strict" in header
