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
