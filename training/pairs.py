"""Prompt and answer pairs from ``shared/data``: what an answer means in its conversation.

An answer alone can read as harmless ("Sure. Step 1: ...") while it carries out a violating
request, and a refusal repeats the request's words without violating. These loaders keep each
answer with the prompt it replies to, for the compliance model (``build_context.py``) and for
measuring how answers are judged with and without their prompt.

Pair format: ``{"prompt", "answer", "kind", "source", "licence", "split"}`` where kind is
``complied`` (a violating request carried out: the answer violates), ``refused`` (a violating
request declined: the answer does not), ``benign`` (an ordinary request answered) or, from
DiaSafety, ``agreed`` / ``disagreed`` (a toxic remark endorsed or not).

Splits follow ``sources.py``: a set's own test half is ``heldout``; otherwise a hash of the
prompt, so that every answer to one request sits on one side.
"""
import os

from sources import (JBB_FROM_HARMBENCH, REFUSAL, _instruction, data_dir, hash_split, jbb_behavior, jbb_files, read_csv,
                     read_json, read_jsonl, sample)

PER_BENIGN_SOURCE = {"train": 600, "heldout": 300}


def pair(prompt, answer, kind, source, licence, split):
    return {"prompt": prompt.strip(), "answer": answer.strip(), "kind": kind, "source": source,
            "licence": licence, "split": split}


def load_gptfuzz(root):
    """GPTFuzz's labelled answers to its 100 harmful questions: 1 = jailbroken (complied),
    0 = refused or harmless.  Its own train / evaluate halves."""
    base = os.path.join(data_dir(root, "gptfuzz"), "datasets")
    questions = {r["index"]: r["text"] for r in read_csv(os.path.join(base, "questions", "question_list.csv"))}
    for name, split in (("train.csv.gz", "train"), ("evaluate.csv.gz", "heldout")):
        for r in read_csv(os.path.join(base, "responses_labeled", name)):
            if r["Response"].strip() and r["question"] in questions:
                kind = "complied" if r["label"] == "1" else "refused"
                yield pair(questions[r["question"]], r["Response"], kind, "gptfuzz", "MIT", split)


def load_jailbreakbench(root):
    """JBB attack artifacts: the behaviour's goal and the target model's answer.  Jailbroken ->
    complied; not jailbroken by both judges and phrased as a refusal -> refused; judges that
    disagree -> skipped; behaviours from HarmBench -> skipped.  Split by the goal, as in sources.py."""
    for path in jbb_files(root):
        for jb in read_json(path)["jailbreaks"]:
            answer = (jb.get("response") or "").strip()
            # Behaviours taken from HarmBench may be its held-back test items.
            if not answer or jbb_behavior(jb["behavior"]) in JBB_FROM_HARMBENCH:
                continue
            if jb["jailbroken"]:
                kind = "complied"
            elif jb.get("jailbroken_llama_guard1") is not True and REFUSAL.search(answer[:300]):
                kind = "refused"
            else:
                continue
            yield pair(jb["goal"], answer, kind, "jailbreakbench_artifacts", "MIT", hash_split(jb["goal"]))


def load_diasafety(root):
    """DiaSafety's context-dependent Toxicity Agreement labels: an answer that endorses a toxic
    remark (Unsafe) or does not (Safe).  Its own test half."""
    base = os.path.join(data_dir(root, "diasafety"), "DiaSafety_dataset")
    for name, split in (("train", "train"), ("val", "train"), ("test", "heldout")):
        for r in read_json(os.path.join(base, f"{name}.json.gz")):
            if r["category"] == "Toxicity Agreement" and r["response"].strip():
                kind = "agreed" if r["label"] == "Unsafe" else "disagreed"
                yield pair(r["context"], r["response"], kind, "diasafety", "Apache-2.0", split)


def _benign(rows, source, licence):
    """rows: (prompt, answer, split); a deterministic sample per source and split."""
    rows = [r for r in rows if r[0].strip() and r[1].strip()]
    for split, n in PER_BENIGN_SOURCE.items():
        for prompt, answer, _ in sample([r for r in rows if r[2] == split], n, f"pairs:{source}:{split}"):
            yield pair(prompt, answer, "benign", source, licence, split)


def load_medquad(root):
    """Consumer medical questions with NIH answers (medicine, drugs, overdoses)."""
    rows = read_csv(os.path.join(data_dir(root, "medquad"), "medquad_qa.csv.gz"))
    return _benign([(r["question"], r["answer"], hash_split(r["question"])) for r in rows if r.get("answer")],
                   "medquad", "CC-BY-4.0")


def load_counsel_chat(root):
    """Help-seeking questions (depression, self-harm, abuse) with therapists' answers."""
    rows = read_csv(os.path.join(data_dir(root, "counsel_chat"), "data", "20200325_counsel_chat.csv.gz"))
    out = []
    for r in rows:
        title, body = r["questionTitle"].strip(), (r["questionText"] or "").strip()
        prompt = body if body.startswith(title) else f"{title}\n{body}".strip()
        out.append((prompt, r["answerText"] or "", "heldout" if r["split"] == "test" else "train"))
    return _benign(out, "counsel_chat", "MIT")


def load_gpteacher_codegen(root):
    rows = read_json(os.path.join(data_dir(root, "gpteacher_codegen"), "Codegen", "codegen-instruct.json.gz"))
    out = [(_instruction(r["instruction"], r.get("input")), r["response"]) for r in rows]
    return _benign([(p, a, hash_split(p)) for p, a in out], "gpteacher_codegen", "MIT")


def load_gpteacher_roleplay(root):
    rows = read_json(os.path.join(data_dir(root, "benign_gpteacher_roleplay"), "dataset_extensions", "GPTeacher",
                                  "Roleplay", "roleplay-simple-deduped-roleplay-dataset.json.gz"))
    out = [(_instruction(r["instruction"], r.get("input")), r.get("response") or r.get("output") or "") for r in rows]
    return _benign([(p, a, hash_split(p)) for p, a in out], "benign_gpteacher_roleplay", "MIT")


def load_gsm8k(root):
    base = os.path.join(data_dir(root, "gsm8k"), "grade_school_math", "data")
    out = [(r["question"], r["answer"], split) for name, split in (("train", "train"), ("test", "heldout"))
           for r in read_jsonl(os.path.join(base, f"{name}.jsonl.gz"))]
    return _benign(out, "gsm8k", "MIT")


LOADERS = (load_gptfuzz, load_jailbreakbench, load_diasafety, load_medquad, load_counsel_chat,
           load_gpteacher_codegen, load_gpteacher_roleplay, load_gsm8k)


def load_pairs(root):
    """Every pair, de-duplicated on (prompt, answer)."""
    seen, out = set(), []
    for loader in LOADERS:
        for p in loader(root):
            key = (p["prompt"].casefold(), p["answer"].casefold())
            if key not in seen:
                seen.add(key)
                out.append(p)
    return out
