"""Applying a what-if: the candidate's packs become the active rules, then the existing reclassification runs.

Every part of Raqib that classifies (the crawl's classify stage, ``raqib reclassify``, the digest's
and the daemon's reclassification, the workspace) loads the rule packs from one folder: the packaged
``classifiers/rules`` unless told otherwise. So "apply" copies the candidate's packs *into* that folder
rather than pointing one command at another folder, which the next digest would silently undo by
reclassifying everything back. The previous packs are kept first under ``<rules home>/history/<time>-
<version>``, itself a rules folder: a what-if of it, then apply, undoes the change.

Candidate folders typed into the web form are accepted only under the configured roots
(``$RAQIB_RULES_ROOTS`` or ``raqib web --rules-root``; default ``<data dir>/rules``), because a path
in a form reads the server's file system.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage.location import default_data_dir
from storage.models import utcnow
from storage.whatif import WhatIfError, load_candidate

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from storage.commands import ReclassifyReport

ENV_RULES_ROOTS = "RAQIB_RULES_ROOTS"
PACK_FILES = ("lexicon.yaml", "rules.yaml", "descriptions.yaml")


def rules_home() -> Path:
    """Where edited copies of the packs live by default, and the history of applied ones."""
    return default_data_dir() / "rules"


def active_rules_dir() -> Path:
    from classifiers.loader import DEFAULT_RULES_DIR

    return DEFAULT_RULES_DIR


def configured_roots(explicit: Iterable[Path | str] | None = None) -> list[Path]:
    """``explicit`` roots, else ``$RAQIB_RULES_ROOTS`` (separated by ``os.pathsep``), else the rules home."""
    values = [Path(p) for p in explicit or ()]
    if not values:
        values = [Path(p) for p in os.environ.get(ENV_RULES_ROOTS, "").split(os.pathsep) if p.strip()]
    if not values:
        values = [rules_home()]
    return [p.expanduser().resolve() for p in values]


def candidate_under_roots(value: str, roots: Sequence[Path]) -> Path:
    """The folder named by ``value`` (absolute, or relative to the first root) once it is inside one of
    ``roots`` after resolving ``..`` and symbolic links; WhatIfError otherwise."""
    text = (value or "").strip()
    if not text or "\0" in text or len(text) > 1000:
        raise WhatIfError("give the path of a rules folder")
    if not roots:
        raise WhatIfError("no rules roots are configured")
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = roots[0] / path
    resolved = path.resolve()
    if not any(resolved != root and resolved.is_relative_to(root) for root in roots):
        allowed = ", ".join(str(r) for r in roots)
        raise WhatIfError(f"{text}: not inside the allowed rules folders ({allowed})")
    if not resolved.is_dir():
        raise WhatIfError(f"{text}: rules folder not found")
    return resolved


@dataclass(frozen=True)
class Applied:
    candidate_dir: str
    old_version: str
    new_version: str
    backup: str  # the previous packs, a rules folder of its own
    reclassified: ReclassifyReport

    def lines(self) -> list[str]:
        return [
            f"rules {self.old_version} → {self.new_version} (from {self.candidate_dir})",
            f"previous rules kept in {self.backup}",
            *self.reclassified.lines(),
        ]


def _pack_folders(root: Path) -> list[Path]:
    # The folders the loader reads (classifiers/loader.py: not hidden, not private).
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def _copy_packs(source: Path, target: Path) -> None:
    target.mkdir(parents=True)
    for folder in _pack_folders(source):
        (target / folder.name).mkdir()
        for name in PACK_FILES:
            if (folder / name).is_file():
                shutil.copyfile(folder / name, target / folder.name / name)


def install(candidate_dir: Path, active_dir: Path, history_dir: Path, *, now: datetime | None = None) -> Path:
    """Replace the packs in ``active_dir`` with the candidate's after keeping them under ``history_dir``.
    Returns the backup folder. On any failure the active folder is left as it was."""
    from classifiers.loader import load_ruleset

    old_version = load_ruleset(active_dir).version
    stamp = (now or utcnow()).strftime("%Y%m%dT%H%M%S")
    backup = history_dir / f"{stamp}-{old_version}"
    n = 1
    while backup.exists():
        n += 1
        backup = history_dir / f"{stamp}-{old_version}-{n}"
    history_dir.mkdir(parents=True, exist_ok=True)
    _copy_packs(active_dir, backup)
    staging = Path(tempfile.mkdtemp(prefix=".rules-new-", dir=active_dir.parent))
    try:
        _copy_packs(candidate_dir, staging / "packs")
        # Swap folder by folder inside active_dir (it may be a package folder with other files).
        old_side = staging / "old"
        old_side.mkdir()
        placed: list[Path] = []
        try:
            for folder in _pack_folders(active_dir):
                folder.rename(old_side / folder.name)
            for folder in _pack_folders(staging / "packs"):
                folder.rename(active_dir / folder.name)
                placed.append(active_dir / folder.name)
        except OSError:
            for folder in placed:
                shutil.rmtree(folder, ignore_errors=True)
            for folder in _pack_folders(old_side):
                folder.rename(active_dir / folder.name)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return backup


def apply_candidate(
    factory: sessionmaker[Session],
    candidate_dir: Path,
    *,
    active_dir: Path | None = None,
    history_dir: Path | None = None,
    expected_version: str = "",
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> Applied:
    """Validate the candidate, make it the active rules, then run ``raqib reclassify``'s reclassification.

    ``expected_version`` (the version a preview showed) guards against a folder edited between the
    preview and the apply. An invalid pack raises WhatIfError before anything is touched.
    """
    from classifiers import load_classifier
    from classifiers.loader import load_ruleset
    from storage.commands import reclassify

    active = Path(active_dir or active_rules_dir())
    candidate_dir = Path(candidate_dir).resolve()
    if candidate_dir == active.resolve():
        raise WhatIfError(f"{candidate_dir} is the active rules folder already")
    candidate = load_candidate(candidate_dir)
    version = str(candidate.rules_version)
    if expected_version and version != expected_version:
        raise WhatIfError(
            f"{candidate_dir} changed since the preview (rules {expected_version} → {version}): preview it again"
        )
    old_version = load_ruleset(active).version
    try:
        backup = install(candidate_dir, active, Path(history_dir or rules_home() / "history"), now=now)
    except OSError as error:
        raise WhatIfError(
            f"cannot replace the rules in {active}: {error.strerror or error}; nothing changed"
        ) from error
    classifier: Any = load_classifier(active)
    report = reclassify(factory, classifier, progress=progress)
    return Applied(str(candidate_dir), old_version, str(classifier.rules_version), str(backup), report)
