"""Model heads (from SPEC.md) and helpers that keep a label set consistent.

A record carries ``labels`` (head -> 0/1) and ``default`` (0 or None) for
every head not listed.  ``complete()`` applies the implications that hold by
definition, so that every source obeys the same logic:

* OpenAI sub-categories imply their parent (``openai:hate/threatening`` ->
  ``openai:hate``), and a known-negative parent makes its children negative.
* ``any`` is 1 as soon as one policy category is 1; ``any`` = 0 makes every
  policy category 0 (written out explicitly when ``default`` is None).
* ``minors.csam`` implies ``openai:sexual/minors``; ``protect.self_harm``
  (promotion or facilitation) implies ``openai:self-harm``.
* ``any`` = 1 with ``default`` = 0 and no positive policy head would claim
  "harmful but in no category": the default is relaxed to None.
"""

PROTECT = [
    "protect.harassment", "protect.self_harm", "protect.sexual_violence",
    "protect.violence_terrorism", "protect.weapons", "protect.illicit",
    "protect.cyber_ip", "protect.gambling", "protect.tailored_advice",
    "protect.safety_testing", "protect.circumvention", "protect.national_security",
]
PRIVACY = [
    "privacy.compromise", "privacy.facial_recognition_db", "privacy.remote_biometric_id",
    "privacy.likeness", "privacy.social_scoring", "privacy.emotion_inference",
    "privacy.predictive_policing",
]
MINORS = [
    "minors.csam", "minors.grooming", "minors.age_inappropriate", "minors.unhealthy_dieting",
    "minors.body_shaming", "minors.dangerous_challenges", "minors.sexual_violent_roleplay",
    "minors.age_restricted",
]
HIGH_STAKES = ["empower.high_stakes." + s for s in (
    "critical_infrastructure", "education", "housing", "employment", "credit", "insurance",
    "legal", "medical", "government_services", "product_safety", "national_security",
    "migration", "law_enforcement")]
EMPOWER = ["empower.academic_dishonesty", "empower.fraud", "empower.political"] + HIGH_STAKES

POLICY_HEADS = PROTECT + PRIVACY + MINORS + EMPOWER
assert len(POLICY_HEADS) == 43

OPENAI_HEADS = ["openai:" + n for n in (
    "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
    "illicit/violent", "self-harm", "self-harm/intent", "self-harm/instructions", "sexual",
    "sexual/minors", "violence", "violence/graphic")]
ALL_HEADS = POLICY_HEADS + OPENAI_HEADS + ["any"]
HEAD_SET = frozenset(ALL_HEADS)

# child -> parent for the OpenAI taxonomy
OPENAI_PARENT = {
    "openai:harassment/threatening": "openai:harassment",
    "openai:hate/threatening": "openai:hate",
    "openai:illicit/violent": "openai:illicit",
    "openai:self-harm/intent": "openai:self-harm",
    "openai:self-harm/instructions": "openai:self-harm",
    "openai:sexual/minors": "openai:sexual",
    "openai:violence/graphic": "openai:violence",
}
# head -> heads it implies (beyond the taxonomy above)
IMPLIES = {
    "minors.csam": ["openai:sexual/minors"],
    "protect.self_harm": ["openai:self-harm"],
}


def complete(labels, default):
    """Return (labels, default) closed under the implications listed above."""
    lab = dict(labels)
    unknown = [h for h in lab if h not in HEAD_SET]
    if unknown:
        raise ValueError(f"unknown heads {unknown}")
    for head, implied in IMPLIES.items():
        if lab.get(head) == 1:
            for h in implied:
                lab[h] = 1
    for child, parent in OPENAI_PARENT.items():
        if lab.get(child) == 1:
            lab[parent] = 1
    for child, parent in OPENAI_PARENT.items():
        if lab.get(parent) == 0 and lab.get(child) is None and default is None:
            lab[child] = 0
    if any(lab.get(h) == 1 for h in POLICY_HEADS):
        lab["any"] = 1
    if lab.get("any") == 0 and default is None:
        for h in POLICY_HEADS:
            lab.setdefault(h, 0)
    if lab.get("any") == 1 and default == 0 and not any(lab.get(h) == 1 for h in POLICY_HEADS):
        default = None
    return {h: lab[h] for h in ALL_HEADS if h in lab}, default


def value(labels, default, head):
    """The known value of ``head`` (0, 1) or None when unknown."""
    return labels.get(head, default)
