"""The suggester at work on a project: fitted on its codings, taught by every decision, stored with its evidence.

Python API (the command line and the app use the same)::

    from index.project import Project
    from suggest.project_suggester import ProjectSuggester

    with Project.open("myproject") as project:
        suggester = ProjectSuggester(project).fit()
        for segment_id, ranked in suggester.suggest().items():
            best = ranked[0]                       # Suggestion(code, score, rank, confident, evidence)
        suggester.decide(segment_id, best.code, coder="ana", accept=True, score=best.score)
        suggester.undo(coder="ana")                # takes back ana's last decision

What counts as an example: every segment with a coding (by any coder, human or accepted suggestion).
"No code applies" (:meth:`ProjectSuggester.decide_none`) is a rejection of every code for its segment: never
proposed there again, and weaker for segments very like it (the estimator's rejection mechanism, unchanged).
With a ``view`` (:class:`index.rounds.CoderView`, a coder of an open blind round), the suggester sees only the
codings and decisions the view lets through: those from before the round and the coder's own.
What may be suggested: the codebook's leaf codes and any code that has codings (a parent theme with no
codings of its own groups its subcodes and is not proposed). Interviewer turns and segments that already
have a coding are not offered unless asked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from index.errors import CodeseedError, ProjectError
from index.project import Project
from index.rounds import CoderView
from suggest.estimator import CodeSuggester, Example
from suggest.suggestion import Suggestion
from index.types import Code, Segment, coder_name, prototype_text  # prototype_text: here since the index embeds it too


def suggestable_codes(codes: list[Code], coded: set[str]) -> list[Code]:
    parents = {c.parent for c in codes if c.parent}
    return [c for c in codes if c.id not in parents or c.id in coded]


@dataclass(frozen=True)
class Outcome:
    """What a decision did: the decision row, and whether a coding was added or removed."""

    decision_id: int
    coding_changed: bool


class ProjectSuggester:
    def __init__(self, project: Project, *, group_by: str = "document", view: CoderView | None = None,
                 **params: Any) -> None:
        if group_by not in ("document", "participant"):
            raise ValueError("group_by must be 'document' or 'participant'")
        self.project = project
        self.group_by = group_by
        self.view = view
        self.model = CodeSuggester(**params)
        self._segments: dict[int, Segment] = {}
        self._vectors: dict[int, np.ndarray] = {}

    # -- fitting ---------------------------------------------------------------------------------
    def fit(self, *, progress: bool = False) -> "ProjectSuggester":
        store = self.project.store
        codes = store.codes()
        if not codes:
            raise ProjectError("the project has no codebook", file=str(self.project.folder),
                               fix=f"import one: codeseed import {self.project.folder} --codebook codebook.csv")
        segments = store.segments()
        self._segments = {s.id: s for s in segments}
        vectors, _ = self.project.embed([s.text for s in segments], progress=progress)
        self._vectors = {s.id: v for s, v in zip(segments, vectors)}
        by_segment: dict[int, dict[str, str]] = {}
        for coding in self.codings():
            by_segment.setdefault(coding["segment_id"], {}).setdefault(coding["code_id"], coding["coder"])
        self.codes = suggestable_codes(codes, {c for d in by_segment.values() for c in d})
        prototypes = self.project.embed([prototype_text(c) for c in self.codes])[0]
        ids = [i for i in by_segment if i in self._segments]
        examples = [Example(i, by_segment[i], self._group(self._segments[i])) for i in ids]
        fingerprint = self._fingerprint(examples)
        cached = store.calibration_for(fingerprint)
        self.model.fit(
            np.array([self._vectors[i] for i in ids]).reshape(len(ids), -1) if ids else np.zeros((0, vectors.shape[1])),
            examples, codes=[c.id for c in self.codes], texts=[self._segments[i].text for i in ids],
            prototypes=prototypes, calibrate=cached is None,
        )
        self.reused_calibration = cached is not None
        if cached is not None:
            self.model.set_calibration(cached)
        for decision in self.standing_decisions():
            self._apply_rejection(decision)
        with store.transaction():
            self.run_id = store.add_suggester_run(  # tells a review session that the suggester was refitted
                suggester=self.version, parameters=self.model.get_params(),
                thresholds={c: float(t) for c, t in zip(self.model.codes_, self.model.thresholds_)},
                examples=len(examples), fingerprint=fingerprint, calibration=self.model.calibration())
        return self

    def _fingerprint(self, examples: list[Example]) -> str:
        """What calibration depends on: algorithm and parameters, the embedding model, the codes and their
        codebook text, and every example's text, codes and group. Rejections are applied after calibration."""
        digest = hashlib.sha256()
        for part in (self.model.version.split(" examples=")[0], self.project.encoder.identifier,
                     json.dumps([(c.id, prototype_text(c)) for c in self.codes])):
            digest.update(part.encode("utf-8") + b"\0")
        for e in examples:
            text = self._segments[e.segment_id].text
            digest.update(json.dumps([e.segment_id, sorted(e.codes), e.group, text]).encode("utf-8") + b"\0")
        return digest.hexdigest()

    # -- what this suggester sees (all, or a round coder's view) --------------------------------------------
    def codings(self, *, coder: str | None = None) -> list[dict[str, Any]]:
        rows = self.project.store.codings(coder=coder)
        return self.view.filter(rows) if self.view is not None else rows

    def standing_decisions(self) -> list[dict[str, Any]]:
        rows = self.project.store.standing_decisions()
        return self.view.filter(rows) if self.view is not None else rows

    def _apply_rejection(self, decision: dict[str, Any]) -> None:
        """A standing reject counts against its code; a 'no code applies' against every code."""
        segment_id = decision["segment_id"]
        if segment_id not in self._vectors or decision["decision"] not in ("reject", "none"):
            return
        codes = [decision["code_id"]] if decision["decision"] == "reject" else list(self.model.codes_)
        for code in codes:
            self.model.add_rejection(segment_id, self._vectors[segment_id], code)

    def _group(self, segment: Segment) -> str:
        if self.group_by == "participant" and segment.participant:
            return f"participant:{segment.participant}"
        return f"document:{segment.document_id}"

    @property
    def version(self) -> str:
        return self.model.version

    def _require_fitted(self) -> None:
        if not hasattr(self.model, "codes_"):
            raise RuntimeError("call fit() first")

    # -- suggesting ------------------------------------------------------------------------------
    def candidates(self, *, documents: Iterable[str] | None = None, include_coded: bool = False,
                   include_interviewer: bool = False) -> list[Segment]:
        """Segments to offer for coding, in document order."""
        self._require_fitted()
        coded = {c["segment_id"] for c in self.codings()}
        coded |= {d["segment_id"] for d in self.standing_decisions() if d["decision"] == "none"}
        wanted = set(documents) if documents is not None else None
        if wanted is not None:
            known = {s.document for s in self._segments.values()}
            missing = sorted(wanted - known)
            if missing:
                raise CodeseedError(f"no document named {missing[0]!r} in the project", field="documents",
                                    fix="use the names shown by `codeseed status PROJECT --documents`")
        return [s for s in self._segments.values()
                if (include_interviewer or not s.is_interviewer)
                and (include_coded or s.id not in coded)
                and (wanted is None or s.document in wanted)]

    def suggest(self, segment_ids: Iterable[int] | None = None, *, codes: Iterable[str] | None = None,
                top: int = 5, store: bool = True, progress: bool = False) -> dict[int, list[Suggestion]]:
        """Ranked suggestions for the given segments (default: all candidates), stored in the project."""
        self._require_fitted()
        ids = [s.id for s in self.candidates()] if segment_ids is None else list(segment_ids)
        unknown = [i for i in ids if i not in self._segments]
        if unknown:
            raise CodeseedError(f"no segment with id {unknown[0]} in the project", field="segment_id")
        allowed = self._check_codes(codes)
        applied = self._applied_codes()
        results: dict[int, list[Suggestion]] = {}
        batches = range(0, len(ids), 256)
        if progress:
            from tqdm import tqdm

            batches = tqdm(batches, desc="suggesting", unit="batch")
        for start in batches:
            chunk = ids[start:start + 256]
            exclude = [applied.get(i, set()) | (set(self.model.codes_) - allowed) for i in chunk]
            ranked = self.model.suggest(np.array([self._vectors[i] for i in chunk]),
                                        [self._segments[i].text for i in chunk],
                                        segment_ids=chunk, exclude=exclude, top=top)
            results.update(zip(chunk, ranked))
        if store:
            rows = [{"segment_id": i, "code_id": s.code, "score": s.score, "rank": s.rank,
                     "confident": s.confident, "suggester": self.version,
                     "evidence": [e.__dict__ for e in s.evidence]}
                    for i, ranked in results.items() for s in ranked]
            with self.project.store.transaction():
                self.project.store.replace_suggestions(rows, results.keys())
        return results

    def _check_codes(self, codes: Iterable[str] | None) -> set[str]:
        if codes is None:
            return set(self.model.codes_)
        wanted = set(codes)
        missing = sorted(wanted - set(self.model.codes_))
        if missing:
            raise CodeseedError(f"code {missing[0]!r} is not a code that can be suggested", field="codes",
                                fix="use leaf code ids from `codeseed status PROJECT --codes`")
        return wanted

    def _applied_codes(self) -> dict[int, set[str]]:
        applied: dict[int, set[str]] = {}
        for coding in self.codings():
            applied.setdefault(coding["segment_id"], set()).add(coding["code_id"])
        return applied

    # -- decisions ---------------------------------------------------------------------------------
    def _check_decision(self, segment_id: int, coder: str) -> str:
        """The coder's name as stored, once the segment and the name are checked."""
        self._require_fitted()
        if segment_id not in self._segments:
            raise CodeseedError(f"no segment with id {segment_id} in the project", field="segment_id")
        return coder_name(coder, required=True, missing="a decision needs a coder name", fix="pass --coder NAME")

    def _standing_none(self, segment_id: int, coder: str) -> bool:
        return any(d["segment_id"] == segment_id and d["coder"] == coder and d["decision"] == "none"
                   for d in self.standing_decisions())

    def decide(self, segment_id: int, code: str, *, coder: str, accept: bool, score: float | None = None,
               origin: str = "accepted suggestion", note: str | None = None) -> Outcome:
        """Record a coder's accept or reject; an accept becomes a coding. The suggester learns at once.

        ``origin`` names where an accepted coding came from: a suggestion (the default), or ``"human"`` for a
        code the coder chose themselves (the app's code picker; recorded with ``score=None``). ``note``: what
        the decision stands for beyond its coder (a reconciliation names the coders it reconciled).
        """
        coder = self._check_decision(segment_id, coder)
        if code not in {c.id for c in self.project.store.codes()}:
            raise CodeseedError(f"no code {code!r} in the codebook", field="code")
        if accept and self._standing_none(segment_id, coder):
            raise CodeseedError(f"{coder} decided that no code applies to segment {segment_id}", field="code",
                                fix="undo that decision first (U in the app), then apply the code")
        store = self.project.store
        with store.transaction():
            decision_id = store.add_decision(segment_id=segment_id, code_id=code, coder=coder,
                                             decision="accept" if accept else "reject", score=score,
                                             suggester=self.version, note=note)
            changed = bool(store.add_codings([(segment_id, code, coder, origin)])) if accept else False
        if accept:
            self.model.add_example(segment_id, self._vectors[segment_id], code, coder, self._segments[segment_id].text)
        else:
            self.model.add_rejection(segment_id, self._vectors[segment_id], code)
        return Outcome(decision_id, changed)

    def decide_none(self, segment_id: int, *, coder: str, note: str | None = None) -> Outcome:
        """Record "no code applies": the coder reviewed the segment and no code of the codebook fits.

        Counts as reviewed; the suggester takes it as a rejection of every code for this segment (none is
        proposed for it again, and each is weaker for segments very like it). Refused while the coder has a
        coding on the segment (undo or reject it first); a second one on the same segment changes nothing.
        """
        coder = self._check_decision(segment_id, coder)
        own = sorted(c["code_id"] for c in self.codings(coder=coder) if c["segment_id"] == segment_id)
        if own:
            raise CodeseedError(f"{coder} coded segment {segment_id} with {', '.join(own)}", field="segment_id",
                                fix="undo those codes first (U in the app), then mark that no code applies")
        if self._standing_none(segment_id, coder):
            last = next(d for d in reversed(self.standing_decisions())
                        if d["segment_id"] == segment_id and d["coder"] == coder and d["decision"] == "none")
            return Outcome(int(last["id"]), False)
        store = self.project.store
        with store.transaction():
            decision_id = store.add_decision(segment_id=segment_id, code_id=None, coder=coder, decision="none",
                                             score=None, suggester=self.version, note=note)
        self._apply_rejection({"segment_id": segment_id, "decision": "none", "code_id": None})
        return Outcome(decision_id, False)

    def undo(self, *, coder: str) -> dict[str, Any] | None:
        """Take back ``coder``'s last standing decision (an 'undo' row is appended; nothing is erased)."""
        coder = coder_name(coder, required=True, missing="undo needs a coder name", fix="pass --coder NAME")
        store = self.project.store
        last = store.last_standing_decision(coder)
        if last is None:
            return None
        with store.transaction():
            store.add_decision(segment_id=last["segment_id"], code_id=last["code_id"], coder=coder, decision="undo",
                               score=None, suggester=self.version, undoes=last["id"])
            if last["decision"] == "accept":
                coding = store.coding(last["segment_id"], last["code_id"], coder)
                # The accept made this coding (an accepted suggestion, or a code picked in the app): take it back.
                # A coding that was there before the decision (e.g. imported) stays.
                if coding is not None and (coding["origin"] == "accepted suggestion"
                                           or coding["created_at"] >= last["created_at"]):
                    store.remove_coding(last["segment_id"], last["code_id"], coder)
        if hasattr(self.model, "codes_") and last["segment_id"] in self._vectors:
            codes = [last["code_id"]] if last["code_id"] is not None else list(self.model.codes_)
            self.relearn({last["segment_id"]: codes})
        return last

    def relearn(self, segments: dict[int, list[str]]) -> None:
        """The segments count for and against their codes exactly as their standing rows say (after an undo, or
        for decisions a fresh fit did not see). ``segments``: segment id -> the codes to relearn there."""
        segments = {s: codes for s, codes in segments.items() if s in self._vectors}
        codings, standing = self.codings(), self.standing_decisions()
        for segment_id, codes in segments.items():
            vector, wanted = self._vectors[segment_id], set(codes)
            for code in codes:
                self.model.forget(segment_id, code)
            for coding in codings:
                if coding["segment_id"] == segment_id and coding["code_id"] in wanted:
                    self.model.add_example(segment_id, vector, coding["code_id"], coding["coder"],
                                           self._segments[segment_id].text)
            for decision in standing:
                if decision["segment_id"] != segment_id or decision["code_id"] not in wanted | {None}:
                    continue
                if decision["decision"] == "reject":
                    self.model.add_rejection(segment_id, vector, decision["code_id"])
                elif decision["decision"] == "none":
                    for code in codes:
                        self.model.add_rejection(segment_id, vector, code)

    # -- explaining ----------------------------------------------------------------------------------
    def explain(self, segment_id: int, *, top: int = 5) -> str:
        """The suggestions for one segment and the coded segments behind each, as readable text."""
        ranked = self.suggest([segment_id], top=top, store=False)[segment_id]
        segment = self._segments[segment_id]
        names = {c.id: c.name for c in self.project.store.codes()}
        lines = [f"Segment {segment_id} ({segment.document}, {segment.speaker or 'no speaker'}, "
                 f"characters {segment.start}-{segment.end}):", f'  "{_clip(segment.text, 300)}"', ""]
        if not ranked:
            lines.append("No code can be suggested (all are applied or excluded).")
        if ranked and not ranked[0].confident:
            lines.append("No confident suggestion: every score is under its code's threshold.")
        for s in ranked:
            threshold = self.model.thresholds_[self.model.codes_.index(s.code)]
            mark = "suggested" if s.confident else "below threshold"
            lines.append(f"{s.rank}. {s.code} {names.get(s.code, '')}: score {s.score:.2f} "
                         f"(threshold {threshold:.2f}, {mark})")
            if not s.evidence:
                lines.append("     no coded neighbour: the score rests on the codebook description")
            for e in s.evidence:
                other = self._segments.get(e.segment_id)
                text = _clip(other.text, 160) if other else "?"
                if e.polarity > 0:
                    lines.append(f"     + segment {e.segment_id} (similarity {e.similarity:.2f}, coded by "
                                 f"{e.coder or '?'}): \"{text}\"")
                else:
                    lines.append(f"     - segment {e.segment_id} (similarity {e.similarity:.2f}, "
                                 f"rejected for this code): \"{text}\"")
        lines.append(f"\nSuggester: {self.version}")
        return "\n".join(lines)


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
