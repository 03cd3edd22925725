"""The daemon's shape (DESIGN.md conventions 7 and 8): ``scheduler.py`` is the entry point, its parts live
in ``daemon/`` with one job each, imports between them go one way, and importing any of them starts
nothing — ``cli.py`` imports ``scheduler`` for every `raqib` command, daemon or not."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Top-level modules of the daemon: the entry point and the shim old job stores still reference.
TOP_LEVEL = ("scheduler", "jobs")
MAX_LINES = 400


def _daemon_modules() -> dict[str, Path]:
    """Module name → file, for scheduler.py, jobs.py and every file of daemon/."""
    found = {name: REPO / f"{name}.py" for name in TOP_LEVEL if (REPO / f"{name}.py").exists()}
    for path in sorted((REPO / "daemon").glob("*.py")):
        found["daemon" if path.stem == "__init__" else f"daemon.{path.stem}"] = path
    return found


def _imports(path: Path, known: set[str]) -> set[str]:
    """The known modules a file imports, anywhere in it: function-level and TYPE_CHECKING imports
    count too, so that the graph stays acyclic for readers as well as for the interpreter."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import; the layout test reads absolute ones"
            found.add(node.module or "")
            # `from daemon import runs` imports the module daemon.runs.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found & known


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` as a path that ends where it starts, or [] if there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_daemon_modules_import_one_another_without_a_cycle() -> None:
    modules = _daemon_modules()
    assert {
        "scheduler",
        "daemon.config",
        "daemon.lock",
        "daemon.jobs",
        "daemon.local",
        "daemon.schedule",
    } <= set(modules)
    graph = {name: _imports(path, set(modules)) - {name} for name, path in modules.items()}
    # Importing a submodule imports its package first; the package imports nothing, so no edge is lost.
    assert graph["daemon"] == set()
    assert _cycle(graph) == [], f"import cycle: {' → '.join(_cycle(graph))}"
    # The parts never reach back to the entry point.
    assert not [name for name, targets in graph.items() if "scheduler" in targets]


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def test_each_daemon_module_is_small() -> None:
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in _daemon_modules().items()
    }
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_importing_the_daemon_starts_nothing() -> None:
    """In a fresh interpreter: every module imports, and none starts a thread, installs a signal
    handler, or pulls in the scheduler, the database layer or psutil before a daemon runs."""
    names = sorted(_daemon_modules())
    code = (
        "import importlib, json, signal, sys, threading\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps({\n"
        "    'threads': threading.active_count(),\n"
        "    'sigterm_default': signal.getsignal(signal.SIGTERM) is signal.SIG_DFL,\n"
        "    'sigint_default': signal.getsignal(signal.SIGINT) is signal.default_int_handler,\n"
        "    'heavy': sorted({m.split('.')[0] for m in sys.modules} & {'apscheduler', 'sqlalchemy', 'psutil'}),\n"
        "}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout) == {
        "threads": 1,
        "sigterm_default": True,
        "sigint_default": True,
        "heavy": [],
    }


def test_every_daemon_module_ships() -> None:
    """An installed `raqib daemon` (outside the source tree) finds every module it imports."""
    tool = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert set(TOP_LEVEL) <= set(tool["py-modules"])
    assert "daemon*" in tool["packages"]["find"]["include"]


def test_job_references_stored_by_any_version_resolve_to_the_job_functions() -> None:
    """APScheduler stores `module:function` strings; the current ones and those written before
    daemon/ existed (`jobs:…`) must load, or a restart would drop the stored jobs."""
    from apscheduler.util import ref_to_obj

    from daemon import jobs
    from daemon.config import config_from_mapping

    specs = jobs.job_specs(config_from_mapping({}))
    assert [spec.func for spec in specs] == ["daemon.jobs:crawl_job", "daemon.jobs:digest_job"]
    assert [ref_to_obj(spec.func) for spec in specs] == [jobs.crawl_job, jobs.digest_job]
    assert ref_to_obj("jobs:crawl_job") is jobs.crawl_job
    assert ref_to_obj("jobs:digest_job") is jobs.digest_job
