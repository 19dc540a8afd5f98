"""What the coding app shows, as HTML: plain data (a review :class:`~suggest.review.Card`, an ask result, a
message) in, a string out. No Gradio here, so every screen can be checked without a browser; the styles are in
``static/app.css`` and each class name used below is styled there.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from suggest.review import ACCEPTED, ADDED, ORDERS, PENDING, REJECTED, Card, ItemView, clip_text

KEYS = [("A", "accept"), ("X", "reject"), ("0", "no code applies"), ("J K ↓ ↑", "move between suggestions"), ("1–9", "focus a suggestion"),
        ("N →", "next segment"), ("P ←", "previous"), ("S", "skip to next unreviewed"), ("U", "undo"),
        ("C /", "add a code"), ("E", "evidence"), ("T", "context")]


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def render_card(card: Card) -> str:
    if card.segment is None:
        return (f'<div class="cs-card cs-empty" data-segment="" data-token="{card.token}"><h3>Nothing to review</h3>'
                "<p>No segment matches the queue's filters. Change them above, or import transcripts in "
                "<b>Import / export</b>.</p></div>")
    s = card.segment
    share = 100 * card.progress.reviewed / card.progress.total if card.progress.total else 0
    who = s.participant or s.speaker or "unknown speaker"
    who = "" if who == s.document else f" · {esc(who)}"
    state = ('<span class="cs-pill cs-done">reviewed by you</span>' if card.reviewed
             else '<span class="cs-pill">to review</span>')
    attrs = "".join(f'<span class="cs-attr"><i>{esc(k)}</i> {esc(v)}</span>'
                    for k, v in sorted(card.attributes.items()) if k != "participant_id")

    def turns(segments, where):
        if not segments:
            return ""
        rows = "".join(
            f'<div class="cs-turn{" cs-interviewer" if t.is_interviewer else ""}"><b>{esc(t.speaker or "—")}</b> '
            f'{esc(t.text)}</div>' for t in segments)
        return f'<div class="cs-context cs-{where}">{rows}</div>'

    codings = "".join(
        f'<span class="cs-coding{" cs-mine" if c.mine else ""}" title="{esc(c.name)} — {esc(c.origin)}">'
        f'<b>{esc(c.code)}</b> {esc(clip_text(c.name, 48))} <i>{esc(c.coder)}</i></span>' for c in card.codings)
    codings = codings or '<span class="cs-none">no code yet</span>'
    if card.no_code:
        codings += '<span class="cs-coding cs-mine cs-nocode"><b>∅</b> no code applies <i>you</i></span>'
    blind = f'<div class="cs-blind" role="note">{esc(card.blind)}</div>' if card.blind else ""
    timestamp = f" · {esc(s.timestamp)}" if s.timestamp else ""
    return f"""<div class="cs-card" data-segment="{s.id}" data-token="{card.token}">
  <div class="cs-top">
    <span class="cs-position" title="position in the queue">{card.position} / {card.total}</span>
    <span class="cs-where"><b>{esc(s.document)}</b>{who}{timestamp} · turn {s.position + 1}</span>
    <button class="cs-ctx-toggle" type="button" title="show or hide the turns around it (T)">context (T)</button>
    {state}
  </div>
  <div class="cs-progress" title="{card.progress.reviewed} reviewed, {card.progress.to_review} to review">
    <div style="width:{share:.1f}%"></div></div>
  <div class="cs-progress-label">{card.progress.reviewed} reviewed · {card.progress.to_review} to review
    · {esc(ORDERS[card.order])}</div>
  <div class="cs-attrs">{attrs}</div>
  {turns(card.before, "before")}
  <blockquote class="cs-text" data-segment="{s.id}"><div class="cs-speaker">{esc(s.speaker or "—")}</div>{esc(s.text)}</blockquote>
  {turns(card.after, "after")}
  <div class="cs-codings"><span class="cs-label">Codes on this segment</span>{codings}</div>
  {blind}
</div>"""


STATUS_LABEL = {PENDING: "", ACCEPTED: "✓ accepted", REJECTED: "✗ rejected", ADDED: "＋ added"}


def render_side(card: Card, error: str | None = None, render: int = 0, status: str = "") -> str:
    """The side panel; ``status``: a line about the suggester (being fitted again in the background, or done)."""
    segment = card.segment.id if card.segment else ""
    message = error or card.message
    kind = " cs-error" if error else ""
    coder = (f'Coding as <b>{esc(card.coder)}</b>' if card.coder
             else '<span class="cs-warn">Enter your coder name (top right) to decide</span>')
    head = (f'<div class="cs-side" data-segment="{segment}" data-token="{card.token}" data-render="{render}">'
            f'<div class="cs-coder-line">{coder}</div>'
            + (f'<div class="cs-refresh" role="status">{esc(status)}</div>' if status else "") +
            f'<div class="cs-msg{kind}" role="status">{esc(message)}</div>')
    if card.segment is None:
        return head + "</div>"
    if not card.items:
        why = ("You marked that no code applies (U undoes it)." if card.no_code
               else "No code to suggest: add one with the picker (C).")
        return head + f'<p class="cs-none">{why}</p></div>'
    rows = "".join(render_item(n, item, focused=n == card.focus, segment=segment)
                   for n, item in enumerate(card.items))
    return head + f'<ol class="cs-list">{rows}</ol></div>'


def render_item(n: int, item: ItemView, *, focused: bool, segment: int | str) -> str:
    """One line of the side panel: key, code, name, score bar, buttons or status, and the evidence behind it."""
    classes = ["cs-sugg", item.status] + (["focused"] if focused else []) + (["confident"] if item.confident else [])
    score = "" if item.score is None else f"{item.score:.2f}"
    width = 0 if item.score is None else max(2.0, 100 * item.score)
    threshold = ("" if item.threshold is None or item.score is None
                 else f' title="score {item.score:.2f}; suggested from {item.threshold:.2f}"')
    mark = ("" if item.status != PENDING else "suggested" if item.confident else "below threshold")
    theme = f' title="{esc(item.theme)}"' if item.theme else ""
    buttons = ('<span class="cs-mini"><button data-act="accept" title="accept (A)">✓</button>'
               '<button data-act="reject" title="reject (X)">✗</button></span>' if item.status == PENDING else
               f'<span class="cs-status">{STATUS_LABEL[item.status]}</span>')
    return (f'<li class="{" ".join(classes)}" data-code="{esc(item.code)}" data-index="{n}">'
            f'<div class="cs-row"><span class="cs-key">{n + 1}</span><span class="cs-code">{esc(item.code)}</span>'
            f'<span class="cs-name"{theme}>{esc(item.name)}</span>'
            f'<span class="cs-score"{threshold}><span class="cs-bar"><span style="width:{width:.0f}%"></span></span>'
            f'{score}<small>{mark}</small></span>{buttons}</div>{render_evidence(item, segment)}</li>')


def render_evidence(item: ItemView, segment: int | str) -> str:
    """The coded (or rejected) segments behind a suggestion, folded; or why there are none."""
    evidence = []
    for e in item.evidence:
        why = f"coded by {esc(e.coder or '?')}" if e.polarity > 0 else "this code was rejected for it"
        speaker = "" if e.speaker in (None, e.document) else f" {esc(e.speaker)}"
        evidence.append(f'<li class="{"cs-neg" if e.polarity < 0 else "cs-pos"}"><span class="cs-sim">'
                        f'{e.similarity:.2f}</span> <b>{esc(e.document)}</b>{speaker} '
                        f'<i>({why})</i><div class="cs-quote">{esc(clip_text(e.text, 320))}</div></li>')
    if evidence:
        return (f'<details class="cs-evidence" data-key="{segment}:{esc(item.code)}"><summary>Evidence: '
                f'{len(item.evidence)} similar segment{"s" if len(item.evidence) != 1 else ""}</summary>'
                f'<ul>{"".join(evidence)}</ul></details>')
    if item.status == PENDING:
        return '<div class="cs-noevidence">No coded neighbour: the score rests on the codebook description.</div>'
    return ""


def render_keys() -> str:
    keys = "".join(f"<span><kbd>{esc(k)}</kbd> {esc(v)}</span>" for k, v in KEYS)
    return f'<div class="cs-keys" aria-label="keyboard shortcuts">{keys}</div>'


def render_brand(project_name: str) -> str:
    return (f'<div class="cs-brand"><span class="cs-logo">codeseed</span>'
            f'<span class="cs-project">{esc(project_name)}</span>'
            f'<span class="cs-tagline">review code suggestions · everything stays on this machine</span></div>')


def render_quotes(result: Any, *, understood: bool = True) -> str:
    """An ask result (:class:`suggest.ask.answer.AskResult`): what was understood, then each quote with its place."""
    parts = [f'<div class="cs-understood">Understood: {esc(result.understood.summary())}</div>'] if understood else []
    if not result.quotes:
        parts.append(f'<p class="cs-none">No quotes: {esc(result.empty_reason)}</p>')
    for q in result.quotes:
        attrs = ", ".join(f"{k}={v}" for k, v in q.attributes.items() if k != "participant_id")
        codes = ", ".join(c["id"] for c in q.codes) or "no code"
        parts.append(
            f'<div class="cs-quotecard" data-segment="{q.segment_id}"><div class="cs-where"><b>{esc(q.cite)}</b> · '
            f'{esc(q.participant or q.speaker or "unknown")} in <b>{esc(q.document)}</b> (turn {q.position + 1}, '
            f'characters {q.start}–{q.end}) · {esc(codes)}</div><blockquote class="cs-text">{esc(q.text)}'
            f'</blockquote><div class="cs-attrs-line">{esc(attrs)}</div></div>')
    return "".join(parts)


def render_reply(reply: Any) -> str:
    """One answer of an Ask conversation (:class:`suggest.ask.chat.Reply`): what changed, what was understood, then
    the codes table, the count's note, the summary with its flags, and the quote cards."""
    parts = [f'<div class="cs-changes">Changed: {esc("; ".join(reply.changes))}</div>'] if reply.changes else []
    if reply.problem:
        parts.append(f'<div class="cs-problem">{esc(reply.problem)}</div>')
    if reply.understood is not None and reply.intent != "open":
        parts.append(f'<div class="cs-understood">Understood: {esc(reply.understood.summary())}</div>')
    if reply.codes is not None:
        rows = "".join(f"<tr><td><b>{esc(c.code)}</b></td><td>{esc(c.name)}</td><td>{esc(', '.join(c.quotes))}</td>"
                       f"<td>{esc(', '.join(c.coders))}</td></tr>" for c in reply.codes)
        parts.append(f'<table class="cs-codes"><tr><th>code</th><th>name</th><th>on</th><th>coded by</th></tr>{rows}'
                     "</table>" if rows else '<p class="cs-none">None of the quotes shown carries a code.</p>')
    if reply.count is not None:
        note = reply.count.reason or (f"Counted by {reply.count.group_by or 'everyone'}: see the chart and the table "
                                      "under the chat; click a number to see its quotes. Coded = carries a related "
                                      f"code ({', '.join(reply.count.codes) or 'none'}); search = contains a word "
                                      "of the topic or is close in meaning.")
        parts.append(f'<div class="cs-count-note">{esc(note)}</div>')
    if reply.summary is not None:
        s = reply.summary
        flags = [f"[{c}] is not one of the quotes below" for c in s.check.unknown]
        flags += [f"cites no quote: {sentence}" for sentence in s.check.unsupported]
        flagged = "".join(f"<li>{esc(f)}</li>" for f in flags)
        parts.append(f'<div class="cs-summary"><div class="cs-summary-by">Summary by {esc(s.where)} — check it '
                     f'against the quotes</div><p>{esc(s.answer)}</p>'
                     + (f'<ul class="cs-flags">{flagged}</ul>' if flagged else "") + "</div>")
    if reply.result is not None:
        parts.append(render_quotes(reply.result, understood=False))
    return "".join(parts)


def render_turn(answer: dict) -> str:
    """A kept turn (as the store holds it), shown again after a reload: what changed and was understood."""
    parts = [f'<div class="cs-changes">Changed: {esc("; ".join(answer.get("changes") or []))}</div>']
    for key, css in (("problem", "cs-problem"), ("understood", "cs-understood")):
        if answer.get(key):
            parts.append(f'<div class="{css}">{"Understood: " if key == "understood" else ""}{esc(answer[key])}</div>')
    if answer.get("summary"):
        parts.append(f'<div class="cs-summary"><p>{esc(answer["summary"]["answer"])}</p></div>')
    if answer.get("quotes"):
        parts.append(f'<div class="cs-none">{len(answer["quotes"])} quotes: '
                     f'{esc(", ".join(f"S{i}" for i in answer["quotes"]))}</div>')
    return "".join(parts)


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.0f}%"


def message(text: str, *, error: bool = False) -> str:
    return f'<div class="cs-message{" cs-error" if error else ""}" role="status"><pre>{esc(text)}</pre></div>'


def upload_names(text: str, paths: list[Path]) -> str:
    """Say the uploaded file's own name, not the temporary folder it was uploaded to."""
    for path in sorted(paths, key=lambda p: -len(str(p))):
        text = text.replace(str(path), path.name)
    return text


def render_failure(text: str, render: int = 0) -> tuple[str, str]:
    """The review card and side panel when the card itself could not be made (say, the index needs rebuilding)."""
    side = (f'<div class="cs-side" data-segment="" data-token="" data-render="{render}">'
            f'<div class="cs-msg cs-error" role="status">{esc(text)}</div></div>')
    return message(text, error=True), side
