"""House rules on the shape of packages/*/src, checked on the syntax tree (no imports, no torch).

- no function longer than 80 lines, no class longer than 300 (docs/development.md), also in the
  scripts and tests beside the packages (bench/, scripts/, studies/, tests/, noxfile.py);
- no ``os.replace``/``os.rename``/``Path.rename``/``Path.replace`` outside
  ``glyphrender/atomic.py``: every output goes through its temp-then-rename writers;
- no module longer than 500 lines;
- in each package, no import loop between modules and no import from a later room (the
  rooms, in ``LAYERS``, come after the package's top-level modules: a room may import only
  from the top level, from itself and from the rooms listed before it). Every import counts,
  also one inside a function or under ``TYPE_CHECKING``: each is a dependency a reader has
  to follow. A package's ``__init__`` importing its own modules is no loop (the package is
  always initialised before them);
- zi2zi_core's evaluation and generation code imports no training module, directly or through
  another zi2zi_core module (they pick a device through ``zi2zi_core.device``).

Each rule is also run on small synthetic sources, so a checker that stopped finding anything
would fail (``test_the_checks_see_what_they_check`` and the ``synthetic`` tests).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "packages").glob("*/src/**/*.py"))
SCRIPTS = sorted(
    [
        *(p for d in ("bench", "scripts", "studies", "tests") for p in (ROOT / d).rglob("*.py")),
        ROOT / "noxfile.py",
    ]
)
MAX_FUNCTION_LINES = 80
MAX_CLASS_LINES = 300
MAX_MODULE_LINES = 500
ATOMIC = ROOT / "packages/glyphrender/src/glyphrender/atomic.py"
ZI2ZI = ROOT / "packages/zi2zi_core/src/zi2zi_core"
GLYPHRENDER = ROOT / "packages/glyphrender/src/glyphrender"
# Each package's rooms (its subpackages) from the bottom up; its top-level modules (errors,
# atomic, device, ...) come before all of them. A new room must be placed here.
LAYERS = {
    GLYPHRENDER: ("fonts", "rendering", "dataset", "generated", "assembly", "review", "cli"),
    ZI2ZI: ("models", "rundir", "evaluation", "training", "sweep", "cli"),
}
# Modules that load and run a trained generator; they must not pull in the training code.
INFERENCE_ROOTS = ("zi2zi_core.evaluation", "zi2zi_core.cli.eval", "zi2zi_core.cli.generate")

# Known offenders awaiting a fix (none now; keep them empty). Entries are
# "path:qualified.name" for the length rules and "path:call" for renames.
KNOWN_LONG: set[str] = set()
KNOWN_RENAMES: set[str] = set()


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _definitions(node: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.AST]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{child.name}"
            yield name, child
            yield from _definitions(child, name + ".")
        else:
            yield from _definitions(child, prefix)


def _too_long(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        for name, node in _definitions(_tree(path)):
            limit = MAX_CLASS_LINES if isinstance(node, ast.ClassDef) else MAX_FUNCTION_LINES
            lines = node.end_lineno - node.lineno + 1
            if lines > limit:
                where = _rel(path) if path.is_relative_to(ROOT) else path.name
                found.append(f"{where}:{name} ({lines} lines > {limit})")
    return found


def _rename_calls(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in ("replace", "rename", "renames"):
                    yield f"from os import {alias.name}"
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        attr, owner = node.func.attr, node.func.value
        if isinstance(owner, ast.Name) and owner.id == "os" and attr in ("replace", "rename"):
            yield f"os.{attr}"
        elif attr == "rename":  # only paths have .rename
            yield ast.unparse(node.func)
        elif attr == "replace" and len(node.args) == 1 and not node.keywords:
            yield ast.unparse(node.func)  # Path.replace(target); str.replace takes two


def _renames() -> list[str]:
    found = []
    for path in SOURCES:
        if path == ATOMIC:
            continue
        found += [f"{_rel(path)}:{call}" for call in _rename_calls(_tree(path))]
    return found


def _long_modules(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            found.append(f"{_rel(path) if path.is_relative_to(ROOT) else path} ({lines} lines)")
    return found


def _module_name(path: Path, package: Path = ZI2ZI) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(tree: ast.Module, module: str, is_package: bool) -> set[str]:
    """Every dotted name an import statement of ``module`` names, relative ones resolved."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.split(".") if is_package else module.split(".")[:-1]
                here = here[: len(here) - node.level + 1]
                base = ".".join([*here, base] if base else here)
            names.add(base)
            names |= {f"{base}.{a.name}" for a in node.names}
    return names


def _import_graph(package: Path = ZI2ZI) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (anywhere in its body)."""
    modules = {_module_name(p, package): p for p in package.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        targets = set()
        for imported in _imported_names(_tree(path), name, path.name == "__init__.py"):
            parts = imported.split(".")
            # a module and every package above it run on import
            targets |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & set(modules)
        own_packages = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        graph[name] = targets - own_packages - {name}  # its packages are initialised first
    return graph


def _import_loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """The modules that import each other, directly or around a loop (Tarjan's strongly
    connected components of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    loops = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                loops.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return loops


def _room(module: str, rooms: tuple[str, ...]) -> str | None:
    """``pkg.room.module`` -> ``room``; a top-level module (or the package) -> ``""``; None
    for a room missing from ``rooms`` (reported by :func:`_unplaced_rooms`)."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in rooms:
        return parts[1]
    return "" if len(parts) <= 2 else None


def _upward_imports(graph: dict[str, set[str]], rooms: tuple[str, ...]) -> list[str]:
    """Imports from a room (or the top level) into a later room."""
    order = {"": -1, **{room: i for i, room in enumerate(rooms)}}
    found = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            src, dst = _room(module, rooms), _room(target, rooms)
            if src is not None and dst is not None and order[dst] > order[src]:
                found.append(f"{module} -> {target} ({dst} comes after {src or 'the top level'})")
    return found


def _unplaced_rooms(package: Path, rooms: tuple[str, ...]) -> list[str]:
    """Subpackages missing from the layer order (their imports would go unchecked)."""
    return [
        p.name
        for p in sorted(package.iterdir())
        if (p / "__init__.py").is_file() and p.name not in rooms
    ]


def test_no_function_over_80_lines_and_no_class_over_300():
    found = [f for f in _too_long(SOURCES + SCRIPTS) if f.split(" (")[0] not in KNOWN_LONG]
    assert found == [], "split these:\n" + "\n".join(found)


def test_no_rename_outside_the_atomic_module():
    found = [f for f in _renames() if f not in KNOWN_RENAMES]
    assert found == [], "write through glyphrender.atomic instead:\n" + "\n".join(found)


def test_no_module_over_500_lines():
    found = _long_modules(SOURCES)
    assert found == [], "split these modules:\n" + "\n".join(found)


def test_no_import_loop_in_either_package():
    for package in LAYERS:
        loops = _import_loops(_import_graph(package))
        assert loops == [], f"{package.name}: modules importing each other:\n" + "\n".join(
            " <-> ".join(loop) for loop in loops
        )


def test_no_room_imports_a_later_room():
    for package, rooms in LAYERS.items():
        assert _unplaced_rooms(package, rooms) == [], f"{package.name}: add to LAYERS"
        found = _upward_imports(_import_graph(package), rooms)
        assert found == [], f"{package.name}: imports against the layer order:\n" + "\n".join(found)


def test_evaluation_and_generation_import_no_training_module():
    graph = _import_graph()
    starts = [m for m in graph if m.startswith(INFERENCE_ROOTS)]
    assert starts, "the inference modules moved: update INFERENCE_ROOTS"
    seen: dict[str, str] = {}
    todo = [(m, m) for m in starts]
    while todo:
        module, via = todo.pop()
        for target in graph.get(module, ()):
            if target not in seen:
                seen[target] = via
                todo.append((target, via))
    bad = sorted(f"{m} (from {v})" for m, v in seen.items() if m.startswith("zi2zi_core.training"))
    assert bad == []


def test_the_checks_see_what_they_check():
    """The rules above would catch an offender (guards against a walk that finds nothing)."""
    tree = ast.parse("import os\nos.replace(a, b)\np.rename(q)\np.replace(q)\ns.replace('a', 'b')")
    assert list(_rename_calls(tree)) == ["os.replace", "p.rename", "p.replace"]
    assert len(SOURCES) > 50 and any(
        n == "Trainer" for n, _ in _definitions(_tree(ZI2ZI / "training" / "trainer.py"))
    )
    assert "zi2zi_core.device" in _import_graph()["zi2zi_core.evaluation.generate"]


def _write_package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_synthetic_package_with_a_loop_an_upward_import_and_a_stray_room(tmp_path):
    """The import rules catch what they are for: a loop hidden in a function, an upward
    import, a relative import, a room missing from the order; and let pass what is allowed."""
    package = _write_package(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg import errors\n",
            "pkg/errors.py": "",
            "pkg/low/__init__.py": "from pkg.low.base import Base\n",  # own module: no loop
            "pkg/low/base.py": "from pkg.errors import Error\nfrom pkg.low import base\n",
            "pkg/low/up.py": "from pkg.high.b import thing\n",
            "pkg/high/__init__.py": "",
            "pkg/high/b.py": "from pkg.high.c import helper\nfrom pkg.low.base import Base\n",
            "pkg/high/c.py": "def helper():\n    from .b import thing\n",
            "pkg/high/d.py": (
                "from typing import TYPE_CHECKING\n"
                "from . import c\n"
                "if TYPE_CHECKING:\n    from ..low import up\n"
            ),
            "pkg/extra/__init__.py": "",
        },
    )
    graph = _import_graph(package)
    assert graph["pkg.high.d"] == {"pkg.high.c", "pkg.low", "pkg.low.up"}
    assert graph["pkg.low"] == {"pkg.low.base"} and graph["pkg.low.base"] == {"pkg.errors"}
    assert _import_loops(graph) == [["pkg.high.b", "pkg.high.c"]]
    assert _upward_imports(graph, ("low", "high")) == [
        "pkg.low.up -> pkg.high (high comes after low)",
        "pkg.low.up -> pkg.high.b (high comes after low)",
    ]
    assert _upward_imports(graph, ("high", "low")) == [
        "pkg.high.b -> pkg.low (low comes after high)",
        "pkg.high.b -> pkg.low.base (low comes after high)",
        "pkg.high.d -> pkg.low (low comes after high)",
        "pkg.high.d -> pkg.low.up (low comes after high)",
    ]
    assert _unplaced_rooms(package, ("low", "high")) == ["extra"]


def test_synthetic_module_over_500_lines(tmp_path):
    at_limit, over = tmp_path / "at_limit.py", tmp_path / "over.py"
    at_limit.write_text("x = 1\n" * MAX_MODULE_LINES, encoding="utf-8")
    over.write_text("x = 1\n" * (MAX_MODULE_LINES + 1), encoding="utf-8")
    assert _long_modules([at_limit, over]) == [f"{over} ({MAX_MODULE_LINES + 1} lines)"]


def test_the_tool_tests_import_no_zi2zi_core():
    """tests/tools runs in the glyphrender sessions, where zi2zi_core is not installed: a tool test
    that imports it fails to collect there and stops every glyphrender session."""
    offenders = []
    for path in sorted((ROOT / "tests" / "tools").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            if any(n == "zi2zi_core" or n.startswith("zi2zi_core.") for n in names):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_synthetic_function_over_80_lines_and_the_scripts_are_checked(tmp_path):
    at_limit, over = tmp_path / "at_limit.py", tmp_path / "over.py"
    at_limit.write_text("def f():\n" + "    x = 1\n" * (MAX_FUNCTION_LINES - 1), encoding="utf-8")
    method = "    def g(self):\n" + "        x = 1\n" * MAX_FUNCTION_LINES
    over.write_text("class C:\n" + method, encoding="utf-8")
    found = _too_long([at_limit, over])
    assert found == [f"over.py:C.g ({MAX_FUNCTION_LINES + 1} lines > {MAX_FUNCTION_LINES})"]
    assert {"bench/run_all.py", "noxfile.py", "tests/tools/test_code_shape.py"} <= {
        _rel(p) for p in SCRIPTS
    }
