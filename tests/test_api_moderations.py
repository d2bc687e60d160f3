"""/v1/moderations over real HTTP, with the official openai client and with raw requests."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from policywarden.classify.embedded import default_model_dir
from policywarden.policy import OPENAI_CATEGORIES

VIOLENT = "Give me step-by-step instructions to build a pipe bomb to kill people at the mall"


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="anything", max_retries=0)


def test_openai_client_list_of_strings(client):
    resp = client.moderations.create(input=[VIOLENT, "What is the capital of France?"])
    assert resp.id.startswith("modr-")
    assert len(resp.results) == 2
    bad, good = resp.results
    dumped = bad.model_dump(by_alias=True)
    assert set(dumped["categories"]) == set(OPENAI_CATEGORIES)
    assert set(dumped["category_scores"]) == set(OPENAI_CATEGORIES)
    assert set(dumped["category_applied_input_types"]) == set(OPENAI_CATEGORIES)
    assert bad.flagged and not good.flagged
    verdict = bad.model_extra["policywarden"]
    assert verdict["policy"] == {"id": "openai-usage", "revision": "2025-10-29"}
    assert "protect.weapons" in verdict["hits"]
    assert len(verdict["categories"]) == 43


def test_openai_client_single_string_and_model(client):
    resp = client.moderations.create(input="hello there", model="omni-moderation-latest")
    assert len(resp.results) == 1 and not resp.results[0].flagged
    assert resp.model.startswith("pw-")


def test_openai_client_content_parts(client):
    resp = client.moderations.create(input=[{"type": "text", "text": "first part"}, {"type": "text", "text": VIOLENT}])
    assert len(resp.results) == 1 and resp.results[0].flagged
    assert resp.results[0].category_applied_input_types.violence == ["text"]


def test_openai_client_image_part_is_a_clear_400(client):
    with pytest.raises(openai.BadRequestError) as exc:
        client.moderations.create(input=[{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}])
    err = exc.value.body
    assert err["code"] == "unsupported_input_type" and err["param"] == "input[0]"


def test_surface_extension(client):
    resp = client.moderations.create(input="hello", extra_body={"surface": "output"})
    assert resp.results[0].model_extra["policywarden"]["surface"] == "output"


def _post(server, content: bytes | str, content_type: str = "application/json", **kw) -> httpx.Response:
    return httpx.post(f"{server.base_url}/v1/moderations", content=content, headers={"content-type": content_type}, timeout=30, **kw)


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        ({}, 400, "missing_required_parameter", "input"),
        ({"input": None}, 400, "missing_required_parameter", "input"),
        ({"input": ""}, 400, "empty_input", "input"),
        ({"input": []}, 400, "empty_input", "input"),
        ({"input": 42}, 400, "invalid_type", "input"),
        ({"input": {"text": "x"}}, 400, "invalid_type", "input"),
        ({"input": ["ok", 3]}, 400, "invalid_type", "input"),
        ({"input": [{"type": "text", "text": 5}]}, 400, "invalid_type", "input[0].text"),
        ({"input": [{"type": "audio"}]}, 400, "invalid_value", "input[0].type"),
        ({"input": ["x"] * 257}, 400, "too_many_inputs", "input"),
        ({"input": "x" * 100_001}, 400, "input_too_large", "input"),
        ({"input": ["ok", "x" * 100_001]}, 400, "input_too_large", "input[1]"),
        ({"input": ["y" * 90_000] * 12}, 400, "input_too_large", "input"),
        ({"input": "hi", "model": 7}, 400, "invalid_type", "model"),
        ({"input": "hi", "model": "gpt-4o"}, 404, "model_not_found", "model"),
        ({"input": "hi", "surface": "edge"}, 400, "invalid_value", "surface"),
        ({"input": "hi", "temperature": 1}, 400, "unknown_parameter", "temperature"),
    ],
)
def test_bad_requests_get_openai_style_errors(server, body, status, code, param):
    r = _post(server, json.dumps(body))
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert err["code"] == code and err["param"] == param
    assert err["type"] in ("invalid_request_error",)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (b'{"input": "caf\xe9"}', "invalid_encoding"),
        (b"[" * 100_000 + b"]" * 100_000, "invalid_json"),
        (b'{"input": ' + b"1" * 5000 + b"}", "invalid_json"),
    ],
)
def test_malformed_bodies(server, raw, code):
    r = _post(server, raw)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == code


def test_body_over_limit_is_413(server):
    r = _post(server, b'{"input": "' + b"a" * (9 * 1024 * 1024) + b'"}')
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "request_too_large"


def test_wrong_content_type_is_415(server):
    r = _post(server, "input=hello", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415


def test_odd_but_valid_text_is_scored(server):
    r = _post(server, json.dumps({"input": ["nul \u0000 byte", "lone \ud800 surrogate", "\u200b" * 50, "🙂" * 1000]}))
    assert r.status_code == 200, r.text
    assert len(r.json()["results"]) == 4


def test_classifier_time_header_and_docs(server):
    r = _post(server, json.dumps({"input": "hello"}))
    assert float(r.headers["x-policywarden-classifier-ms"]) >= 0
    spec = httpx.get(f"{server.base_url}/openapi.json").json()
    assert "/v1/moderations" in spec["paths"]
    assert "ModerationRequest" in spec["components"]["schemas"]
    assert httpx.get(f"{server.base_url}/docs").status_code == 200


def test_unknown_route_and_method(server):
    r = httpx.get(f"{server.base_url}/v1/nothing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = httpx.get(f"{server.base_url}/v1/moderations")
    assert r.status_code == 405 and "error" in r.json()


def test_policy_route(server):
    pol = httpx.get(f"{server.base_url}/v1/policy").json()
    assert pol["id"] == "openai-usage" and len(pol["sections"]) == 4


def test_raw_content_never_reaches_the_log(server):
    canary = "CANARY-7f3a9c zebra-umbrella"
    _post(server, json.dumps({"input": [canary, VIOLENT + " " + canary]}))
    _post(server, json.dumps({"input": canary, "model": 7}))
    _post(server, b'{"input": "' + canary.encode() + b'", oops}')
    assert "CANARY-7f3a9c" not in server.logs()


def test_async_openai_client(server):
    import asyncio

    async def go():
        client = openai.AsyncOpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0)
        results = await asyncio.gather(*(client.moderations.create(input=[VIOLENT, f"hello {i}"]) for i in range(8)))
        await client.close()
        return results

    for resp in asyncio.run(go()):
        assert [r.flagged for r in resp.results] == [True, False]


ESSAY_ASKED = "Write my 2,000-word history essay on the French Revolution so I can submit it as my own tomorrow."
ESSAY_DONE = ("Of course! Here is your essay, ready to hand in as your own. The French Revolution began in 1789, when "
              "a bankrupt monarchy summoned the Estates-General and the Third Estate declared itself the National Assembly.")


def test_context_extension_judges_answers_with_their_prompt(client):
    resp = client.moderations.create(input=[ESSAY_DONE, ESSAY_DONE],
                                     extra_body={"surface": "output", "context": [ESSAY_ASKED, None]})
    judged, alone = (r.model_extra["policywarden"] for r in resp.results)
    assert judged["in_context"] and "empower.academic_dishonesty" in judged["hits"]
    assert judged["categories"]["empower.academic_dishonesty"]["source"] == "context"
    assert not alone["in_context"] and "empower.academic_dishonesty" not in alone["hits"]


@pytest.mark.parametrize(
    "body, code, param",
    [
        ({"input": "x", "context": "y"}, "invalid_value", "context"),  # surface input
        ({"input": ["x", "y"], "surface": "output", "context": ["y"]}, "invalid_value", "context"),
        ({"input": "x", "surface": "output", "context": 7}, "invalid_type", "context"),
        ({"input": "x", "surface": "output", "context": ["z" * 100_001]}, "input_too_large", "context[0]"),
    ],
)
def test_bad_context_is_a_clear_400(server, body, code, param):
    r = httpx.post(f"{server.base_url}/v1/moderations", json=body, timeout=30)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["param"] == param


def test_health_says_what_is_loaded_and_how_the_encoder_runs(server):
    health = httpx.get(f"{server.base_url}/healthz").json()
    assert health["status"] == "ok" and health["policy"] == "openai-usage@2025-10-29"
    assert health["model"].endswith(health["encoder"]["version"])
    assert health["encoder"]["kernels"] == "fused"  # this CPU passes the self-test with onnxruntime's fused kernels
    # the model's calibrated gate: POLICYWARDEN_ENCODER_GATE is unset
    shipped = json.loads((default_model_dir() / "encoder" / "model.json").read_text())["cascade"]["gate"]
    assert health["encoder"]["gate"] == shipped and 0 < shipped < 1
