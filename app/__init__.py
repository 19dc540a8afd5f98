"""The coding app (Gradio): review AI code suggestions at the speed of the keyboard, in the browser.

``app_gradio.py`` at the top level is its entry (``python app_gradio.py PROJECT``, ``codeseed app PROJECT``);
this package is the app. Its rooms:

- ``serving.py``: who may connect (127.0.0.1 unless ``--auth``), the same-origin guard on every request that
  changes the project, what the page may load, and ``start`` (open the project, launch the server).
- ``core.py``: :class:`CodingApp`: the one project, suggester and lock every tab shares; the review view.
- ``layout.py``: the page: header, then one tab per entry of ``tabs.TABS``.
- ``tabs/``: one module per tab (``review``, ``codebook``, ``agreement``, ``ask``, ``transfer`` = import/export),
  each with its handlers and its ``build``. Adding a tab: see ``tabs/__init__.py``.
- ``commands.py``: the typed :class:`Command` a review button sends from the browser, parsed and checked once.
- ``ordering.py``: each browser tab's commands applied strictly in the order pressed (their ``seq``).
- ``refresh.py``: the suggester fitted again in the background after every N decisions, swapped in under the lock.
- ``render.py``: plain data to HTML (review card and side panel, quotes, messages). No Gradio: unit-tested.
- ``assets.py`` + ``static/``: the CSS and the keyboard script, shipped as package data.

Gradio is imported only in ``serving``, ``layout`` and ``tabs/`` (tests/test_layers.py checks it).
What the queue holds and what a key does to the project are :mod:`suggest.review`'s, not this package's.
Every handler catches :class:`~index.errors.CodeseedError` and shows it as the app's own message.
"""

from .core import CodingApp
from .serving import check_serving, start

__all__ = ["CodingApp", "check_serving", "start"]
