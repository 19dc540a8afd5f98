"""A 10,000-segment project end to end: init → import → index → first suggestions, as a user runs it.

Run:  python benchmarks/pipeline_10k.py [--data DATA_DIR] [--segments 10000] [--coded 400] [--runs 3] [--profile]

The project (built once per invocation, with a fixed seed):

* with ``--data`` (the folder holding ``nhs-pxtextmining/``): 10,000 NHS Friends and Family Test comments from
  ``phase_1_text_data.csv`` (comments of at most ``--max-chars`` characters, so each is one segment) as a segments
  CSV with a ``document`` column, one document per comment (one respondent's answer, as a survey export has it);
  the codebook is the data's own: 9 categories with their 44 sub-categories; the human first pass is the data's
  own label of ``--coded`` comments drawn at random, given as ``document`` + ``text`` quotes;
* without: synthetic speaker-labelled interview transcripts (``Interviewer:`` / ``P07:`` turns, about half of
  them interviewer turns, which are kept but not offered for coding), 16 codes under 4 themes, and ``--coded``
  participant turns coded with the topic they were written from.

Each stage is the command a user types (``codeseed init``, ``import`` of the documents, the codebook and the
codings, ``index``, ``suggest --out``: fit plus suggestions for every uncoded segment), run as its own process,
so each figure includes Python's start-up and imports, as the user waits for them.

Two variants, taking turns in every round so a busy machine slows both alike:

* ``auto``: the encoder backend codeseed picks by itself (``CODESEED_ENCODER_BACKEND`` unset);
* ``baseline``: sentence-transformers' fp32 (``CODESEED_ENCODER_BACKEND=torch-fp32``), what codeseed did before
  it measured backends.

Each variant has its own fresh ``CODESEED_HOME`` (model unpacked, calibration and ONNX export stored there) and
every run a fresh project folder (its own ``vectors.db``), so no run takes vectors from another's cache. The
first use of a home (unpacking the model; for ``auto`` also timing the backends and exporting ONNX) is a one-off
per machine: it is timed apart, before the first round, and is not part of the pipeline figure.
Figures are medians over ``--runs`` rounds with their range (min–max); the ratio is baseline / auto.
``--profile`` then runs the auto pipeline once more with its slowest stage under cProfile and prints where
that stage's time goes.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import pstats
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("init", "import documents", "import codebook", "import codings", "index", "suggest")
VARIANTS = {"auto": None, "baseline": "torch-fp32"}
NHS_FILE = Path("nhs-pxtextmining") / "phase_1_text_data.csv"


@dataclass
class Corpus:
    description: str
    documents: list[Path]
    codebook: Path
    codings: Path
    import_options: list[str] = field(default_factory=list)


# -- the project's files --------------------------------------------------------------------------------------
def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def nhs_corpus(data: Path, work: Path, segments: int, coded: int, max_chars: int, seed: int) -> Corpus:
    source = data / NHS_FILE
    if not source.is_file():
        sys.exit(f"{source} not found: give --data the folder that holds {NHS_FILE.parent}/")
    with source.open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["feedback"].strip() and len(r["feedback"].strip()) <= max_chars]
    if len(rows) < segments:
        sys.exit(f"{source} has only {len(rows)} comments of at most {max_chars} characters; ask for fewer --segments")
    rng = random.Random(seed)
    chosen = sorted(rng.sample(range(len(rows)), segments))
    picked = [rows[i] for i in chosen]
    names = [f"{r['question'].replace(' ', '')}-{int(r['row_index']):05d}" for r in picked]
    documents = _write_csv(work / "nhs_comments.csv", ["document", "text", "organization", "question"],
                           [[n, r["feedback"].strip(), r["organization"], r["question"]] for n, r in zip(names, picked)])
    parents, leaves = {}, {}
    for r in rows:
        parents.setdefault(_slug(r["label"]), r["label"].strip())
        leaves.setdefault(r["code"].strip().lower(), (_slug(r["label"]), r["subcategory"].strip()))
    codebook = _write_csv(work / "codebook.csv", ["code", "parent", "name", "description"],
                          [[p, "", name, ""] for p, name in parents.items()]
                          + [[c, p, name, ""] for c, (p, name) in sorted(leaves.items())])
    first_pass = sorted(rng.sample(range(segments), coded))
    codings = _write_csv(work / "codings.csv", ["document", "text", "code", "coder"],
                         [[names[i], picked[i]["feedback"].strip(), picked[i]["code"].strip().lower(), "coder1"]
                          for i in first_pass])
    return Corpus(f"NHS comments ({source.name}): {segments:,} comments, one document each; codebook "
                  f"{len(parents)} categories + {len(leaves)} codes; {coded} comments coded as the first pass",
                  [documents], codebook, codings, ["--document-column", "document"])


THEMES = {
    "access": ("Access", {
        "waiting": ("Waiting times", "waiting weeks for an appointment", "the waiting list was months long"),
        "phone": ("Getting through", "nobody answered the phone", "I rang every morning at eight"),
        "travel": ("Travel and parking", "the bus takes an hour to the clinic", "parking costs a fortune"),
        "referral": ("Referral", "my GP referred me twice", "the referral letter got lost")}),
    "staff": ("Staff", {
        "kindness": ("Kindness of staff", "the nurses were so kind to me", "she held my hand and listened"),
        "listening": ("Being listened to", "the doctor really listened", "they never let me finish a sentence"),
        "competence": ("Competence", "they knew exactly what they were doing", "the junior doctor seemed unsure"),
        "continuity": ("Continuity", "I saw a different person every time", "having the same worker helped")}),
    "care": ("Care received", {
        "medication": ("Medication", "the tablets made me drowsy", "nobody reviewed my medication"),
        "therapy": ("Talking therapy", "the group therapy sessions helped", "six sessions of counselling"),
        "family": ("Family involvement", "my wife was never told anything", "they included my parents"),
        "discharge": ("Discharge", "I was discharged without a plan", "the discharge was rushed")}),
    "feelings": ("Feelings", {
        "stigma": ("Stigma", "people at work treated me differently", "I felt judged for asking for help"),
        "hope": ("Hope and recovery", "I can see a future now", "things are slowly getting better"),
        "fear": ("Fear and worry", "I was scared of being sectioned", "I worried all the time"),
        "isolation": ("Isolation", "I had nobody to talk to", "I stopped seeing my friends")}),
}
FILLERS = ("I mean it was a while ago now.", "You know how it is.", "That was the main thing for me.",
           "It is hard to explain really.", "Anyway, that is how it went.", "I think about that a lot.")
QUESTIONS = ("Can you tell me more about that?", "How did that make you feel?", "What happened next?",
             "Was there anything that helped?", "Mm-hm. Go on.", "What would you change?")


def _turn(rng: random.Random, topics: list[tuple[str, tuple[str, str, str]]]) -> tuple[str, str]:
    code, (_name, *phrases) = rng.choice(topics)
    other = rng.choice(topics)[1][1:]
    sentences = [rng.choice(phrases).capitalize() + ".", f"Honestly {rng.choice(phrases)}."]
    sentences += rng.sample(FILLERS, rng.randint(0, 2)) + ([rng.choice(other).capitalize() + "."] if rng.random() < 0.3 else [])
    rng.shuffle(sentences)
    return code, " ".join(sentences)


def synthetic_corpus(work: Path, segments: int, coded: int, seed: int) -> Corpus:
    rng = random.Random(seed)
    topics = [(code, spec) for _theme, (_n, codes) in THEMES.items() for code, spec in codes.items()]
    turns_per_doc = 200
    documents, participant_turns = [], []
    for d in range((segments + turns_per_doc - 1) // turns_per_doc):
        speaker, lines = f"P{d + 1:02d}", []
        for t in range(min(turns_per_doc, segments - d * turns_per_doc)):
            if t % 2 == 0:
                lines.append(f"Interviewer: {rng.choice(QUESTIONS)}")
            else:
                code, text = _turn(rng, topics)
                lines.append(f"{speaker}: {text}")
                participant_turns.append((speaker, text, code))
        path = work / f"{speaker}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        documents.append(path)
    codebook = _write_csv(work / "codebook.csv", ["code", "parent", "name", "description"],
                          [[t, "", name, ""] for t, (name, _c) in THEMES.items()]
                          + [[c, t, spec[0], f"Talk about {spec[0].lower()}, e.g. {spec[1]}."]
                             for t, (_n, codes) in THEMES.items() for c, spec in codes.items()])
    first_pass = rng.sample(participant_turns, coded)
    codings = _write_csv(work / "codings.csv", ["document", "text", "code", "coder"],
                         [[doc, text, code, "coder1"] for doc, text, code in first_pass])
    return Corpus(f"synthetic interviews: {len(documents)} transcripts of {turns_per_doc} turns, {segments:,} "
                  f"segments ({len(participant_turns):,} participant turns); codebook 4 themes + {len(topics)} codes; "
                  f"{coded} participant turns coded as the first pass", documents, codebook, codings)


# -- running the commands -------------------------------------------------------------------------------------
def environment(home: Path, backend: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CODESEED_ENCODER_BACKEND"}
    env.update(CODESEED_HOME=str(home), PYTHONPATH=str(ROOT), GRADIO_ANALYTICS_ENABLED="False")
    if backend:
        env["CODESEED_ENCODER_BACKEND"] = backend
    return env


def run(args: list[str], env: dict[str, str], prefix: list[str] | None = None) -> tuple[float, str]:
    """Seconds the command took (a process of its own) and its output; exits on failure."""
    command = [sys.executable, *(["-m", "codeseed_cli"] if prefix is None else prefix), *args]
    began = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout + done.stderr


FIRST_USE = ("from index import Encoder\n"
             "e = Encoder()\n"
             "e.encode(['warm up'])\n"
             "print('backend', e.backend, (e.calibration or {}).get('segments_per_s', ''))\n")


def first_use(env: dict[str, str]) -> tuple[float, str]:
    """The one-off on a fresh home: unpack and verify the model; with auto, time the backends and export ONNX."""
    seconds, output = run(["-c", FIRST_USE], env, prefix=[])
    return seconds, next(line for line in output.splitlines() if line.startswith("backend"))[len("backend "):]


def commands(corpus: Corpus, project: Path, out: Path) -> dict[str, list[str]]:
    p = str(project)
    return {
        "init": ["init", p],
        "import documents": ["import", p, *map(str, corpus.documents), *corpus.import_options],
        "import codebook": ["import", p, "--codebook", str(corpus.codebook)],
        "import codings": ["import", p, "--codings", str(corpus.codings)],
        "index": ["index", p],
        "suggest": ["suggest", p, "--out", str(out)],
    }


def pipeline(corpus: Corpus, env: dict[str, str], work: Path, profile: tuple[str, Path] | None = None
             ) -> tuple[dict[str, float], dict[str, str]]:
    """Seconds per stage in a fresh project folder, and what the index and suggest commands said."""
    folder = Path(tempfile.mkdtemp(dir=work))
    seconds, said = {}, {}
    for stage, args in commands(corpus, folder / "project", folder / "suggestions.csv").items():
        prefix = ["-m", "cProfile", "-o", str(profile[1]), "-m", "codeseed_cli"] if profile and profile[0] == stage else None
        seconds[stage], output = run(args, env, prefix)
        if "timing the encoder backends" in output:
            sys.exit(f"{stage} calibrated the encoder: the one-off leaked into the pipeline\n{output}")
        said[stage] = output
    return seconds, said


def summary(said: dict[str, str]) -> str:
    index = re.search(r"Indexed (\d+) segments .* with (\S+) in", said["index"])
    suggest = re.search(r"^(\d+) segments: (\d+) with a confident suggestion", said["suggest"], re.M)
    backend = index.group(2).rsplit("+", 1)[-1] if index else "?"
    return (f"{index.group(1) if index else '?'} segments indexed with {backend}; suggestions for "
            f"{suggest.group(1) if suggest else '?'} uncoded segments ({suggest.group(2) if suggest else '?'} confident)")


# -- report ---------------------------------------------------------------------------------------------------
def _cell(values: list[float]) -> str:
    return f"{statistics.median(values):6.1f} ({min(values):.1f}–{max(values):.1f})"


def report(times: dict[str, list[dict[str, float]]]) -> None:
    print("\n| stage | auto s, median (range) | baseline torch-fp32 s | baseline / auto |")
    print("|---|---|---|---|")
    rows = [(s, [r[s] for r in times["auto"]], [r[s] for r in times["baseline"]]) for s in STAGES]
    rows.append(("import, all three", *[[sum(r[s] for s in STAGES[1:4]) for r in times[v]] for v in VARIANTS]))
    rows.append(("**total**", *[[sum(r.values()) for r in times[v]] for v in VARIANTS]))
    for label, auto, base in rows:
        print(f"| {label} | {_cell(auto)} | {_cell(base)} | {statistics.median(base) / statistics.median(auto):.2f}× |")


def machine() -> str:
    cpu, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                cpu = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    shown = " ".join(sorted(f for f in flags if f.startswith(("avx512_bf16", "avx512_vnni", "amx", "avx2", "avx_vnni"))))
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{cpu}, {len(os.sched_getaffinity(0))} cores usable, flags: {shown or '-'}; load average {load}"


def profile_stage(corpus: Corpus, stage: str, env: dict[str, str], work: Path, top: int) -> None:
    out = work / "stage.prof"
    seconds, _said = pipeline(corpus, env, work, profile=(stage, out))
    print(f"\nProfile of `{stage}` (auto; {seconds[stage]:.1f} s under cProfile), top {top} by cumulative time:")
    stats = pstats.Stats(str(out))
    stats.sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="folder holding nhs-pxtextmining/ (default: synthetic transcripts)")
    parser.add_argument("--segments", type=int, default=10_000)
    parser.add_argument("--coded", type=int, default=400, help="segments coded by hand as the first pass")
    parser.add_argument("--max-chars", type=int, default=1200, help="NHS: longest comment taken (one segment each)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="then profile the auto pipeline's slowest stage")
    parser.add_argument("--profile-top", type=int, default=30)
    args = parser.parse_args(argv)
    print(f"Machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="pipeline10k-") as tmp:
        work = Path(tmp)
        (work / "input").mkdir()
        corpus = (nhs_corpus(args.data, work / "input", args.segments, args.coded, args.max_chars, args.seed)
                  if args.data else synthetic_corpus(work / "input", args.segments, args.coded, args.seed))
        print(f"Project: {corpus.description}")
        envs = {v: environment(work / f"home-{v}", backend) for v, backend in VARIANTS.items()}
        for variant, env in envs.items():  # one-off per machine, before any timed pipeline
            seconds, what = first_use(env)
            print(f"First use ({variant}, excluded from the pipeline): {seconds:.1f} s; backend {what}")
        startup, _ = run(["--help"], envs["auto"])
        print(f"Python start-up + CLI import (`codeseed --help`): {startup:.1f} s per command")
        times: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
        for round_ in range(args.runs):
            order = list(VARIANTS) if round_ % 2 == 0 else list(reversed(VARIANTS))
            for variant in order:
                seconds, said = pipeline(corpus, envs[variant], work)
                times[variant].append(seconds)
                print(f"round {round_ + 1} {variant}: total {sum(seconds.values()):.1f} s "
                      f"({', '.join(f'{s} {t:.1f}' for s, t in seconds.items())}); {summary(said)}", flush=True)
        print(f"Load average after the runs: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        report(times)
        if args.profile:
            slowest = max(STAGES, key=lambda s: statistics.median(r[s] for r in times["auto"]))
            profile_stage(corpus, slowest, envs["auto"], work, args.profile_top)


if __name__ == "__main__":
    main()
