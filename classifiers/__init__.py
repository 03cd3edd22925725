"""Raqib's rule classifier: a pure library, text (and title) in, decision out.

from classifiers import load_classifier
clf = load_classifier()
d = clf.classify(text, title=title, language="ar")
d.label, d.score, d.rules, d.matches, d.snippets, d.to_dict()
"""

from .engine import Classifier, Decision, Match, load_classifier
from .loader import RuleError

__all__ = ["Classifier", "Decision", "Match", "RuleError", "load_classifier"]
