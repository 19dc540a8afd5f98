"""Errors raised by the index layer.

Every message must stand alone: the command line prints ``str(error)`` and nothing
else, so each error carries a concrete "How to fix" line when one exists.
"""

from __future__ import annotations


class IndexLayerError(Exception):
    """Base class for problems in text -> vectors -> neighbours that the user can act on."""

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        text = self.message
        if self.fix:
            text += f"\n  How to fix: {self.fix}"
        return text


class ModelError(IndexLayerError):
    """The embedding model cannot be found, loaded or verified."""


class IndexMismatchError(IndexLayerError):
    """A saved index was built with another model or dimension, or is missing/corrupt."""
