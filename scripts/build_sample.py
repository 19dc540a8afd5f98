"""Rebuild the bundled sample (index/sample/) from the Foye et al. 2022 quotes.

    python scripts/build_sample.py DATA_DIR/foye2022

One transcript per participant (their printed quotes as labelled turns), the participants' attributes,
the codebook, and the study's codings for about two thirds of the quotes (every third quote is left
uncoded, so suggestions have something to do).
"""

import csv
import sys
from collections import defaultdict
from pathlib import Path

source = Path(sys.argv[1])
out = Path(__file__).resolve().parent.parent / "index" / "sample"
quotes = list(csv.DictReader((source / "quotes.csv").open(encoding="utf-8")))

by_participant = defaultdict(list)
for q in quotes:
    by_participant[q["participant_id"]].append(q)

(out / "transcripts").mkdir(exist_ok=True)
for pid, rows in by_participant.items():
    body = "\n\n".join(f"{pid}: {q['text']}" for q in rows) + "\n"
    (out / "transcripts" / f"{pid}.txt").write_text(body, encoding="utf-8")

with (out / "participants.csv").open("w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["participant_id", "gender", "role", "setting"])
    for pid, rows in by_participant.items():
        w.writerow([pid, rows[0]["gender"], rows[0]["role"], rows[0]["setting"]])

with (out / "first_pass.csv").open("w", newline="", encoding="utf-8") as f, \
        (out / "held_out.csv").open("w", newline="", encoding="utf-8") as g:
    coded, held = csv.writer(f), csv.writer(g)
    for w in (coded, held):
        w.writerow(["document", "text", "code", "coder", "quote_id"])
    for n, q in enumerate(quotes):
        row = [q["participant_id"], q["text"], q["subtheme_code"], "foye2022", q["quote_id"]]
        (held if n % 3 == 2 else coded).writerow(row)

(out / "codebook.csv").write_bytes((source / "codebook.csv").read_bytes())
print("wrote", out)
