"""Every Python example in README.md and docs/*.md runs, as written, on the bundled sample project with the real
model: an example that no longer matches the code fails here. Examples that need a project get the open sample
project as ``project``; the one that asks a local chat model gets LangChain's fake chat model instead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import _shared_home
from index.demo import build_demo

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks() -> list[tuple[str, int, str]]:
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for number, match in enumerate(FENCE.finditer(path.read_text(encoding="utf-8")), start=1):
            found.append((str(path.relative_to(ROOT)), number, match.group(1)))
    return found


BLOCKS = python_blocks()


def test_the_examples_are_found():
    assert {(f, n) for f, n, _ in BLOCKS} >= {("README.md", 1), ("docs/ask.md", 1), ("docs/ask.md", 2)}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The sample project, built and indexed as ``demo-project`` (the name the README uses)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CODESEED_HOME", str(_shared_home(tmp_path_factory)))
        where = tmp_path_factory.mktemp("docs")
        build_demo(where / "demo-project").close()
        yield where


@pytest.mark.parametrize("file, number, code", BLOCKS, ids=[f"{f}#{n}" for f, n, _ in BLOCKS])
def test_example_runs(file, number, code, folder, monkeypatch):
    from index.project import Project

    monkeypatch.chdir(folder)
    if "chat_model_from_spec(" in code:
        from langchain_core.language_models import FakeListChatModel

        import suggest.ask.langchain_adapter as adapter

        monkeypatch.setattr(adapter, "chat_model_from_spec",
                            lambda spec: FakeListChatModel(responses=["Stigma is described [S1]."]))
    with Project.open(folder / "demo-project") as project:
        namespace = {"project": project, "__name__": "docs_example"}
        exec(compile(code, f"{file} (python block {number})", "exec"), namespace)
    if file == "README.md" and number == 1:
        assert namespace["results"] and namespace["segment_id"] in namespace["results"]
