"""Digests: what is due (exactly once), grouped by story, with source health, as files and e-mail.

``run_digest`` (in ``digests.run``) is the entry point the CLI and the daemon call; it is re-exported
here lazily so importing the package stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DigestResult", "run_digest"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from digests import run

        return getattr(run, name)
    raise AttributeError(name)
