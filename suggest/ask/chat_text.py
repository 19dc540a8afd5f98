"""A conversation as text: one reply for the terminal (``codeseed chat``), and a coder's kept history as Markdown
with the quotes (read back from the project, so they are verbatim)."""

from __future__ import annotations

from typing import Any

from suggest.ask.answer import format_result
from suggest.ask.chat import Reply
from suggest.ask.counting import CountTable


def format_count(table: CountTable) -> list[str]:
    """The count as an aligned text table; the line under it says how to open a number."""
    if table.reason:
        return [f"Nothing to count: {table.reason}"]
    codes = ", ".join(table.codes) or "none related to the topic"
    head = ["group" if table.group_by is None else table.group_by, "segments", "participants",
            "coded: part.", "coded: segm.", "search: part.", "search: segm."]
    rows = [[r.group, str(r.segments), str(r.participants), str(len(r.coded.participants)), str(len(r.coded.segments)),
             str(len(r.search.participants)), str(len(r.search.segments))] for r in table.rows]
    widths = [max(len(row[i]) for row in [head] + rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in [head] + rows]
    first = table.rows[0].group if table.rows else "GROUP"
    return lines + [f"coded = carries a related code ({codes}); search = contains a word of '{table.topic}' or is "
                    f"close in meaning. Open the quotes behind a number: open {first} coded · open {first} search"]


def format_reply(reply: Reply) -> str:
    lines = [f"Changed: {'; '.join(reply.changes)}"] if reply.changes else []
    if reply.problem:
        lines.append(f"Cannot answer that: {reply.problem}")
    if reply.codes is not None:
        lines += [f"{c.code:>6}  {c.name[:60]:60}  on {', '.join(c.quotes)}  (coded by {', '.join(c.coders)})"
                  for c in reply.codes] or ["None of the quotes shown carries a code."]
    if reply.count is not None:
        lines.append(f"Understood: {reply.understood.summary()}" if reply.understood else "")
        lines += format_count(reply.count)
    if reply.summary is not None:
        s = reply.summary
        lines += [f"Summary by {s.where} (check it against the quotes):", s.answer]
        lines += [f"  warning: [{c}] is not one of the quotes below" for c in s.check.unknown]
        lines += [f"  warning: cites no quote: {sentence}" for sentence in s.check.unsupported]
    if reply.result is not None:
        lines.append(format_result(reply.result))
    return "\n".join(line for line in lines if line is not None)


def export_markdown(project: Any, coder: str, conversation: int | None = None) -> str:
    """A coder's conversations (or one of them) as Markdown: each question, what changed, what was understood,
    and the quotes shown with who said them where."""
    turns = project.store.ask_turns(coder, conversation)
    ids = sorted({i for t in turns for i in t["answer"].get("quotes", [])})
    segments = {s.id: s for s in project.store.segments(segment_ids=ids)} if ids else {}
    out = [f"# Ask conversations of {coder} in {project.folder.name}", ""]
    if not turns:
        return "\n".join(out + ["No questions asked yet.", ""])
    current = None
    for turn in turns:
        if turn["conversation"] != current:
            current = turn["conversation"]
            out += [f"## Conversation {current}", ""]
        answer = turn["answer"]
        out += [f"### {turn['question']}", "", f"*{turn['asked_at']}*", ""]
        for key, label in (("changes", "Changed"), ("understood", "Understood"), ("problem", "Could not answer"),
                           ("empty_reason", "No quotes")):
            value = answer.get(key)
            if value:
                out.append(f"- **{label}:** {'; '.join(value) if isinstance(value, list) else value}")
        if answer.get("summary"):
            out += ["", f"**Summary** by {answer['summary']['where']}:", "", answer["summary"]["answer"]]
        if answer.get("count"):
            out += ["", *_count_markdown(answer["count"])]
        if answer.get("codes"):
            out += ["", "| code | name | on | coded by |", "|---|---|---|---|"]
            out += [f"| {c['code']} | {c['name']} | {', '.join(c['quotes'])} | {', '.join(c['coders'])} |"
                    for c in answer["codes"]]
        out.append("")
        for segment_id in answer.get("quotes", []):
            s = segments.get(segment_id)
            if s is None:
                out += [f"> [S{segment_id}] (no longer in the project)", ""]
                continue
            who = s.participant or s.speaker or "unknown speaker"
            out += [f"> [S{s.id}] {' '.join(s.text.split())}", ">",
                    f"> — {who}, {s.document}, turn {s.position + 1}", ""]
    return "\n".join(out)


def _count_markdown(data: dict[str, Any]) -> list[str]:
    rows = [f"| {r['group']} | {r['segments']} | {r['participants']} | {len(r['coded']['participants'])} | "
            f"{len(r['coded']['segments'])} | {len(r['search']['participants'])} | {len(r['search']['segments'])} |"
            for r in data["rows"]]
    return [f"| {data['group_by'] or 'group'} | segments | participants | coded: participants | coded: segments | "
            "search: participants | search: segments |", "|---|---|---|---|---|---|---|", *rows]
