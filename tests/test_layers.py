"""The layout keeps its rules: import-linter's layers and forbidden contracts hold, the
architecture document draws the same layers, every package has its place in them, and no two
modules or packages import each other (directly or round a longer cycle)."""

from __future__ import annotations

import ast
import graphlib
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "vrukit"


def _contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["contracts"]


def _layers() -> list[str]:
    (layers,) = [c["layers"] for c in _contracts() if c["type"] == "layers"]
    return layers


def test_import_contracts_hold():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    out = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    n = len(_contracts())
    assert n >= 4 and f"Contracts: {n} kept, 0 broken" in out.stdout


def test_the_architecture_document_draws_the_contract_layers():
    doc = (ROOT / "docs" / "architecture.md").read_text()
    block = re.search(r"<!-- layers -->\s*```text\n(.*?)```", doc, re.S)
    assert block, "docs/architecture.md lost its <!-- layers --> block"
    drawn = [re.sub(r"\s+#.*$", "", line).strip() for line in block.group(1).splitlines()]
    assert [line for line in drawn if line] == _layers()


def test_every_package_and_top_level_module_has_a_layer():
    named = {m.strip() for layer in _layers() for m in layer.split("|")}
    present = {
        f"vrukit.{p.stem}"
        for p in PACKAGE.iterdir()
        if (p.is_dir() and (p / "__init__.py").exists())
        or (p.suffix == ".py" and p.name != "__init__.py")
    }
    assert present - named == set(), "give each new package or module its layer"
    assert named - present == set(), "the contract names a package that is gone"


def _cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle among ``edges`` (module -> modules it imports), or [] when there is none
    (the standard library's topological sorter finds it)."""
    try:
        graphlib.TopologicalSorter(edges).prepare()
    except graphlib.CycleError as e:
        return list(e.args[1])
    return []


def _edges(level: int | None) -> dict[str, set[str]]:
    graph = grimp.build_graph("vrukit")
    ours = {m for m in graph.modules if m == "vrukit" or m.startswith("vrukit.")}

    def key(m: str) -> str:
        return m if level is None else ".".join(m.split(".")[:level])

    edges: dict[str, set[str]] = {key(m): set() for m in ours}
    for m in ours:
        for t in graph.find_modules_directly_imported_by(m):
            if t in ours and key(t) != key(m):
                edges[key(m)].add(key(t))
    return edges


def test_no_import_cycle_between_modules_or_packages():
    assert set(_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})) == {"a", "b", "c"}
    edges = _edges(None)
    assert len(edges) > 100
    assert {"vrukit.jobs.analyse", "vrukit.jobs.sna"} <= edges["vrukit"], "the API was not seen"
    assert _cycle(edges) == []
    assert _cycle(_edges(2)) == []


#: The longest a module may grow before it is split along a seam (generated migrations aside),
#: and the longest a command's function may be (options are declared in ``cli._options``).
MODULE_LINES = 600
CLI_FUNCTION_LINES = 60


def test_modules_and_command_functions_stay_short():
    long_modules = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if "migrations" not in p.parts and (n := len(p.read_text().splitlines())) > MODULE_LINES
    }
    assert long_modules == {}
    long_functions = {}
    for p in (PACKAGE / "cli").glob("*.py"):
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.FunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > CLI_FUNCTION_LINES:
                    long_functions[f"{p.name}:{node.name}"] = lines
    assert long_functions == {}
    assert len(list((PACKAGE / "cli").glob("*.py"))) >= 5, "the CLI is one module per group"
