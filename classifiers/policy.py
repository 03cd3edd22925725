"""The label policy: from fired rules to one label and a score. Kept apart from matching.

1. Core evidence is the sum of the contributions of the fired ``core`` rules. If it reaches the
   core threshold, the story is **core**.
2. Otherwise all evidence (core + related) is added up: core evidence that falls short of core still
   shows the story is on the topic's edge. If it reaches the related threshold, **related**.
3. Otherwise **none**.

The score is the total evidence, so stories can be ranked inside a label. Thresholds come from the
pack's ``rules.yaml`` (``labels: core: threshold``), so users can tune them without code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .rules_engine import FiredRule

LABEL_RANK = {"none": 0, "related": 1, "core": 2}


def decide(fired: Sequence[FiredRule], thresholds: Mapping[str, float]) -> tuple[str, float]:
    core = sum(f.contribution for f in fired if f.rule.label == "core")
    total = sum(f.contribution for f in fired)
    if core >= thresholds["core"]:
        label = "core"
    elif total >= thresholds["related"]:
        label = "related"
    else:
        label = "none"
    return label, round(total, 3)


def score_meaning(label: str, score: float, thresholds: Mapping[str, float], language: str = "ar") -> str:
    """One line telling a reader what the score means against the pack's thresholds (this policy)."""
    core, related = thresholds.get("core"), thresholds.get("related")
    if language == "ar":
        head = f"الدرجة {score:.2f}"
        if core is None or related is None:
            return head
        if label == "core":
            return f"{head} — بلغت أدلة القواعد الأساسية عتبة «أساسي» ({core:g})"
        if label == "related":
            return f"{head} — بلغت عتبة «ذو صلة» ({related:g})؛ «أساسي» يحتاج {core:g} من القواعد الأساسية"
        return f"{head} — دون عتبة «ذو صلة» ({related:g})"
    head = f"score {score:.2f}"
    if core is None or related is None:
        return head
    if label == "core":
        return f"{head}: core rules reach the core threshold ({core:g})"
    if label == "related":
        return f"{head}: reaches the related threshold ({related:g}); core needs {core:g} from core rules"
    return f"{head}: below the related threshold ({related:g})"
