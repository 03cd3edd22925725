from __future__ import annotations

import pytest

from classifiers import Classifier, load_classifier


@pytest.fixture(scope="session")
def clf() -> Classifier:
    """The bundled rule packs, compiled once for the whole test session."""
    return load_classifier()
