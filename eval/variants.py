"""The suggester's switchable additions, each reported as a method of its own beside the shipped suggester.

The shipped defaults of :class:`suggest.estimator.CodeSuggester` are the best combination on the benchmarks
(docs/benchmarks.md). To show what each addition does, a benchmark can run beside the product:

``suggester_v1``             the suggester before the additions (every addition off): the earlier release;
``suggester_no_<addition>``  the shipped suggester with that one addition off.

Additions that are off by default (measured, no gain) are shown switched *on* instead:
``suggester_with_<addition>``.
"""

from __future__ import annotations

from typing import Any

from suggest.estimator import CodeSuggester

from .methods import SuggesterMethod

__all__ = ["ADDITIONS", "variant_methods"]

# addition -> (its value when on, its value when off)
ADDITIONS: dict[str, tuple[Any, Any]] = {
    "example_prototypes": (True, False),
    "threshold_shrinkage": (10.0, 0.0),
    "punctuation": (True, False),
    "learned_blend": (True, False),
}


def _method(name: str, label: str, **params: Any) -> SuggesterMethod:
    method = SuggesterMethod(**params)
    method.name, method.label = name, label  # instance attributes: the class keeps the product's name
    return method


def variant_methods() -> list[SuggesterMethod]:
    """The earlier suggester, and the shipped one with each addition flipped (off if shipped on, else on)."""
    shipped = CodeSuggester().get_params()
    methods = [_method("suggester_v1", "suggester before the additions",
                       **{name: off for name, (_, off) in ADDITIONS.items()})]
    for name, (on, off) in ADDITIONS.items():
        if shipped[name] == on:
            methods.append(_method(f"suggester_no_{name}", f"suggester without {name.replace('_', ' ')}",
                                   **{name: off}))
        else:
            methods.append(_method(f"suggester_with_{name}", f"suggester with {name.replace('_', ' ')}",
                                   **{name: on}))
    return methods
