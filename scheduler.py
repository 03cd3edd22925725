"""The Raqib daemon (APScheduler). Nothing is built at import time."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `raqib daemon`."""
