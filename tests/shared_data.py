"""Files from ``shared/`` beside the repository: data codeseed may not redistribute (other programs' REFI-QDA
files, benchmark data sets). A user's clone has no ``shared/``: tests that need it skip there and say why.
CI sets ``CI=true`` and always has it, so there a missing file fails the test instead of hiding it.
``$CODESEED_SHARED`` points at another copy.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def shared_root() -> Path:
    if os.environ.get("CODESEED_SHARED"):
        return Path(os.environ["CODESEED_SHARED"])
    return Path(__file__).resolve().parents[2] / "shared"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_shared(*relative: str) -> Path:
    """The ``shared/`` folder, once every path named (relative to it) exists; else skip, or fail under CI.

    ``require_shared("refi-qda/demo.qdpx", "refi-qda/Project.xsd") / "refi-qda"`` is the REFI-QDA folder.
    """
    root = shared_root()
    missing = [name for name in relative if not (root / name).exists()]
    if missing:
        message = (f"needs {', '.join(missing)} from {root}, which is not part of the repository (other people's "
                   "files or benchmark data that codeseed may not redistribute): put the shared/ folder beside the "
                   "clone, or set CODESEED_SHARED to its path")
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return root
