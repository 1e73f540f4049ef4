"""The package's layers, checked on its source: data flows one way, and only the registry names facets.

cli -> onboard, engine -> facets -> gitlab, inventory, blueprint -> model, errors. A module imports only
from its own part or a lower layer. The sandbox imports nothing of the product but the table of GitLab
versions, and the product reaches the sandbox only from the `sandbox` and `demo` commands.
"""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioner.facets import FACETS

PACKAGE = Path(__file__).resolve().parent.parent / "provisioner"

RANK = {
    "__init__": 0,  # the version
    "errors": 0,
    "model": 0,
    "gitlab_versions": 0,
    "interning": 0,
    "scrubber": 0,
    "allocator": 0,
    "secrets": 1,
    "safe_files": 1,
    "confine": 1,
    "blueprint": 1,
    "config": 2,
    "report": 2,
    "gitlab": 2,
    "inventory": 2,
    "credentials": 3,
    "fingerprints": 3,
    "run_lock": 3,
    "one_time_tokens": 4,
    "facets": 5,
    "engine": 6,
    "onboard": 6,
    "cli": 7,
    "__main__": 8,
}
SANDBOX_MAY_IMPORT = {"gitlab_versions"}
MAY_IMPORT_THE_SANDBOX = {"provisioner/cli/demo_cmd.py"}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "provisioner":
            for alias in node.names:  # `from provisioner.gitlab import cache` imports a module
                below = f"{node.module}.{alias.name}"
                submodule = (PACKAGE.parent / below.replace(".", "/")).with_suffix(".py").exists()
                yield (
                    below if submodule or (PACKAGE.parent / below.replace(".", "/")).is_dir() else node.module
                )
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == "provisioner")


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _owner(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return (
        relative.parts[0].removesuffix(".py")
        if len(relative.parts) > 1 or relative.stem != "__init__"
        else "__init__"
    )


def test_every_part_of_the_package_has_a_layer() -> None:
    assert {_owner(p) for p in _modules()} <= {*RANK, "sandbox"}


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_down_the_layers(path: Path) -> None:
    owner = _owner(path)
    shown = f"provisioner/{path.relative_to(PACKAGE)}"
    for module in _imports(path):
        target = _part(module)
        if owner == "sandbox":
            assert target in {"sandbox", *SANDBOX_MAY_IMPORT}, f"{shown} imports {module}"
        elif target == "sandbox":
            assert shown in MAY_IMPORT_THE_SANDBOX, f"{shown} imports {module}"
        elif target != owner:
            assert RANK[target] < RANK[owner], f"{shown} ({owner}) imports {module} ({target})"


def test_the_command_line_does_not_load_the_sandbox() -> None:
    code = "import sys, provisioner.cli; print(sorted(m for m in sys.modules if m.startswith('provisioner.sandbox')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def _words(path: Path) -> set[str]:
    """Names, and keys written as strings, in the code (not comments or prose: they may give examples)."""
    found: set[str] = set()
    for token in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if token.type == tokenize.NAME:
            found.add(token.string)
        elif token.type == tokenize.STRING and not token.string.startswith(('"""', "'''")):
            text = token.string.strip("\"'rbf")
            if " " not in text:  # a key or a dotted path, not prose
                found.update(text.replace(".", " ").replace(":", " ").split())
    return found


@pytest.mark.parametrize("part", ["engine", "onboard"])
def test_the_engine_and_import_know_no_facet_by_name(part: str) -> None:
    names = {f.name for f in FACETS} | {f.section for f in FACETS if f.section}
    for path in sorted((PACKAGE / part).rglob("*.py")):
        named = names & _words(path)
        assert not named, f"{path.relative_to(PACKAGE.parent)} names the facets {sorted(named)}"


@pytest.mark.parametrize("part", ["facets", "engine", "onboard", "cli"])
def test_only_the_area_modules_touch_the_run_cache(part: str) -> None:
    """Facets and the engine tell what they do (`api.writing(target)`, `api.done(target)`); reading
    through the cache and saying what a write changed is the area modules' (`provisioner.gitlab`)."""
    for path in sorted((PACKAGE / part).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        touched = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "cache"]
        assert not touched, f"{path.relative_to(PACKAGE.parent)}:{touched[0]} reaches into the run cache"
        cached = [m for m in _imports(path) if m.startswith("provisioner.gitlab.cache")]
        assert not cached, f"{path.relative_to(PACKAGE.parent)} imports {cached[0]}"
