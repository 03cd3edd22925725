"""The cluster mode's commands: ``raqib worker`` and ``raqib cluster status``."""

from __future__ import annotations

import argparse

from daemon import cluster_status, worker_command


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `raqib worker` and `raqib cluster`."""
    worker_command.register(subparsers)
    cluster_status.register(subparsers)
