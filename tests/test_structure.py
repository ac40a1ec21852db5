"""The package's shape (docs/architecture.md): modules and functions of a readable size, no
import cycle between modules or packages, one interface for every analysis, and the conda
environments pinning what pyproject.toml pins."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import REPO

SRC = REPO / "src"
PACKAGE = SRC / "xstilts"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The xstilts modules ``name`` imports anywhere in it (in functions too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:  # `from pkg import module` names the module itself
                out.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {m for m in out if m in modules and m != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_over_500_lines_and_no_function_over_80():
    long_modules, long_functions = [], []
    for name, path in _modules().items():
        text = path.read_text()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            long_modules.append(f"{name} ({len(text.splitlines())} lines)")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long_functions.append(f"{name}.{node.name} ({lines} lines)")
    assert long_modules == [] and long_functions == []


def test_no_import_cycle_between_modules_or_packages():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert _cycles(graph) == []

    def package(module: str) -> str:
        return ".".join(module.split(".")[:2])  # xstilts.<package or top-level module>

    packages: dict[str, set[str]] = {}
    for name, imported in graph.items():
        packages.setdefault(package(name), set()).update(
            package(m) for m in imported if package(m) != package(name)
        )
    assert _cycles(packages) == []


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _class_members(cls: ast.ClassDef) -> set[str]:
    """The names a class defines: in its body, and as ``self.<name> = ...`` in its methods."""
    out = set()
    for node in cls.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.add(node.name)
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        out |= {t.id for t in targets if isinstance(t, ast.Name)}
    for node in ast.walk(cls):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            if isinstance(node.value, ast.Name) and node.value.id == "self":
                out.add(node.attr)
    return out


def _foreign_private(source: str, own: set[str]) -> list[str]:
    """In one module's source: ``self._<name>`` of a member its class does not define, a
    ``_private`` name imported from another xstilts module, or one read off an xstilts module
    (``own``: the module's own names, e.g. ``xstilts.grid.axes``)."""
    tree = ast.parse(source)
    found = []
    for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
        members = _class_members(cls)
        for node in ast.walk(cls):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
                and _private(node.attr)
                and node.attr not in members
            ):
                found.append(f"{cls.name}: self.{node.attr} (line {node.lineno})")
    modules: set[str] = set()  # local names bound to an xstilts module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("xstilts"):
            for alias in node.names:
                if _private(alias.name) and node.module not in own:
                    found.append(f"from {node.module} import {alias.name} (line {node.lineno})")
                modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules |= {a.asname for a in node.names if a.name.startswith("xstilts") and a.asname}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            if isinstance(node.value, ast.Name) and node.value.id in modules:
                found.append(f"{node.value.id}.{node.attr} (line {node.lineno})")
    return found


def test_the_private_finder_finds_what_crosses_a_boundary():
    mixins = (
        "class A:\n    def f(self):\n        return self._g() + self._h\n"
        "    def _g(self):\n        self._h = 1\n"
        "class B:\n    def f(self):\n        return self._g()\n"
    )
    assert _foreign_private(mixins, set()) == ["B: self._g (line 8)"]
    imports = "from xstilts.grid.cells import _training\nfrom xstilts.grid import axes\naxes._x\n"
    assert _foreign_private(imports, set()) == [
        "from xstilts.grid.cells import _training (line 1)",
        "axes._x (line 3)",
    ]
    assert _foreign_private("from xstilts.a import _b\n", {"xstilts.a"}) == []


def test_no_private_member_or_name_used_across_classes_or_modules():
    """A class reads only the private members it defines (no mixins calling each other's
    ``self._...``), and a module imports or reads no ``_private`` name of another module."""
    found = []
    for name, path in _modules().items():
        found += [f"{name}: {f}" for f in _foreign_private(path.read_text(), {name})]
    assert found == []


def test_every_analysis_has_the_one_interface():
    from xstilts import analyses
    from xstilts.grid import config, paths

    modules = {p.stem for p in (PACKAGE / "analyses").glob("*.py") if p.stem != "__init__"}
    assert set(analyses.NAMES) == modules  # every analysis module is registered
    schema = config.schema()
    for name, analysis in zip(analyses.NAMES, analyses.all_analyses(), strict=True):
        members = ("NAME", "REPORT", "SCHEMA", "CELLS", "enabled", "outputs", "inputs", "spec")
        for member in (*members, "summarize"):
            assert hasattr(analysis, member), f"{analysis.__name__} lacks {member}"
        if analysis.REPORT is not None:  # a section title (numbered by the report) and a caption
            title, caption = analysis.REPORT
            assert not title[0].isdigit(), f"{name}: the report numbers its sections"
            assert (REPO / "workflow/report" / caption).exists()
        assert analyses.by_rule(f"{analysis.NAME}_summary") is analysis
        # its config sections are in the schema; its summary files in its own folder
        for key in yaml.safe_load(analysis.SCHEMA or "{}"):
            assert key.startswith("$") or key in schema["properties"], f"{name}: {key}"
        folder = paths.analysis_dir(name) + "/"
        assert all(p.startswith(folder) for p in analysis.outputs(_quickstart_grid()).values())
        jobs = analysis.CELLS
        if jobs is not None:  # its cell jobs: a rule of its own, a function that runs a cell
            assert isinstance(jobs, analyses.CellJobs) and callable(getattr(analysis, jobs.run))
            for pattern in analyses.cell_outputs(analysis.__name__, jobs).values():
                assert pattern.startswith(f"results/{name}/{jobs.key}")


def test_the_analyses_sections_keep_their_place_in_the_schema():
    """Merged from their modules where schema.yaml had them (after retrieval; before
    benchmarks): the validated config's defaults are filled in this order, which the resolved
    config's params keep."""
    from xstilts.grid import config

    keys = list(config.schema()["properties"])
    assert keys[keys.index("retrieval") + 1] == "robustness"
    assert keys[keys.index("benchmarks") - 1] == "similarity"
    raw = yaml.safe_load((PACKAGE / "grid/schema.yaml").read_text())
    assert "robustness" not in raw["properties"] and "similarity" not in raw["properties"]


def _quickstart_grid():
    from xstilts import grid

    return grid.resolve(grid.load(REPO / "config/quickstart.yaml", check_local=False))


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


@pytest.mark.parametrize("env", ["train.yaml", "report.yaml"])
def test_the_conda_environments_pin_what_pyproject_pins(env):
    project = _pyproject()["project"]
    pinned = {_name(spec): spec for spec in project["dependencies"]}
    doc = yaml.safe_load((REPO / "envs" / env).read_text())
    pip = next(d["pip"] for d in doc["dependencies"] if isinstance(d, dict))
    listed = [line for line in pip if not line.startswith("-e")]
    assert listed, "the environment lists its main packages"
    for line in listed:
        assert pinned.get(_name(line)) == line, f"{env}: {line} differs from pyproject.toml"
    assert "-e ../" in pip  # the package itself, with the rest of its dependencies
    python = next(d for d in doc["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert project["requires-python"] == ">=" + python.split("=")[1]


def _name(spec: str) -> str:
    for sep in ("==", ">=", "<=", "<", ">", "~="):
        spec = spec.split(sep)[0]
    return spec.strip().lower()


def test_every_package_data_pattern_matches_a_file():
    patterns = _pyproject()["tool"]["setuptools"]["package-data"]["xstilts"]
    for pattern in patterns:
        assert list(PACKAGE.glob(pattern)), f"package-data {pattern} matches no file"


def _package(module: str) -> str:
    """xstilts.grid.cells → grid; xstilts.cost → cost; xstilts → xstilts."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _documented_imports(text: str) -> dict[str, set[str]]:
    """A page's packages (its ``### `name` `` headings) and each one's *May import* line."""
    out = {}
    for name, line in re.findall(r"^### `(\w+)`\n.*?^\*May import:\* (.*?)$", text, re.M | re.S):
        out[name] = set() if line.strip() == "nothing." else set(re.findall(r"`(\w+)`", line))
    return out


def test_every_package_imports_what_the_architecture_page_says_and_nothing_else():
    """The page's *May import* lines are the layering: a package importing anything else (in a
    function too) fails, as does a line naming a package the code no longer imports, so the
    page is the code's own map."""
    modules = _modules()
    actual: dict[str, set[str]] = {_package(m): set() for m in modules if m != "xstilts"}
    for name, path in modules.items():
        for imported in _imports(name, path, modules):
            source, target = _package(name), _package(imported)
            if source != target and target != "xstilts" and source != "xstilts":
                actual[source].add(target)
    documented = _documented_imports((REPO / "docs/architecture.md").read_text())
    assert set(documented) == set(actual), "a package without its paragraph, or a stale one"
    for package in sorted(actual):
        extra = actual[package] - documented[package]
        assert not extra, f"{package} imports {sorted(extra)}, which docs/architecture.md forbids"
        stale = documented[package] - actual[package]
        assert not stale, (
            f"docs/architecture.md says {package} imports {sorted(stale)}; it does not"
        )


def test_the_layering_reader_reads_each_packages_line():
    """The reader above on a page of two packages (so a page it misreads cannot pass)."""
    text = (
        "### `a`\nholds a.\n*May import:* nothing.\n\n"
        "### `b`\nholds b,\nover two lines.\n*May import:* `a`, `c`.\n"
    )
    assert _documented_imports(text) == {"a": set(), "b": {"a", "c"}}
