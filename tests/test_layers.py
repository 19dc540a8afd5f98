"""The architecture, checked by reading imports (at module level and inside functions): layers import one way, the
rooms of the data layer too (exchange → project → ingest → store), no import cycle, no private name crosses a
module, heavy libraries stay in their one file, and nothing in the product can unpickle."""

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYER_OF = {"index": 0, "suggest": 1, "eval": 2, "app_gradio": 3, "codeseed_cli": 3, "app": 3, "cli": 3,
            "batch": 3}


def product_files() -> list[Path]:
    files = [p for pkg in ("index", "suggest", "eval", "app", "cli", "batch") for p in (ROOT / pkg).rglob("*.py")]
    return files + [p for p in (ROOT / "app_gradio.py", ROOT / "codeseed_cli.py") if p.exists()]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def product_modules() -> frozenset[str]:
    return frozenset(module_name(p) for p in product_files())


@cache
def tree_of(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def absolute(path: Path, node: ast.ImportFrom) -> str:
    """The module an ``from ... import`` names, relative imports resolved."""
    if node.level == 0:
        return node.module or ""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def is_main_block(node: ast.AST) -> bool:
    """``if __name__ == "__main__":``: runs when the file is a script, never when it is imported."""
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test) and "__main__" in ast.unparse(node.test)


def walk(tree: ast.AST):
    """Every node, inside functions too, but not inside an ``if __name__ == "__main__":`` block."""
    for node in ast.iter_child_nodes(tree):
        if not is_main_block(node):
            yield node
            yield from walk(node)


def imports_of(path: Path, tree: ast.Module | None = None) -> list[tuple[str, str | None, str | None]]:
    """(module, imported name or None, bound name) for every import statement anywhere in the file."""
    found = []
    for node in walk(tree or tree_of(path)):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, alias.asname) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = absolute(path, node)
            found += [(module, alias.name, alias.asname or alias.name) for alias in node.names]
    return found


def imported_modules(path: Path) -> set[str]:
    """Every module the file imports; ``from package import module`` counts as importing that module (not the
    package's ``__init__``, which Python has already begun: a submodule importing a sibling is no cycle)."""
    found = set()
    for module, name, _ in imports_of(path):
        if name is not None and f"{module}.{name}" in product_modules():
            found.add(f"{module}.{name}")
        else:
            found.add(module)
    return found


def codeseed_imports(path: Path) -> set[str]:
    return {m for m in imported_modules(path) if m in product_modules()}


def layer(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


@pytest.mark.parametrize("path", product_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_flow_one_way(path):
    own = LAYER_OF[layer(path)]
    for module in imported_modules(path):
        top = module.split(".")[0]
        if top in LAYER_OF:
            assert LAYER_OF[top] <= own, f"{path.relative_to(ROOT)} imports {module}: a higher layer"


@pytest.mark.parametrize("library, allowed", [
    # the app's edge only: its layout, server and tabs; never its renderers, commands or the rest of the product
    ("gradio", {"app/serving.py", "app/layout.py", *(f"app/tabs/{p.name}" for p in (ROOT / "app" / "tabs").glob("*.py"))}),
    ("langchain", {"suggest/ask/langchain_adapter.py"}),
    ("langchain_core", {"suggest/ask/langchain_adapter.py"}),
    ("sentence_transformers", {"index/backends.py", "index/model.py", "index/tuning.py"}),
    ("onnxruntime", {"index/backends.py", "index/onnx_export.py"}),
    ("openvino", {"index/backends.py"}),
    ("ray", {"batch/ray_engine.py"}),
])
def test_heavy_libraries_live_in_one_place(library, allowed):
    users = {str(p.relative_to(ROOT)) for p in product_files()
             if any(m == library or m.startswith(library + ".") for m in imported_modules(p))}
    assert users <= allowed, users - allowed


def test_no_pickle_in_the_product():
    for path in product_files():
        modules = imported_modules(path)
        assert not modules & {"pickle", "cPickle", "dill", "joblib", "shelve"}, path
        assert "allow_pickle=True" not in path.read_text(encoding="utf-8"), path


# -- the rooms of the data layer and of suggest --------------------------------------------------------------------
def files_in(room: str) -> list[Path]:
    return [p for p in product_files() if module_name(p) == room or module_name(p).startswith(room + ".")]


def inside(module: str, rooms: tuple[str, ...]) -> bool:
    return any(module == r or module.startswith(r + ".") for r in rooms)


ROOM_RULES = [
    # (room, what it may not import, why)
    ("index.store", ("index.ingest", "index.exchange", "index.project", "index.importing", "index.cache",
                     "index.encoder", "index.model", "index.vectors", "index.demo", "suggest", "eval"),
     "the store is the bottom of the house: it imports only index.types and index.errors"),
    ("index.ingest", ("suggest", "eval", "index.project", "index.exchange", "index.store", "index.importing"),
     "ingest reads files into plain records; the project stores them"),
    ("index.project", ("index.exchange", "index.importing"), "exchange -> project, never back"),
    ("index.exchange", ("index.importing",), "the dispatcher sits above exchange"),
    ("suggest.review", ("suggest.ask",), "review and ask are separate rooms; both use the data layer"),
]


@pytest.mark.parametrize("room, forbidden, why", ROOM_RULES, ids=[r[0] for r in ROOM_RULES])
def test_rooms_import_one_way(room, forbidden, why):
    assert files_in(room), f"no module in {room}: update the rule"
    for path in files_in(room):
        bad = sorted(m for m in imported_modules(path) if inside(m, forbidden))
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}: {why}"


def test_the_store_imports_only_types_and_errors_of_codeseed():
    for path in files_in("index.store"):
        others = {m for m in codeseed_imports(path) if not inside(m, ("index.store",))}
        assert others <= {"index.types", "index.errors"}, f"{path.relative_to(ROOT)} imports {sorted(others)}"


def test_no_sql_outside_the_store():
    """The store's connection is used by the store only: nothing else runs SQL on ``store.db``; above the data
    layer nothing imports sqlite3 or calls ``execute``."""
    for path in product_files():
        if inside(module_name(path), ("index.store",)):
            continue
        if layer(path) != "index":
            assert "sqlite3" not in imported_modules(path), f"{path.relative_to(ROOT)} imports sqlite3"
        for node in ast.walk(tree_of(path)):
            if layer(path) != "index" and isinstance(node, ast.Attribute) and node.attr in ("execute", "executemany"):
                raise AssertionError(f"{path.relative_to(ROOT)}:{node.lineno} runs SQL: add a store method")
            if isinstance(node, ast.Attribute) and node.attr == "db" and isinstance(node.value, ast.Attribute) \
                    and node.value.attr == "store":
                raise AssertionError(f"{path.relative_to(ROOT)}:{node.lineno} uses store.db: add a store method")


# -- no cycles -------------------------------------------------------------------------------------------------
def import_graph() -> dict[str, set[str]]:
    """Product module -> the product modules it imports (also inside functions), packages' own imports included."""
    graph = {module_name(p): codeseed_imports(p) - {module_name(p)} for p in product_files()}
    return {m: {t for t in targets if t in graph} for m, targets in graph.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_imports_inside_functions_and_relative_ones_are_read():
    source = "def f():\n    from index.exchange import refi_import\nfrom ..store import store\nimport index.cache\n"
    found = imports_of(ROOT / "index" / "ingest" / "probe.py", ast.parse(source))
    assert set(found) == {("index.exchange", "refi_import", "refi_import"), ("index.store", "store", "store"),
                          ("index.cache", None, None)}


def test_no_import_cycle_among_product_modules():
    assert cycles(import_graph()) == []


# -- private names stay in their module ------------------------------------------------------------------------
def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def defined_privates(tree: ast.Module) -> set[str]:
    """The private names a module defines: module-level ``_x``, methods ``_x``, ``self._x = ...``, fields ``_x: T``."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and is_private(node.name):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and is_private(node.attr):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and is_private(node.id):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and is_private(node.target.id):
            names.add(node.target.id)
    return names


@cache
def private_attributes() -> dict[str, set[str]]:
    return {module_name(p): defined_privates(tree_of(p)) for p in product_files()}


def private_crossings(path: Path, tree: ast.Module) -> list[str]:
    """``from m import _x`` and ``module._x`` of another codeseed module; and ``obj._x`` where ``_x`` is a private
    attribute defined only in other codeseed modules (read by name: the object's type is not known statically)."""
    here = module_name(path)
    problems, modules = [], {}  # bound name -> codeseed module
    for module, name, bound in imports_of(path, tree):
        if module not in product_modules():
            continue
        if name is not None and is_private(name):
            problems.append(f"{here} imports {name} from {module}")
        full = module if name is None else f"{module}.{name}"
        if full in product_modules():
            modules[bound or full.split(".")[0]] = full
    mine = defined_privates(tree)
    elsewhere = set().union(*(v for k, v in private_attributes().items() if k != here)) - mine
    for node in walk(tree):
        if not (isinstance(node, ast.Attribute) and is_private(node.attr)):
            continue
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id in modules:
            problems.append(f"{here}:{node.lineno} uses {owner.id}.{node.attr} of {modules[owner.id]}")
        elif not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")) and node.attr in elsewhere:
            problems.append(f"{here}:{node.lineno} reaches {ast.unparse(node)}, private to another module")
    return problems


@pytest.mark.parametrize("path", product_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_name_crosses_a_module(path):
    assert private_crossings(path, tree_of(path)) == []


@pytest.mark.parametrize("source, caught", [
    ("from index.store.store import _split_sql\n", "imports _split_sql from index.store.store"),
    ("import index.store.store as st\nst._split_sql('')\n", "uses st._split_sql of index.store.store"),
    ("from index.store import store\nstore._loads('')\n", "uses store._loads of index.store.store"),
    ("def f(project):\n    return project._encoder\n", "reaches project._encoder"),
    ("def f():\n    from index.project import _refi_here\n", "imports _refi_here"),
])
def test_the_private_name_check_catches_what_it_should(source, caught):
    problems = private_crossings(ROOT / "suggest" / "probe.py", ast.parse(source))
    assert any(caught in p for p in problems), problems


def test_the_private_name_check_lets_pass_what_it_should():
    allowed = ("import numpy as np\nnp._NoValue\n"  # not codeseed
               "class A:\n    def __init__(self):\n        self._encoder = 1\n    def same(self, other):\n"
               "        return other._encoder\n"  # defined here too: this module's own private attribute
               "from index.project import Project\nProject.__init__\n"  # dunder names are public
               "if __name__ == '__main__':\n    from index.project import _refi_here\n")  # a script, not an import
    assert private_crossings(ROOT / "suggest" / "probe.py", ast.parse(allowed)) == []


# -- the maps: every package's __init__.py opens with a map of its rooms, and keeps it true ----------------------
def packages() -> list[Path]:
    return sorted(p.parent for p in product_files() if p.name == "__init__.py")


@pytest.mark.parametrize("package", packages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_package_opens_with_a_true_map(package):
    doc = ast.get_docstring(tree_of(package / "__init__.py")) or ""
    assert doc, f"{package.relative_to(ROOT)}/__init__.py has no map"
    rooms = [p.stem for p in package.glob("*.py") if p.name != "__init__.py"]
    rooms += [p.name for p in package.iterdir() if (p / "__init__.py").exists()]
    missing = [r for r in rooms if not re.search(rf"(?<![\w.]){re.escape(r)}\b|\.{re.escape(r)}\.", doc)]
    assert not missing, f"the map of {package.relative_to(ROOT)} does not name {missing}"
    for named in re.findall(r"``([\w/]+(?:\.py|/))``", doc):
        if any(part.isupper() for part in re.split(r"[/.]", named)):
            continue  # a placeholder: ``app/tabs/NAME.py``
        assert (package / named).exists() or (ROOT / named).exists(), \
            f"the map of {package.relative_to(ROOT)} names {named}, which does not exist"


@pytest.mark.parametrize("question, package, room", [
    ("where a segment is stored", "index", "store/store.py"),
    ("where a coding's code is chosen", "suggest", "review/session.py"),
    ("where a question is turned into filters", "suggest/ask", "query.py"),
])
def test_the_maps_answer_a_newcomers_questions(question, package, room):
    doc = ast.get_docstring(tree_of(ROOT / package / "__init__.py"))
    entry = next((e for e in re.split(r"\n(?=``)", doc) if question in e), None)
    assert entry is not None, f"the map of {package}/ does not say {question!r}"
    assert room in entry or entry.startswith(f"``{room}``"), entry
    assert (ROOT / package / room).exists()
