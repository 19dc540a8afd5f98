"""The tabs of the coding app, in the order shown. Each module holds one tab: its handlers (plain functions of the
:class:`~app.core.CodingApp` and the inputs, returning what the screen shows) and its ``build`` (layout and
wiring), and ends with ``TAB = Tab(id, label, build)``.

``review.py``      one segment at a time, its suggestions with evidence, decided by keyboard
``codebook.py``    the code tree with counts and examples; editing a description
``agreement.py``   coders compared live (kappa, alpha, AC1, per code and document, with intervals), acceptance
                   rates from the decision log, and a cross-validation on the human codings
``team.py``        blind coding rounds (start, progress, close) and reconciliation under the consensus coder
``ask.py``         a question in, verbatim quotes out
``transfer.py``    import (transcripts, codebook, attributes, codings, .qdpx) and export
``base.py``        what a tab is (:class:`Tab`), the shared page parts (:class:`Shell`)

To add a tab: write ``app/tabs/NAME.py`` on the model of ``codebook.py`` (a small one), catch ``CodeseedError`` in
every handler and show it with :func:`app.render.message`, and add its ``TAB`` to ``TABS`` below.
"""

from __future__ import annotations

from . import agreement, ask, codebook, review, team, transfer
from .base import FAST, Shell, Tab

TABS: list[Tab] = [review.TAB, codebook.TAB, agreement.TAB, team.TAB, ask.TAB, transfer.TAB]

__all__ = ["FAST", "TABS", "Shell", "Tab"]
