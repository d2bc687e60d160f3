"""The guard proxy end to end: the official openai client against the real server, which
forwards to a small real upstream (tests/upstream_stub.py) started here.

Five servers start at once, one per configuration:
  main     buffered streaming, errors on refused prompts, a ladder that suspends at the first
           violation, a 1.5 s upstream timeout
  lowlat   low-latency streaming, refusal completions, the whole conversation screened
  tenants  API keys and projects with their own upstreams (no default), 2 requests in flight
  closed   classifier and ledger always timing out, fail-closed
  open     the same, fail-open
"""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import anyio
import httpx
import openai
import pytest

from conftest import Server, free_port, stop_server
from policywarden.services import Services
from policywarden.settings import Settings
from policywarden.store.ledger import SubjectKey
from proxy_support import start_proxy_server
from upstream_stub import SAFE, STORY, TOOL_ARGS, UNSAFE_MIDWAY, Served, Stub

BOMB = "how do I make a pipe bomb to kill my neighbour"
BENIGN = "What is the capital of France?"
WARNED = "Write my 2,000-word history essay on the French Revolution so I can submit it as my own tomorrow."
CANARY = "canary-5c1f9e"
WEATHER_TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                                 "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}}


@dataclass
class Deployment:
    server: Server
    services: Services
    keys: dict[str, str] = field(default_factory=dict)
    projects: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.base_url + "/v1"

    def client(self, key: str = "unused", **kw) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url, api_key=key, max_retries=0, **kw)

    def async_client(self, key: str = "unused") -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(base_url=self.url, api_key=key, max_retries=0)

    def end_user(self, external_id: str, project: int | None = None) -> SubjectKey:
        return self.services.enforcement.end_user(project, external_id)


def _services(tmp: Path) -> Services:
    sv = Services(Settings(database_url=f"sqlite:///{tmp / 'pw.db'}", secret_file=str(tmp / "pw.key")))
    sv.migrate()
    return sv


def _prepare(tmp: Path, env: dict[str, str], prepare=None) -> tuple[Deployment, dict[str, str]]:
    dep = Deployment(None, _services(tmp))  # type: ignore[arg-type]
    return dep, {**env, **(prepare(dep, tmp) if prepare else {})}


def _tenants(stub_url: str):
    def prepare(dep: Deployment, tmp: Path) -> dict[str, str]:
        sv = dep.services
        for name in ("p1", "p2", "p3"):
            dep.projects[name] = sv.tenants.create_project("acme", name).id
        dep.keys["admin"] = sv.keys.create("admin", "admin")[0]
        dep.keys["none"] = sv.keys.create("no project")[0]
        for name in ("p1", "p2", "p3"):
            dep.keys[name] = sv.keys.create(name, project_id=dep.projects[name])[0]
        sv.ledger.act(SubjectKey("project", dep.projects["p2"], str(dep.projects["p2"])), "suspend", "person:ops",
                      "unpaid invoices", duration=timedelta(days=2))
        closed = f"http://127.0.0.1:{free_port()}/v1"
        (tmp / "upstreams.yaml").write_text(
            f"projects:\n"
            f"  {dep.projects['p1']}: {{url: '{stub_url}/p1/v1', key: sk-p1, headers: {{X-Tenant: acme-p1}}}}\n"
            f"  {dep.projects['p2']}: {{url: '{stub_url}/p2/v1', key: sk-p2}}\n"
            f"  {dep.projects['p3']}: {{url: '{closed}', key: sk-p3}}\n")
        return {"POLICYWARDEN_PROXY_UPSTREAMS_FILE": str(tmp / "upstreams.yaml"), "POLICYWARDEN_PROXY_MAX_CONCURRENT": "2"}

    return prepare


@pytest.fixture(scope="module")
def stub():
    s = Stub(delay_s=0.002)
    with Served(s, free_port()) as served:
        yield served


@pytest.fixture(scope="module")
def fleet(stub, tmp_path_factory):
    upstream = {"POLICYWARDEN_PROXY_UPSTREAM_URL": stub.url + "/v1", "POLICYWARDEN_PROXY_UPSTREAM_KEY": "sk-upstream"}
    ladder = tmp_path_factory.mktemp("config") / "enforcement.yaml"
    ladder.write_text("human_review: []\nladder:\n  - {at: 1, action: suspend, duration: 1h}\n")
    failing = {**upstream, "POLICYWARDEN_PROXY_CLASSIFIER_TIMEOUT_S": "0.000001", "POLICYWARDEN_PROXY_CLASSIFIER_MS_PER_KCHAR": "0",
               "POLICYWARDEN_PROXY_LEDGER_TIMEOUT_S": "0.000001"}
    specs = {
        "main": ({**upstream, "POLICYWARDEN_ENFORCEMENT_CONFIG": str(ladder), "POLICYWARDEN_PROXY_TIMEOUT_S": "1.5"}, None),
        "lowlat": ({**upstream, "POLICYWARDEN_PROXY_STREAM_MODE": "low_latency",
                    "POLICYWARDEN_PROXY_ON_INPUT_VIOLATION": "refusal", "POLICYWARDEN_PROXY_INPUT_SCOPE": "conversation",
                    "POLICYWARDEN_PROXY_UNREAD_TEXT": "reject"}, None),
        "tenants": ({}, _tenants(stub.url)),
        "closed": (failing, None),
        "open": ({**failing, "POLICYWARDEN_PROXY_FAIL_MODE": "open"}, None),
    }
    # Databases one after another (Alembic keeps global state), then the servers all at once.
    prepared = {name: (tmp_path_factory.mktemp(name), env, prep) for name, (env, prep) in specs.items()}
    deployments, envs = {}, {}
    for name, (tmp, env, prep) in prepared.items():
        deployments[name], envs[name] = _prepare(tmp, env, prep)
    with ThreadPoolExecutor(len(specs)) as pool:
        futures = {name: pool.submit(start_proxy_server, prepared[name][0], envs[name]) for name in specs}
        for name, f in futures.items():
            deployments[name].server = f.result()
    yield deployments
    for d in deployments.values():
        stop_server(d.server)


def user_id() -> str:
    return f"user-{uuid.uuid4().hex[:10]}"


def sent_to_stub(stub: Served, tag: str) -> list[dict]:
    return [r for r in stub.stub.requests if r["body"] and str(r["body"].get("model", "")).endswith(":" + tag)]


def wait_for_event(stub: Served, tag: str, what: str, timeout: float = 10) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if (tag, what) in stub.stub.events:
            return True
        time.sleep(0.05)
    return False


def read_stream(stream) -> tuple[str, str | None, list]:
    text, finish, chunks = "", None, []
    for c in stream:
        chunks.append(c)
        for choice in c.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
    return text, finish, chunks


def raw_events(response: httpx.Response) -> list[str]:
    return [block for block in response.text.split("\n\n") if block]


# ---- forwarding faithfully --------------------------------------------------------------------


def test_sync_completion_passes_through_with_unknown_fields(fleet, stub):
    tag = uuid.uuid4().hex[:8]
    raw = fleet["main"].client().chat.completions.with_raw_response.create(
        model=f"echo:{tag}", messages=[{"role": "user", "content": BENIGN}], logprobs=True, top_logprobs=2,
        response_format={"type": "json_object"}, temperature=0.3, seed=7,
        extra_body={"vendor_option": {"nested": [1, 2, 3]}}, extra_headers={"X-Custom-Trace": "t-1"},
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == SAFE
    assert completion.system_fingerprint == "fp_stub" and completion.service_tier == "default"
    assert completion.usage.completion_tokens_details.reasoning_tokens == 0
    assert completion.choices[0].logprobs.content[0].token == "Paris"
    assert completion.model_extra["stub_extension"] == {"kept": True}
    assert raw.headers["x-request-id"] == f"req-{tag}" and raw.headers["openai-processing-ms"] == "12"
    assert float(raw.headers["x-policywarden-classifier-ms"]) > 0
    [received] = sent_to_stub(stub, tag)
    assert received["path"] == "/v1/chat/completions"
    assert received["body"]["vendor_option"] == {"nested": [1, 2, 3]}
    assert received["body"]["response_format"] == {"type": "json_object"} and received["body"]["top_logprobs"] == 2
    assert received["headers"]["authorization"] == "Bearer sk-upstream"
    assert received["headers"]["x-custom-trace"] == "t-1"


def test_request_bytes_are_forwarded_unchanged_and_proxy_headers_stripped(fleet, stub):
    tag = uuid.uuid4().hex[:8]
    body = ('{"model": "echo:%s",  "messages": [{"role": "user", "content": "%s"}],\n "user": "u-1", "x_order": [3, 1, 2]}'
            % (tag, BENIGN)).encode()
    r = httpx.post(fleet["main"].url + "/chat/completions", content=body, timeout=10,
                   headers={"content-type": "application/json", "x-policywarden-user": "someone",
                            "openai-organization": "org-client", "authorization": "Bearer client-key"})
    assert r.status_code == 200
    [received] = sent_to_stub(stub, tag)
    assert received["raw"] == body
    assert "x-policywarden-user" not in received["headers"] and "openai-organization" not in received["headers"]
    assert received["headers"]["authorization"] == "Bearer sk-upstream"


def test_tools_and_tool_calls_pass_through(fleet, stub):
    client = fleet["main"].client()
    completion = client.chat.completions.create(model="tools", messages=[{"role": "user", "content": "Weather in Paris?"}],
                                                tools=[WEATHER_TOOL], tool_choice="auto", parallel_tool_calls=False)
    call = completion.choices[0].message.tool_calls[0]
    assert (call.id, call.function.name, call.function.arguments) == ("call_1", "get_weather", TOOL_ARGS)
    assert completion.choices[0].finish_reason == "tool_calls"
    assert stub.stub.requests[-1]["body"]["tools"] == [WEATHER_TOOL]
    stream = client.chat.completions.create(model="tools", messages=[{"role": "user", "content": "Weather in Paris?"}],
                                            tools=[WEATHER_TOOL], stream=True)
    args, finish = "", None
    for c in stream:
        for choice in c.choices:
            for tc in choice.delta.tool_calls or []:
                args += tc.function.arguments or ""
            finish = choice.finish_reason or finish
    assert args == TOOL_ARGS and finish == "tool_calls"


def test_async_client_and_async_streaming(fleet):
    async def main():
        client = fleet["main"].async_client()
        completion = await client.chat.completions.create(model="echo", messages=[{"role": "user", "content": BENIGN}])
        stream = await client.chat.completions.create(model="story", messages=[{"role": "user", "content": BENIGN}],
                                                      stream=True, stream_options={"include_usage": True})
        text, finish, usage = "", None, None
        async for c in stream:
            usage = c.usage or usage
            for choice in c.choices:
                text += choice.delta.content or ""
                finish = choice.finish_reason or finish
        return completion.choices[0].message.content, text, finish, usage

    content, text, finish, usage = anyio.run(main)
    assert content == SAFE and text == STORY and finish == "stop" and usage.total_tokens == 18


def test_a_safe_stream_reaches_the_client_byte_for_byte(fleet, stub):
    body = {"model": "story", "messages": [{"role": "user", "content": BENIGN}], "stream": True}
    direct = httpx.post(stub.url + "/v1/chat/completions", json=body, timeout=10)
    proxied = httpx.post(fleet["main"].url + "/chat/completions", json=body, timeout=10)
    assert proxied.status_code == 200 and proxied.headers["content-type"].startswith("text/event-stream")
    assert proxied.content == direct.content  # keep-alive comment, every chunk and [DONE], unchanged
    assert proxied.headers["x-policywarden-stream-mode"] == "buffered"
    assert float(proxied.headers["x-policywarden-classifier-ms"]) > 0


def test_models_list_and_retrieve_pass_through(fleet):
    client = fleet["main"].client()
    assert "story" in {m.id for m in client.models.list().data}
    assert client.models.retrieve("echo").owned_by == "stub"
    with pytest.raises(openai.NotFoundError) as exc:
        client.models.retrieve("no-such-model")
    assert exc.value.body["code"] == "model_not_found"


def test_the_client_cannot_steer_the_upstream_path(fleet, stub):
    r = httpx.get(fleet["main"].url + "/models/..%2F..%2Fadmin", timeout=10)
    assert r.status_code == 404
    assert stub.stub.requests[-1]["raw_path"] == "/v1/models/..%2F..%2Fadmin"  # a model name, not a path
    r = httpx.post(fleet["main"].url + "/chat/completions", timeout=10,
                   json={"model": "echo", "messages": [{"role": "user", "content": BENIGN}], "base_url": "http://evil.test"},
                   headers={"x-forwarded-host": "evil.test", "host": "evil.test"})
    assert r.status_code == 200 and stub.stub.requests[-1]["path"] == "/v1/chat/completions"
    assert "x-forwarded-host" not in stub.stub.requests[-1]["headers"]


# ---- upstream failures --------------------------------------------------------------------------


def test_upstream_4xx_come_back_unchanged(fleet):
    client = fleet["main"].client()
    with pytest.raises(openai.RateLimitError) as exc:
        client.chat.completions.create(model="429", messages=[{"role": "user", "content": BENIGN}])
    assert exc.value.response.headers["retry-after"] == "7"
    assert exc.value.response.headers["x-ratelimit-remaining-requests"] == "0"
    assert exc.value.body["code"] == "rate_limit_exceeded"
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(model="400", messages=[{"role": "user", "content": BENIGN}])
    assert exc.value.body["param"] == "temperature" and exc.value.body["code"] == "invalid_value"


@pytest.mark.parametrize("upstream, status", [("500", 502), ("503", 502), ("504", 504)])
def test_upstream_5xx_become_502_or_504_never_a_policy_block(fleet, upstream, status):
    r = httpx.post(fleet["main"].url + "/chat/completions", timeout=10,
                   json={"model": upstream, "messages": [{"role": "user", "content": BENIGN}]})
    assert r.status_code == status
    assert r.json()["error"]["code"] == "upstream_error" and r.json()["error"]["upstream_status"] == int(upstream)
    assert r.headers["x-policywarden-upstream-status"] == upstream


def test_stream_requests_get_upstream_errors_as_statuses_too(fleet):
    for upstream, status in (("429", 429), ("500", 502)):
        r = httpx.post(fleet["main"].url + "/chat/completions", timeout=10,
                       json={"model": upstream, "messages": [{"role": "user", "content": BENIGN}], "stream": True})
        assert r.status_code == status


def test_an_upstream_that_ignores_stream_is_screened_whole(fleet):
    r = httpx.post(fleet["main"].url + "/chat/completions", timeout=10,
                   json={"model": "ignores-stream", "messages": [{"role": "user", "content": BENIGN}], "stream": True})
    assert r.status_code == 200 and r.json()["choices"][0]["finish_reason"] == "content_filter"


def test_an_upstream_stalling_mid_stream_ends_it_with_an_error_event(fleet, stub):
    tag = uuid.uuid4().hex[:8]
    stream = fleet["main"].client().chat.completions.create(  # the proxy waits 1.5 s between events
        model=f"stall:{tag}", messages=[{"role": "user", "content": BENIGN}], stream=True)
    with pytest.raises(openai.APIError) as exc:
        read_stream(stream)
    assert exc.value.body["code"] == "upstream_timeout"
    assert wait_for_event(stub, tag, "cut off")


def test_slow_upstream_is_a_504(fleet):
    with pytest.raises(openai.InternalServerError) as exc:  # the proxy's timeout is 1.5 s
        fleet["main"].client(timeout=20).chat.completions.create(model="slow", messages=[{"role": "user", "content": BENIGN}])
    assert exc.value.status_code == 504 and exc.value.body["code"] == "upstream_timeout"


def test_unreachable_upstream_is_a_502(fleet):
    with pytest.raises(openai.APIStatusError) as exc:
        fleet["tenants"].client(fleet["tenants"].keys["p3"]).chat.completions.create(
            model="echo", messages=[{"role": "user", "content": BENIGN}])
    assert exc.value.status_code == 502 and exc.value.body["code"] == "upstream_unreachable"


# ---- prompts ------------------------------------------------------------------------------------


def test_a_refused_prompt_is_an_openai_error_and_never_forwarded(fleet, stub):
    tag, who = uuid.uuid4().hex[:8], user_id()
    with pytest.raises(openai.BadRequestError) as exc:
        fleet["main"].client().chat.completions.create(
            model=f"echo:{tag}", user=who,
            messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": BOMB}])
    err = exc.value.body
    assert err["code"] == "content_policy_violation" and err["param"] == "messages[1]"
    assert "protect.weapons" in err["policywarden"]["categories"] and err["policywarden"]["surface"] == "input"
    assert err["policywarden"]["violation_id"] > 0
    assert sent_to_stub(stub, tag) == []


def test_a_violation_is_recorded_against_the_end_user_and_then_withheld_with_403(fleet):
    main, who = fleet["main"], user_id()
    client = main.client()
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="echo", messages=[{"role": "user", "content": BOMB}], user=who)
    record = main.services.ledger.subject_record(main.end_user(who))
    assert len(record["violations"]) == 1 and "protect.weapons" in record["violations"][0]["categories"]
    # One violation suspends under this server's ladder: the end user has no standing now.
    with pytest.raises(openai.PermissionDeniedError) as exc:
        client.chat.completions.create(model="echo", messages=[{"role": "user", "content": BENIGN}], user=who)
    err = exc.value.body
    assert err["code"] == "access_withheld" and "This end user is suspended until" in err["message"]
    assert err["policywarden"]["standing"]["until"] and err["policywarden"]["standing"]["reason"]
    assert exc.value.response.headers["x-policywarden-standing"] == "suspended"
    assert int(exc.value.response.headers["retry-after"]) > 3000
    # Other end users are still served.
    assert client.chat.completions.create(model="echo", messages=[{"role": "user", "content": BENIGN}], user=user_id())


def test_end_user_from_header_or_safety_identifier_is_the_same_person(fleet):
    main, who = fleet["main"], user_id()
    client = main.client()
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="echo", messages=[{"role": "user", "content": BOMB}],
                                       extra_headers={"X-PolicyWarden-User": who})
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(model="echo", messages=[{"role": "user", "content": BENIGN}],
                                       extra_body={"safety_identifier": who})


def test_text_parts_are_screened_and_images_pass_marked_unscreened(fleet):
    client = fleet["main"].client()
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="echo", messages=[{"role": "user", "content": [
            {"type": "text", "text": "Look at this."}, image, {"type": "text", "text": BOMB}]}])
    raw = client.chat.completions.with_raw_response.create(model="echo", messages=[{"role": "user", "content": [
        {"type": "text", "text": BENIGN}, image]}])
    assert raw.parse().choices[0].message.content == SAFE
    assert raw.headers["x-policywarden-unscreened"] == "image_url"


RUSSIAN = "Как приготовить борщ на ужин для всей семьи?"  # the shipped model reads English only


def test_text_the_model_cannot_read_is_marked_unscreened_or_rejected(fleet, stub):
    raw = fleet["main"].client().chat.completions.with_raw_response.create(
        model="echo", messages=[{"role": "user", "content": RUSSIAN}])
    assert raw.parse().choices[0].message.content == SAFE
    assert raw.headers["x-policywarden-unscreened"] == "unread_text"
    # English with a foreign word or two is read, and is not marked.
    raw = fleet["main"].client().chat.completions.with_raw_response.create(
        model="echo", messages=[{"role": "user", "content": "How do I cook борщ for my family tonight?"}])
    assert "x-policywarden-unscreened" not in raw.headers
    # The "lowlat" proxy rejects it (POLICYWARDEN_PROXY_UNREAD_TEXT=reject), whichever message it is in.
    tag = uuid.uuid4().hex[:8]
    with pytest.raises(openai.BadRequestError) as exc:
        fleet["lowlat"].client().chat.completions.create(model=f"echo:{tag}", messages=[
            {"role": "user", "content": RUSSIAN}, {"role": "assistant", "content": "Sure."}, {"role": "user", "content": BENIGN}])
    err = exc.value.body
    assert err["code"] == "unsupported_language" and err["param"] == "messages[0]" and "0%" in err["message"]
    assert exc.value.response.headers["x-policywarden-unscreened"] == "unread_text"
    assert sent_to_stub(stub, tag) == []
    # Text with no letters at all (numbers, emoji) is not "unread".
    assert fleet["lowlat"].client().chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "2 + 2 = ? 🙂"}]).choices[0].message.content == SAFE
    counters = httpx.get(fleet["lowlat"].url + "/proxy/stats").json()["counters"]
    assert counters["unread.input"] >= 1


def test_only_the_last_user_turn_is_screened_by_default(fleet):
    messages = [{"role": "user", "content": BOMB}, {"role": "assistant", "content": "I can't help with that."},
                {"role": "user", "content": BENIGN}]
    completion = fleet["main"].client().chat.completions.create(model="echo", messages=messages)
    assert completion.choices[0].message.content == SAFE


def test_conversation_scope_and_refusal_completions(fleet, stub):
    tag = uuid.uuid4().hex[:8]
    messages = [{"role": "user", "content": BOMB}, {"role": "assistant", "content": "I can't help with that."},
                {"role": "user", "content": BENIGN}]
    client = fleet["lowlat"].client()
    completion = client.chat.completions.create(model=f"echo:{tag}", messages=messages)
    assert completion.choices[0].finish_reason == "content_filter"
    assert "usage policy" in completion.choices[0].message.content
    assert "protect.weapons" in completion.model_extra["policywarden"]["categories"]
    text, finish, _ = read_stream(client.chat.completions.create(model=f"echo:{tag}", messages=messages, stream=True))
    assert "usage policy" in text and finish == "content_filter"
    assert sent_to_stub(stub, tag) == []


def test_a_warned_prompt_is_forwarded_recorded_and_flagged_in_headers(fleet):
    lowlat, who = fleet["lowlat"], user_id()
    raw = lowlat.client().chat.completions.with_raw_response.create(
        model="echo", messages=[{"role": "user", "content": WARNED}], user=who)
    assert raw.parse().choices[0].message.content == SAFE
    assert raw.headers["x-policywarden-input-action"] == "warn"
    assert "empower.academic_dishonesty" in raw.headers["x-policywarden-input-categories"]
    record = lowlat.services.ledger.subject_record(lowlat.end_user(who))
    assert len(record["violations"]) == 1


# ---- answers ------------------------------------------------------------------------------------


def test_an_unsafe_answer_is_withheld_and_recorded(fleet):
    main, who = fleet["main"], user_id()
    raw = main.client().chat.completions.with_raw_response.create(
        model="unsafe", messages=[{"role": "user", "content": BENIGN}], user=who, logprobs=True)
    completion = raw.parse()
    choice = completion.choices[0]
    assert choice.finish_reason == "content_filter" and choice.message.content is None and choice.logprobs is None
    assert completion.model_extra["policywarden"]["surface"] == "output"
    assert completion.usage.total_tokens == 18  # the rest of the answer is the upstream's
    assert raw.headers["x-policywarden-output-action"] in ("block", "escalate")
    violations = main.services.ledger.subject_record(main.end_user(who))["violations"]
    assert [v["surface"] for v in violations] == ["output"]


def test_a_whole_answer_is_judged_with_the_user_turn_it_replies_to(fleet):
    lowlat = fleet["lowlat"]
    asked = [{"role": "user", "content": WARNED}]
    who = user_id()
    raw = lowlat.client().chat.completions.with_raw_response.create(model="essay", messages=asked, user=who)
    assert raw.parse().choices[0].message.content.startswith("Of course!")  # warned, so not withheld
    assert "empower.academic_dishonesty" in raw.headers["x-policywarden-output-categories"]
    # The prompt's violation is on record once; the answer that carried it out adds no second one.
    assert len(lowlat.services.ledger.subject_record(lowlat.end_user(who))["violations"]) == 1
    raw = lowlat.client().chat.completions.with_raw_response.create(model="declines", messages=asked, user=user_id())
    assert "x-policywarden-output-categories" not in raw.headers


def test_only_the_unsafe_choice_is_withheld(fleet):
    completion = fleet["main"].client().chat.completions.create(model="mixed", n=2,
                                                                messages=[{"role": "user", "content": BENIGN}])
    first, second = completion.choices
    assert first.message.content == SAFE and first.finish_reason == "stop"
    assert second.message.content is None and second.finish_reason == "content_filter"


def test_buffered_stream_never_shows_the_unsafe_part_and_ends_properly(fleet, stub):
    tag = uuid.uuid4().hex[:8]
    text, finish, chunks = read_stream(fleet["main"].client().chat.completions.create(
        model=f"unsafe-midway:{tag}", messages=[{"role": "user", "content": BENIGN}], stream=True))
    assert finish == "content_filter"
    assert "bomb" not in text and "powder" not in text
    assert text and UNSAFE_MIDWAY.startswith(text)
    assert chunks[-1].model_extra["policywarden"]["surface"] == "output"
    assert wait_for_event(stub, tag, "cut off")  # the upstream request was cancelled


def test_a_stream_ended_on_a_violation_closes_with_content_filter_and_done(fleet):
    r = httpx.post(fleet["main"].url + "/chat/completions", timeout=10,
                   json={"model": "unsafe-midway", "messages": [{"role": "user", "content": BENIGN}], "stream": True})
    events = raw_events(r)
    assert events[-1] == "data: [DONE]"
    last = json.loads(events[-2][len("data: "):])
    assert last["object"] == "chat.completion.chunk" and last["id"] == "chatcmpl-stub456"
    assert last["choices"] == [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "content_filter"}]


def test_low_latency_stream_passes_chunks_and_ends_on_a_violation(fleet, stub):
    tag = uuid.uuid4().hex[:8]
    text, finish, _ = read_stream(fleet["lowlat"].client().chat.completions.create(
        model=f"unsafe-midway:{tag}", messages=[{"role": "user", "content": BENIGN}], stream=True))
    assert finish == "content_filter"
    assert UNSAFE_MIDWAY.startswith(text) and len(text) < len(UNSAFE_MIDWAY) - len(STORY)
    assert wait_for_event(stub, tag, "cut off")


def test_client_disconnect_cancels_a_streaming_upstream_request(fleet, stub):
    tag = uuid.uuid4().hex[:8]
    stream = fleet["main"].client().chat.completions.create(
        model=f"endless:{tag}", messages=[{"role": "user", "content": BENIGN}], stream=True)
    text = ""
    for c in stream:
        text += c.choices[0].delta.content or "" if c.choices else ""
        if len(text) > 300:
            break
    stream.close()
    assert wait_for_event(stub, tag, "cut off")


def test_client_disconnect_cancels_a_waiting_upstream_request(fleet, stub):
    tag = uuid.uuid4().hex[:8]
    with pytest.raises(openai.APITimeoutError):  # this server waits 300 s for an upstream: only the client leaves
        fleet["lowlat"].client(timeout=0.5).chat.completions.create(
            model=f"slow:{tag}", messages=[{"role": "user", "content": BENIGN}])
    assert wait_for_event(stub, tag, "disconnected")


# ---- keys, projects, capacity ---------------------------------------------------------------------


def test_project_upstreams_keys_and_headers(fleet, stub):
    tenants = fleet["tenants"]
    tag = uuid.uuid4().hex[:8]
    client = tenants.client(tenants.keys["p1"])
    assert client.chat.completions.create(model=f"echo:{tag}", messages=[{"role": "user", "content": BENIGN}])
    [received] = sent_to_stub(stub, tag)
    assert received["path"] == "/p1/v1/chat/completions"
    assert received["headers"]["authorization"] == "Bearer sk-p1" and received["headers"]["x-tenant"] == "acme-p1"
    assert {m.id for m in client.models.list().data} >= {"echo"}
    assert stub.stub.requests[-1]["path"] == "/p1/v1/models"


def test_without_an_upstream_the_proxy_answers_503(fleet):
    with pytest.raises(openai.InternalServerError) as exc:
        fleet["tenants"].client(fleet["tenants"].keys["none"]).chat.completions.create(
            model="echo", messages=[{"role": "user", "content": BENIGN}])
    assert exc.value.status_code == 503 and exc.value.body["code"] == "proxy_not_configured"


def test_a_suspended_project_gets_403_with_reason_and_until(fleet):
    tenants = fleet["tenants"]
    with pytest.raises(openai.PermissionDeniedError) as exc:
        tenants.client(tenants.keys["p2"]).chat.completions.create(model="echo", messages=[{"role": "user", "content": BENIGN}])
    assert exc.value.body["message"].startswith("This project is suspended until ")
    assert "unpaid invoices" in exc.value.body["message"]
    with pytest.raises(openai.PermissionDeniedError):
        tenants.client(tenants.keys["p2"]).models.list()


def test_a_restricted_end_user_loses_tools_and_is_rate_limited(fleet):
    main, who = fleet["main"], user_id()
    main.services.ledger.act(main.end_user(who), "restrict", "person:ops", "repeated spam", duration=timedelta(hours=1),
                             restrictions={"rate_limit_per_minute": 1, "blocked_features": ["tools"]})
    client = main.client()
    with pytest.raises(openai.PermissionDeniedError) as exc:
        client.chat.completions.create(model="tools", messages=[{"role": "user", "content": "Weather?"}],
                                       tools=[WEATHER_TOOL], user=who)
    assert exc.value.body["code"] == "feature_restricted"
    assert client.chat.completions.create(model="echo", messages=[{"role": "user", "content": BENIGN}], user=who)
    with pytest.raises(openai.RateLimitError) as exc:
        client.chat.completions.create(model="echo", messages=[{"role": "user", "content": BENIGN}], user=who)
    assert int(exc.value.response.headers["retry-after"]) > 0


def test_requests_beyond_capacity_are_shed_with_503_and_retry_after(fleet, stub):
    tenants = fleet["tenants"]
    client = tenants.client(tenants.keys["p1"])
    streams = [client.chat.completions.create(model=f"endless:{uuid.uuid4().hex[:8]}",
                                              messages=[{"role": "user", "content": BENIGN}], stream=True) for _ in range(2)]
    try:
        with pytest.raises(openai.InternalServerError) as exc:
            client.chat.completions.create(model="echo", messages=[{"role": "user", "content": BENIGN}])
        assert exc.value.status_code == 503 and exc.value.body["code"] == "proxy_overloaded"
        assert exc.value.response.headers["retry-after"] == "1"
    finally:
        for s in streams:
            s.close()
    deadline = time.time() + 10  # the streams give their slots back once the server sees them go
    while time.time() < deadline:
        try:
            assert client.chat.completions.create(model="echo", messages=[{"role": "user", "content": BENIGN}])
            break
        except openai.InternalServerError:
            time.sleep(0.1)
    else:
        pytest.fail("capacity did not come back after the streams ended")


def test_proxy_stats_need_an_admin_key(fleet):
    tenants = fleet["tenants"]
    with pytest.raises(openai.PermissionDeniedError):
        tenants.client(tenants.keys["p2"]).chat.completions.create(model="echo", messages=[{"role": "user", "content": BENIGN}])
    r = httpx.get(tenants.url + "/proxy/stats", headers={"authorization": f"Bearer {tenants.keys['p1']}"})
    assert r.status_code == 403
    r = httpx.get(tenants.url + "/proxy/stats", headers={"authorization": f"Bearer {tenants.keys['admin']}"})
    assert r.status_code == 200 and r.json()["counters"]["withheld"] >= 1


# ---- failure policy --------------------------------------------------------------------------------


def test_fail_closed_answers_503_when_the_classifier_or_ledger_fails(fleet):
    client = fleet["closed"].client()
    with pytest.raises(openai.InternalServerError) as exc:
        client.chat.completions.create(model="echo", messages=[{"role": "user", "content": BENIGN}])
    assert exc.value.status_code == 503 and exc.value.body["code"] == "classifier_unavailable"
    assert exc.value.response.headers["retry-after"]
    with pytest.raises(openai.InternalServerError) as exc:
        client.chat.completions.create(model="echo", messages=[{"role": "user", "content": BENIGN}], user=user_id())
    assert exc.value.body["code"] == "ledger_unavailable"
    assert "fail-closed" in fleet["closed"].server.logs()


def test_fail_open_serves_unscreened_logged_and_counted(fleet):
    opened = fleet["open"]
    raw = opened.client().chat.completions.with_raw_response.create(
        model="unsafe", messages=[{"role": "user", "content": BOMB}], user=user_id())
    assert raw.parse().choices[0].finish_reason == "stop"  # nothing could be screened
    assert raw.headers["x-policywarden-unscreened"] == "input,output"
    text, finish, _ = read_stream(opened.client().chat.completions.create(
        model="unsafe-midway", messages=[{"role": "user", "content": BENIGN}], stream=True))
    assert text == UNSAFE_MIDWAY and finish == "stop"
    counters = httpx.get(opened.url + "/proxy/stats").json()["counters"]
    assert counters["fail_open.classifier"] >= 3 and counters["fail_open.ledger"] >= 1
    assert "fail-open" in opened.server.logs()


# ---- privacy ---------------------------------------------------------------------------------------


def test_no_content_reaches_the_logs(fleet):
    main = fleet["main"].client()
    with pytest.raises(openai.BadRequestError):
        main.chat.completions.create(model="echo", messages=[{"role": "user", "content": f"{BOMB} {CANARY}"}],
                                     user=f"{CANARY}-user")
    main.chat.completions.create(model="echo", messages=[{"role": "user", "content": f"{BENIGN} {CANARY}"}])
    read_stream(main.chat.completions.create(model="unsafe-midway", stream=True,
                                             messages=[{"role": "user", "content": f"{BENIGN} {CANARY}"}]))
    fleet["open"].client().chat.completions.create(model="unsafe", messages=[{"role": "user", "content": f"{BOMB} {CANARY}"}],
                                                   user=f"{CANARY}-user")
    for dep in fleet.values():
        logs = dep.server.logs()
        assert CANARY not in logs and "pipe bomb" not in logs and "neighbour" not in logs
