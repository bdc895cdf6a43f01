"""The house rules of dependencies, read from the source: changes flow from the sources through
one ingest core to matching and requests; the web layer and the worker are shells around it."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "plugin"
PACKAGES = (ROOT, ROOT.parent / "webhooks")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every plugin module and what it imports, at module level or inside functions."""
    found: dict[str, set[str]] = {}
    for path in (p for package in PACKAGES for p in package.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[_module(path)] = names
    return found


IMPORTS = _imports()


def _importers(target: str) -> set[str]:
    return {module for module, names in IMPORTS.items()
            if any(name == target or name.startswith(target + ".") for name in names)}


def test_the_walk_found_the_package():
    assert {"plugin.ingest", "plugin.worker", "plugin.web.api_jobs", "plugin.plex.client", "webhooks.views"} <= IMPORTS.keys()


def test_only_the_plex_client_package_imports_plexapi():
    assert {m for m in _importers("plexapi") if not m.startswith("plugin.plex.")} == set()


def test_the_worker_is_imported_by_nobody_but_the_command_line():
    assert _importers("plugin.worker") - {"plugin.worker"} <= {"plugin.cli"}


def test_the_core_never_imports_the_web_layer_or_the_worker():
    core = {m for m in IMPORTS if not m.startswith(("plugin.web", "plugin.simulator", "webhooks")) and
            m not in ("plugin.cli", "plugin.worker", "plugin.supervisor", "plugin.demo", "plugin.__main__")}
    assert core & (_importers("plugin.web") | _importers("flask")) == set()
    assert core & _importers("plugin.worker") == set()


def test_no_caller_asks_runtime_for_what_plexbooks_remembers():
    gone = ("state", "set_state", "machine_identifier", "remember_machine_identifier", "webhook_secret",
            "webhook_url", "ensure_api_key", "check_api_key")
    callers = []
    everywhere = (*PACKAGES, ROOT.parent / "tests", ROOT.parent / "bench")
    for path in (p for package in everywhere for p in package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Attribute) and node.attr in gone and isinstance(node.value, (ast.Name, ast.Attribute))
                    and (getattr(node.value, "id", None) or getattr(node.value, "attr", None)) == "runtime"):
                callers.append(f"{path.name}:{node.lineno} runtime.{node.attr}")
    assert callers == []


def test_runtime_knows_nothing_of_what_plexbooks_remembers():
    assert not {"plugin.state", "plugin.worker", "plugin.status"} & IMPORTS["plugin.runtime"]
    assert not [name for name in ("state", "set_state", "machine_identifier", "webhook_url", "check_api_key")
                if hasattr(__import__("plugin.runtime", fromlist=["Runtime"]).Runtime, name)]
