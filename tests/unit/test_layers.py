"""Each stage has one home (DESIGN.md): the crawler never imports the digests, whose job starts where
the crawl's ends, in storage. A command that needs both (`raqib demo`) lives in the command layer,
beside cli.py (demo_command.py)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-level imports included); relative imports
    resolved against the file's package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                found.add(".".join([*base, node.module] if node.module else base))
            else:
                found.add(node.module or "")
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in {
            "import_module",
            "__import__",
        }:
            found.update(a.value for a in node.args[:1] if isinstance(a, ast.Constant) and isinstance(a.value, str))
    return found


def test_no_file_of_the_crawler_imports_the_digests() -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(m for m in _imported_modules(path) if m.split(".")[0] == "digests")
        for path in sorted((REPO / "crawler").rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_scan_sees_imports_inside_functions() -> None:
    assert "digests.run" in _imported_modules(REPO / "demo_command.py")


def test_the_crawl_and_sources_commands_load_no_digest_module() -> None:
    """Building the crawler's commands and starting `raqib crawl`'s code path loads nothing of digests/."""
    code = (
        "import argparse, sys\n"
        "import crawler.commands, crawler.run, crawler.pipelines.store\n"
        "crawler.commands.register(argparse.ArgumentParser().add_subparsers())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'digests'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
