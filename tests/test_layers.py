"""The architecture, checked by reading imports: layers import one way, heavy libraries stay in their one file,
and nothing in the product can unpickle."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYER_OF = {"index": 0, "suggest": 1, "eval": 2, "app_gradio": 3, "codeseed_cli": 3, "app": 3, "cli": 3}


def product_files() -> list[Path]:
    files = [p for pkg in ("index", "suggest", "eval", "app", "cli") for p in (ROOT / pkg).rglob("*.py")]
    return files + [p for p in (ROOT / "app_gradio.py", ROOT / "codeseed_cli.py") if p.exists()]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


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
    ("sentence_transformers", {"index/encoder.py", "index/model.py"}),
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
