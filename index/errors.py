"""Errors a user can act on: one root, :class:`CodeseedError`, for every layer.

Every error raised for bad input says *where* (file, row, field), *what* is wrong and *how to fix it*.
The command line and the app print ``str(error)`` and nothing else, so the message must stand alone.
"""

from __future__ import annotations


class CodeseedError(Exception):
    """An error caused by input or state the user controls; never a bug in codeseed."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.row = row
        self.field = field
        self.fix = fix

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        text = (": ".join(where) + ": " if where else "") + self.message
        if self.fix:
            text += f"\n  How to fix: {self.fix}"
        return text


class InputFileError(CodeseedError):
    """A file handed to codeseed cannot be read as asked (format, encoding, columns, rows)."""


class ProjectError(CodeseedError):
    """The project folder is missing, not a codeseed project, or in a state that forbids the action."""



class IndexLayerError(CodeseedError):
    """A problem in text -> vectors -> neighbours that the user can act on (model, index, cache)."""

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message, fix=fix)


class ModelError(IndexLayerError):
    """The embedding model cannot be found, loaded or verified."""


class IndexMismatchError(IndexLayerError):
    """A saved index was built with another model or dimension, or is missing/corrupt."""
