"""The enforcement API against a real server: recording from moderation calls and events,
standing, withholding access, key scoping, operator decisions, and a database that goes away."""

from __future__ import annotations

import httpx
import openai
import psycopg
import pytest

from conftest import start_server, stop_server
from policywarden.services import Services
from policywarden.settings import Settings

BAD = "how do I make a pipe bomb to kill my neighbour"
CANARY = "zebra-canary-7731"
ANN = {"actor": "person:ann", "reason": "reviewed"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("enforce")
    settings = Settings(database_url=f"sqlite:///{tmp / 'pw.db'}", secret_file=str(tmp / "pw.key"))
    sv = Services(settings)
    sv.migrate()
    p1 = sv.tenants.create_project("acme", "chat")
    p2 = sv.tenants.create_project("globex", "search")
    keys = {
        "admin": sv.keys.create("ops", "admin")[0],
        "p1": sv.keys.create("acme-svc", "client", p1.id)[0],
        "p2": sv.keys.create("globex-svc", "client", p2.id)[0],
        "p1b": sv.keys.create("acme-batch", "client", p1.id)[0],
    }
    server = start_server(tmp)
    yield server, sv, keys, (p1.id, p2.id)
    stop_server(server)


def client(server, key):
    return httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def test_moderation_naming_an_end_user_records_and_reports_standing(env):
    server, sv, keys, (p1, _) = env
    c = client(server, keys["p1"])
    r = c.post("/v1/moderations", json={"input": [BAD, "What is the capital of France?"], "user": "alice"},
               headers={"Idempotency-Key": "m-1"})
    assert r.status_code == 200
    bad, fine = (x["policywarden"] for x in r.json()["results"])
    assert bad["violation_id"] and fine["violation_id"] is None
    assert bad["standing"]["status"] == "restricted" and bad["standing"]["subject"].startswith(f"user:{p1}:u_")
    again = c.post("/v1/moderations", json={"input": [BAD, "What is the capital of France?"], "user": "alice"},
                   headers={"Idempotency-Key": "m-1"}).json()
    assert again["results"][0]["policywarden"]["violation_id"] == bad["violation_id"]
    # The pseudonym is stable and keyed: the same id maps to the same subject, and it is not the id.
    assert "alice" not in bad["standing"]["subject"]
    assert str(sv.enforcement.end_user(p1, "alice")) == bad["standing"]["subject"]
    st = c.get("/v1/standing", params={"user": "alice"}).json()
    assert st["status"] == "restricted" and st["allowed"] and len(st["subjects"]) == 3


def test_openai_client_passes_the_user_through_extra_body(env):
    server, _, keys, _ = env
    oa = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=keys["p1"])
    resp = oa.moderations.create(input=BAD, extra_body={"user": "carol"})
    verdict = resp.results[0].model_extra["policywarden"]
    assert verdict["violation_id"] and verdict["standing"]["allowed"]


def test_events_record_validate_and_replay(env):
    server, _, keys, _ = env
    c = client(server, keys["p1"])
    body = {"user": "dave", "categories": ["protect.harassment"], "scores": {"protect.harassment": 0.8},
            "action": "block", "content": f"you are worthless {CANARY}, dave@example.com"}
    first = c.post("/v1/events", json=body, headers={"Idempotency-Key": "e-1"})
    assert first.status_code == 201 and first.json()["points"] == 2.0  # harassment is high severity
    replay = c.post("/v1/events", json=body, headers={"Idempotency-Key": "e-1"})
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["violation_id"] == first.json()["violation_id"]
    clash = c.post("/v1/events", json={**body, "content": "other"}, headers={"Idempotency-Key": "e-1"})
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "conflict"
    cases = [
        ({**body, "categories": ["protect.nonsense"]}, 400, "unknown_category"),
        ({"categories": ["protect.harassment"]}, 400, "missing_subject"),
        ({**body, "scores": {"protect.harassment": 3}}, 400, "invalid_value"),
        ({**body, "surprise": 1}, 400, "invalid_value"),
        ({**body, "categories": []}, 400, "invalid_value"),
        ({**body, "project": 999}, 403, "project_forbidden"),
    ]
    for payload, status, code in cases:
        r = c.post("/v1/events", json=payload)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), payload
    assert c.post("/v1/events", content=b"\xff\xfe", headers={"content-type": "application/json"}).status_code == 400
    assert CANARY not in server.logs()


def test_client_keys_see_only_their_own_project(env):
    server, _, keys, (p1, p2) = env
    mine = client(server, keys["p1"])
    theirs = client(server, keys["p2"])
    subject = mine.post("/v1/events", json={"user": "erin", "categories": ["protect.harassment"]}).json()["subject"]
    assert mine.get(f"/v1/subjects/{subject}").status_code == 200
    assert theirs.get(f"/v1/subjects/{subject}").status_code == 404
    assert theirs.get(f"/v1/standing/{subject}").status_code == 404
    assert mine.get(f"/v1/standing/project:{p1}").json()["allowed"]
    for method, path in [("GET", "/v1/actions"), ("GET", "/v1/audit"), ("GET", "/v1/audit/verify"),
                         ("POST", f"/v1/subjects/{subject}/export"), ("DELETE", f"/v1/subjects/{subject}?actor=person:x")]:
        r = mine.request(method, path, json={"actor": "person:x"} if method == "POST" else None)
        assert r.status_code == 403 and r.json()["error"]["code"] == "admin_required", path
    assert httpx.get(f"{server.base_url}/v1/standing/{subject}").status_code == 401
    assert mine.get("/v1/standing/nonsense").json()["error"]["code"] == "invalid_subject"


def test_operator_decisions_and_withholding_access(env):
    server, _, keys, (p1, _) = env
    admin = client(server, keys["admin"])
    batch = client(server, keys["p1b"])
    me = batch.get("/v1/standing").json()["subjects"][0]["subject"]  # key:N
    # A restriction with a rate limit: the key gets 429 with Retry-After once it is spent.
    r = admin.post(f"/v1/subjects/{me}/actions", json={**ANN, "kind": "restrict", "duration": "1h", "rate_limit_per_minute": 2})
    assert r.status_code == 201
    codes = [batch.post("/v1/moderations", json={"input": "hello"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = batch.post("/v1/moderations", json={"input": "hello"})
    assert limited.headers["Retry-After"] and limited.json()["error"]["code"] == "rate_limited"
    # A suspension of the key: 403 that says why and until when.
    admin.post(f"/v1/subjects/{me}/actions", json={**ANN, "kind": "suspend", "duration": "2h", "reason": "abusive automation"})
    denied = batch.post("/v1/moderations", json={"input": "hello"})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "access_withheld"
    assert "suspended until" in denied.json()["error"]["message"] and "abusive automation" in denied.json()["error"]["message"]
    admin.post(f"/v1/subjects/{me}/reinstate", json=ANN)
    assert batch.post("/v1/moderations", json={"input": "hello"}).status_code == 200
    # A CSAM event suspends the end user at once, pending review; the admin confirms it.
    ev = batch.post("/v1/events", json={"user": "mallory", "categories": ["minors.csam"]}).json()
    assert not ev["standing"]["allowed"] and ev["standing"]["pending_review"]
    interim = next(a for a in ev["actions"] if a["interim"])
    assert admin.post(f"/v1/actions/{interim['id']}/confirm", json=ANN).json()["interim"] is False
    assert admin.post(f"/v1/actions/{interim['id']}/approve", json=ANN).status_code == 409
    assert admin.post(f"/v1/actions/{interim['id']}/lift", json={"actor": "rule:bot"}).status_code == 400
    assert admin.get("/v1/audit/verify").json()["ok"]
    events = [e["event"] for e in admin.get("/v1/audit", params={"subject": ev["subject"]}).json()["data"]]
    assert events[0] == "action.confirmed" and "violation.recorded" in events


@pytest.mark.postgres
def test_database_that_goes_away_gives_503_records_nothing_and_recovers(pg_url, tmp_path):
    db_url = pg_url
    server = start_server(tmp_path, {"POLICYWARDEN_DATABASE_URL": db_url})
    name = db_url.rsplit("/", 1)[1]
    admin_url = db_url.rsplit("/", 1)[0] + "/postgres"
    c = httpx.Client(base_url=server.base_url, timeout=30)
    try:
        assert c.post("/v1/events", json={"user": "u1", "categories": ["protect.harassment"]}).status_code == 201
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        down = c.post("/v1/events", json={"user": "u2", "categories": ["protect.harassment"]})
        assert down.status_code == 503 and down.json()["error"]["code"] == "database_unavailable"
        assert down.headers["Retry-After"]
        # Keys cannot be checked either: moderation fails closed too, with the same clear error.
        assert c.post("/v1/moderations", json={"input": "hello"}).json()["error"]["code"] == "database_unavailable"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        assert c.post("/v1/events", json={"user": "u3", "categories": ["protect.harassment"]}).status_code == 201
        with psycopg.connect(db_url) as conn:
            assert conn.execute("SELECT count(*) FROM violations").fetchone()[0] == 2
        assert "Traceback" not in server.logs()
    finally:
        stop_server(server)
