"""A fitted object's state as JSON plus numpy arrays: what :mod:`suggest.saved_model` writes instead of a pickle.

Generic over the estimator, in the scikit-learn manner: an object is saved as its class, its constructor
parameters (the names in ``__init__``'s signature) and every other attribute it holds (the learned ones,
ending in ``_``, and any private lookup tables); loading calls the constructor with the parameters and sets
the rest. So a channel or attribute added to :class:`~suggest.estimator.CodeSuggester` is carried without a
change here, and one of a type this module cannot write fails loudly at save time (never silently dropped).

What can be written: ``None``, bools, numbers, strings, numpy scalars and arrays (not of Python objects),
lists, tuples, sets, dicts (any encodable keys), dataclasses and other objects of classes defined in
``suggest``, and the few scikit-learn classes in :data:`FOREIGN_CLASSES`. Loading instantiates only those
classes: a state file cannot make codeseed import or run anything else.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from typing import Any

import numpy as np

#: Classes from outside ``suggest`` that a state may hold (the linear channel's TF-IDF vectoriser).
FOREIGN_CLASSES = frozenset({
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
})


class StateError(ValueError):
    """A state holds something this module cannot write, or a state file names a class it may not load."""


def class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _allowed(path: str) -> bool:
    return path.startswith("suggest.") or path in FOREIGN_CLASSES


def constructor_params(obj: Any) -> dict[str, Any]:
    """The constructor parameters an object stores under their own names (the scikit-learn convention)."""
    names = [p.name for p in inspect.signature(type(obj).__init__).parameters.values()
             if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return {name: getattr(obj, name) for name in names if name in vars(obj)}


class StateWriter:
    """Turns a value into JSON-able data; arrays go into :attr:`arrays` and are referred to by key."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def encode(self, value: Any, where: str = "state") -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, float)) and type(value) in (int, float):
            return value
        if isinstance(value, np.generic):
            return {"__numpy__": value.dtype.str, "value": value.item()}
        if isinstance(value, np.ndarray):
            return self._array(value, where)
        if isinstance(value, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, tuple):
            return {"__tuple__": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, (set, frozenset)):
            items = sorted(value, key=repr)
            return {"__set__": [self.encode(v, f"{where}{{}}") for v in items], "frozen": isinstance(value, frozenset)}
        if isinstance(value, dict):
            return {"__dict__": [[self.encode(k, f"{where} key"), self.encode(v, f"{where}[{k!r}]")]
                                 for k, v in value.items()]}
        if isinstance(value, type) and issubclass(value, np.generic):
            return {"__numpy_type__": np.dtype(value).str}
        return self._object(value, where)

    def _array(self, value: np.ndarray, where: str) -> dict:
        if value.dtype.kind == "O":
            raise StateError(f"{where}: an array of Python objects cannot be saved without pickle")
        key = f"a{len(self.arrays):05d}"
        self.arrays[key] = value
        return {"__array__": key}

    def _object(self, value: Any, where: str) -> dict:
        path = class_path(type(value))
        if not _allowed(path):
            raise StateError(f"{where}: cannot save an object of type {path}; save its arrays and numbers instead, "
                             "or add the class to suggest.saved_state.FOREIGN_CLASSES if it is plain data")
        if dataclasses.is_dataclass(value):
            fields = {f.name: self.encode(getattr(value, f.name), f"{where}.{f.name}")
                      for f in dataclasses.fields(value)}
            return {"__dataclass__": path, "fields": fields}
        params = constructor_params(value)
        rest = {k: v for k, v in vars(value).items() if k not in params}
        return {"__object__": path,
                "params": {k: self.encode(v, f"{where}.{k}") for k, v in params.items()},
                "state": {k: self.encode(v, f"{where}.{k}") for k, v in rest.items()}}


def decode(data: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The inverse of :meth:`StateWriter.encode`, reading arrays by key."""
    if isinstance(data, list):
        return [decode(v, arrays) for v in data]
    if not isinstance(data, dict):
        return data
    if "__array__" in data:
        return arrays[data["__array__"]]
    if "__numpy__" in data:
        return np.dtype(data["__numpy__"]).type(data["value"])
    if "__numpy_type__" in data:
        return np.dtype(data["__numpy_type__"]).type
    if "__tuple__" in data:
        return tuple(decode(v, arrays) for v in data["__tuple__"])
    if "__set__" in data:
        items = [decode(v, arrays) for v in data["__set__"]]
        return frozenset(items) if data.get("frozen") else set(items)
    if "__dict__" in data:
        return {_hashable(decode(k, arrays)): decode(v, arrays) for k, v in data["__dict__"]}
    if "__dataclass__" in data:
        cls = _load_class(data["__dataclass__"])
        return cls(**{k: decode(v, arrays) for k, v in data["fields"].items()})
    if "__object__" in data:
        cls = _load_class(data["__object__"])
        obj = cls(**{k: decode(v, arrays) for k, v in data["params"].items()})
        for name, value in data["state"].items():
            setattr(obj, name, decode(value, arrays))
        return obj
    raise StateError(f"unknown entry in a state file: {sorted(data)[:3]}")


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def _load_class(path: str) -> type:
    if not _allowed(path):
        raise StateError(f"a state file names the class {path}, which codeseed does not load")
    module, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise StateError(f"a state file names the class {path}, which this version of codeseed lacks") from exc
