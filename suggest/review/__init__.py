"""The review behind the coding app: which segments a coder sees, what the screen shows for each, and what every
key does to the project. Plain Python; ``app_gradio.py`` only renders a :class:`Card` and routes clicks and keys
to a :class:`ReviewSession`. Never imports :mod:`suggest.ask`.

``queue.py``     which segments, in what order: filters by document and attribute, the three orders, progress
``cards.py``     what the screen shows for one segment: the suggestion list (decisions + suggestions), evidence, the
                 :class:`Card`
``session.py``   :class:`ReviewSession`: one coder's pass through the queue, the accept/reject/add/undo loop
                 (**where a coding's code is chosen** by the coder), locking
``refresh.py``   fitting the suggester again during review (the app's background refresh), and after an import
``rounds.py``    a blind round's review: the coder's own suggester, the round's segments as the queue
``codebook.py``  the codebook tab: the code tree with counts and examples, editing a description, the picker's list

::

    from suggest.review import QueueFilter, ReviewSession
    from suggest.project_suggester import ProjectSuggester

    session = ReviewSession(project, ProjectSuggester(project).fit(), coder="ana")
    card = session.card()          # the segment on screen: text, context, suggestions with evidence, progress
    session.accept()               # the focused suggestion, committed to the store at once
    session.reject("2.3")          # a suggestion named by its code
    session.add_code("1.4")        # any code of the codebook (the app's picker)
    session.no_code()              # no code applies to this segment (key 0)
    session.undo()                 # takes back ana's last decision and shows its segment again
    session.next(); session.skip() # skip: on to the next segment ana has not reviewed yet
    session.set_queue("uncertain", QueueFilter(attributes=(("setting", "generic"),)))

Coder names follow the data layer's one rule, :func:`index.types.coder_name`.
"""

from suggest.review.cards import (
    ACCEPTED,
    ADDED,
    PENDING,
    REJECTED,
    Card,
    CodingView,
    EvidenceView,
    Item,
    ItemView,
    merge_items,
    next_pending,
)
from suggest.review.codebook import CodebookRow, clip_text, codebook_rows, save_code_description
from suggest.review.queue import ORDERS, Progress, QueueFilter, attribute_label, order_queue, parse_attribute
from suggest.review.refresh import refit
from suggest.review.session import ReviewSession

__all__ = [
    "ACCEPTED", "ADDED", "ORDERS", "PENDING", "REJECTED", "Card", "CodebookRow", "CodingView", "EvidenceView", "Item",
    "ItemView", "Progress", "QueueFilter", "ReviewSession", "attribute_label", "clip_text", "codebook_rows",
    "merge_items", "next_pending", "order_queue", "parse_attribute", "refit", "save_code_description",
]
