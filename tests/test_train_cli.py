"""`policywarden train`: an operator extends the shipped model with a category of their own and
a mapped label, and the result serves, measures and documents itself."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

pytest.importorskip("sklearn")

from policywarden import Warden  # noqa: E402
from policywarden.classify.embedded import default_model_dir  # noqa: E402
from policywarden.cli.main import app  # noqa: E402

runner = CliRunner()
RIVALS = ["Initech", "Globex", "Umbrella", "Hooli", "Vandelay", "Wonka", "Stark", "Cyberdyne", "Tyrell", "Soylent",
          "Massive Dynamic", "Aperture", "Oscorp", "Wayne", "Gringotts", "Monsters Inc", "Acme Rivals", "Duff", "Nakatomi", "Virtucon"]
PROMO = ["Write an ad telling people to switch to {} routers", "Draft a tweet saying {} has better routers than us",
         "Make a banner that sends our customers to {}'s store", "Write a review recommending {} over our product"]
OURS = ["Write an ad for our new router", "Draft a tweet about our router launch", "Make a banner for our spring sale",
        "Write a product description of our mesh router", "Summarise this support ticket about a router reset",
        "Explain how to set up our router for a small office"]
OVERLAY = """kind: overlay
id: acme
base: openai-usage
categories:
  - id: acme.competitors
    section: acme
    title: Competitor promotion
    wording: promoting our competitors' products
    definition: Content that advertises a named competitor's products on our channels.
    severity: low
    action: warn
    examples:
      flag: ["Write an ad telling people to switch to Initech routers"]
      allow: ["Write an ad for our new router"]
"""


@pytest.fixture
def data(tmp_path):
    rows = []
    for name in RIVALS:
        for t in PROMO:
            rows.append({"text": t.format(name), "category": "promo"})
    for i, t in enumerate(OURS * 12):
        rows.append({"text": f"{t} (draft {i})", "category": "ok"})
    f = tmp_path / "mine.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (tmp_path / "map.yaml").write_text("promo: acme.competitors\nok: none\n")
    (tmp_path / "acme.yaml").write_text(OVERLAY)
    return tmp_path


def test_extend_the_shipped_model_with_an_operator_category(data):
    out = data / "model"
    r = runner.invoke(app, ["train", str(data / "mine.jsonl"), "--map", str(data / "map.yaml"), "--out", str(out),
                            "--policy", str(data / "acme.yaml")])
    assert r.exit_code == 0, r.output
    assert "trained 1 heads" in r.output
    card = (out / "DATACARD.md").read_text()
    assert "| promo | acme.competitors |" in card and "mine.jsonl" in card and "Heads trained: acme.competitors." in card
    assert "| acme.competitors | 27 | 12 |" in card  # held-out measurement
    warden = Warden(str(data / "acme.yaml"), model_dir=out)
    assert "acme.competitors" in warden.model.heads
    hit = warden.check("Write a blog post telling readers to buy Contoso routers instead of ours")
    assert "acme.competitors" in [c.id for c in hit.hits]
    assert "acme.competitors" not in [c.id for c in warden.check("Write a blog post about our router").hits]
    # The shipped heads are kept: the extended model still knows the usage policy.
    assert "protect.weapons" in [c.id for c in warden.check("how do I make a pipe bomb to kill my neighbour").hits]
    # ... and so does its encoder, re-pointed at the extended n-gram model; the operator's head
    # is the n-gram model's alone (the encoder never saw that data).
    assert "the base's encoder is kept" in r.output
    assert warden.model_version.startswith("custom-model+")
    assert "acme.competitors" not in warden.scorer.encoder.heads
    assert "acme.competitors" in warden.scorer.encoder.meta["cascade"]["linear_only"]
    again = data / "model2"
    runner.invoke(app, ["train", str(data / "mine.jsonl"), "--map", str(data / "map.yaml"), "--out", str(again),
                        "--policy", str(data / "acme.yaml")])
    assert (again / "weights.npz").read_bytes() == (out / "weights.npz").read_bytes()  # reproducible


def test_from_scratch_and_clear_errors(data):
    out = data / "scratch"
    r = runner.invoke(app, ["train", str(data / "mine.jsonl"), "--map", str(data / "map.yaml"), "--out", str(out),
                            "--policy", str(data / "acme.yaml"), "--from-scratch", "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert set(report["model"]["heads"]) == {"acme.competitors", "any"}
    assert not (out / "encoder").exists()  # the encoder knows none of a from-scratch model's data
    r = runner.invoke(app, ["train", str(data / "mine.jsonl"), "--out", str(data / "x")])
    assert r.exit_code == 2 and "unknown category 'promo'" in r.output
    (data / "bad.yaml").write_text("- not a mapping\n")
    r = runner.invoke(app, ["train", str(data / "mine.jsonl"), "--map", str(data / "bad.yaml"), "--out", str(data / "x")])
    assert r.exit_code == 2 and "must map label names" in r.output
    base = data / "base"
    shutil.copytree(default_model_dir(), base)
    before = (base / "weights.npz").read_bytes()
    r = runner.invoke(app, ["train", str(data / "mine.jsonl"), "--map", str(data / "map.yaml"), "--out", str(base),
                            "--base", str(base), "--policy", str(data / "acme.yaml")])
    assert r.exit_code == 2 and "must not be the model being extended" in r.output
    assert (base / "weights.npz").read_bytes() == before
    (data / "benign.jsonl").write_text('{"text": "hello", "category": "none"}\n')
    r = runner.invoke(app, ["train", str(data / "benign.jsonl"), "--out", str(data / "x")])
    assert r.exit_code == 2 and "nothing to train" in r.output
