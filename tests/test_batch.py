"""``codeseed batch`` with the local engine: shards found and checked, exact results (fake encoder), resumable
output, refusals. The Ray engine and the real model: tests/test_batch_ray.py."""

from __future__ import annotations

import builtins
import json

import numpy as np
import pandas as pd
import pytest

from batch.output import RECORD
from batch.runner import BatchOptions, run_batch
from batch.shards import find_shards, read_shard
import batch_files
from batch_files import read_output
from conftest import FakeEncoder
from index.errors import CodeseedError, InputFileError
from suggest.estimator import CodeSuggester, Example
from suggest.saved_model import load_suggester, save_suggester

WORDS = "wait long staff kind parking cost nurse doctor food cold clean dirty rude helpful ward".split()


def comments(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, int(rng.integers(3, 9)))) for _ in range(n)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    encoder = FakeEncoder()
    texts = comments(80, 0)
    examples = [Example(i, {c: "ana" for c, w in (("W", "wait"), ("R", "kind"), ("P", "parking")) if w in t}
                        or {"X": "ana"}, group=i % 5) for i, t in enumerate(texts)]
    model = CodeSuggester().fit(encoder.encode(texts), examples, codes=["W", "R", "P", "X"], texts=texts)
    return save_suggester(model, tmp_path_factory.mktemp("m") / "model", encoder=encoder)


def write_shards(folder, sizes, *, fmt="csv", seed=1):
    return batch_files.write_shards(folder, sizes, comments, fmt=fmt, seed=seed)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_local_engine_writes_exactly_the_saved_suggesters_results(model_dir, tmp_path, fmt):
    source = write_shards(tmp_path / "in", [7, 5, 9], fmt=fmt)
    report = run_batch(model_dir, source, tmp_path / "out", options=BatchOptions(id_column="comment_id", top=3),
                       encoder=FakeEncoder())
    assert (report.shards, report.written, report.skipped, report.rows) == (3, 3, 0, 21)
    out = read_output(tmp_path / "out")
    saved = load_suggester(model_dir)
    for k in range(3):
        rows = out[out["shard"] == f"{k:02d}.{fmt}"]
        texts = read_shard(find_shards(source)[k], "text").texts
        expected = saved.suggest(FakeEncoder().encode(texts), texts, top=3)
        assert list(rows["row"]) == list(range(len(texts)))
        assert list(rows["id"]) == [f"c{k}-{i}" for i in range(len(texts))]
        for (_, row), ranked in zip(rows.iterrows(), expected):
            assert list(row["codes"]) == [s.code for s in ranked]
            assert list(row["scores"]) == [s.score for s in ranked]
            assert list(row["confident"]) == [s.confident for s in ranked]
            assert list(row["confident_codes"]) == [s.code for s in ranked if s.confident]
            assert [list(e) for e in row["evidence_ids"]] == [[e.segment_id for e in s.evidence] for s in ranked]


def test_without_an_id_column_rows_are_named_by_shard_and_row(model_dir, tmp_path):
    source = write_shards(tmp_path / "in", [3])
    run_batch(model_dir, source / "00.csv", tmp_path / "out", encoder=FakeEncoder())
    assert list(read_output(tmp_path / "out")["id"]) == ["00.csv:0", "00.csv:1", "00.csv:2"]


def test_a_stopped_run_resumes_without_duplicating_rows(model_dir, tmp_path):
    source = write_shards(tmp_path / "in", [4, 6, 5, 3, 7])

    def stop_after_two(shard, seen=[]):
        seen.append(shard)
        if len(seen) == 2:
            raise KeyboardInterrupt  # the user pressed Ctrl-C, or the machine went down

    with pytest.raises(KeyboardInterrupt):
        run_batch(model_dir, source, tmp_path / "out", encoder=FakeEncoder(), on_shard_written=stop_after_two)
    assert len(list((tmp_path / "out").glob("*.parquet"))) == 2
    (tmp_path / "out" / ".02.csv.parquet.tmp-x1").write_bytes(b"half a file")  # what a kill mid-write leaves
    report = run_batch(model_dir, source, tmp_path / "out", encoder=FakeEncoder())
    assert (report.skipped, report.written, report.rows) == (2, 3, 15)
    out = read_output(tmp_path / "out")
    assert len(out) == 25 and out["id"].is_unique
    assert not list((tmp_path / "out").glob(".*tmp*"))
    again = run_batch(model_dir, source, tmp_path / "out", encoder=FakeEncoder())
    assert (again.skipped, again.written) == (5, 0)


def test_an_output_folder_of_another_model_or_other_options_is_refused(model_dir, tmp_path):
    source = write_shards(tmp_path / "in", [3])
    run_batch(model_dir, source, tmp_path / "out", encoder=FakeEncoder())
    record = tmp_path / "out" / RECORD
    settings = json.loads(record.read_text())
    record.write_text(json.dumps({**settings, "model_id": "f" * 64}))
    with pytest.raises(CodeseedError, match="another saved model") as caught:
        run_batch(model_dir, source, tmp_path / "out", encoder=FakeEncoder())
    assert "new --out folder" in str(caught.value)
    record.write_text(json.dumps(settings))
    with pytest.raises(CodeseedError, match=r"other options \(top\)"):
        run_batch(model_dir, source, tmp_path / "out", options=BatchOptions(top=2), encoder=FakeEncoder())
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    with pytest.raises(CodeseedError, match="not written by codeseed batch"):
        run_batch(model_dir, source, tmp_path / "mine", encoder=FakeEncoder())


def test_shards_from_a_file_a_folder_or_a_glob(tmp_path):
    write_shards(tmp_path / "in", [2, 2])
    write_shards(tmp_path / "in" / "2025", [2])
    assert [s.name for s in find_shards(tmp_path / "in")] == ["00.csv", "01.csv", "2025/00.csv"]
    assert [s.name for s in find_shards(f"{tmp_path}/in/0*.csv")] == ["00.csv", "01.csv"]
    assert [s.name for s in find_shards(tmp_path / "in" / "01.csv")] == ["01.csv"]
    write_shards(tmp_path / "in", [2], fmt="parquet")
    with pytest.raises(InputFileError, match="mixes CSV and Parquet"):
        find_shards(tmp_path / "in")
    with pytest.raises(InputFileError, match="no such file"):
        find_shards(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError, match="no CSV or Parquet"):
        find_shards(tmp_path / "empty")


def bad_input_error(model_dir, tmp_path, engine="local", **options) -> str:
    with pytest.raises(InputFileError) as caught:
        run_batch(model_dir, tmp_path / "in", tmp_path / "out", engine=engine, options=BatchOptions(**options),
                  encoder=FakeEncoder() if engine == "local" else None)
    assert not list((tmp_path / "out").glob("*.parquet"))  # checked before any work
    return str(caught.value)


@pytest.mark.parametrize("engine", ["local", "ray"])
def test_bad_shards_are_named_with_the_fix(model_dir, tmp_path, engine):
    pytest.importorskip("ray") if engine == "ray" else None
    write_shards(tmp_path / "in", [3, 3])
    message = bad_input_error(model_dir, tmp_path, engine, text_column="comment")
    assert "00.csv" in message and "no column 'comment'" in message and "--text-column" in message
    (tmp_path / "in" / "01.csv").write_bytes("text\ncaf\xe9 au lait\n".encode("cp1252"))
    message = bad_input_error(model_dir, tmp_path, engine)
    assert "01.csv" in message and "not UTF-8" in message and "line 2" in message and "How to fix" in message
    (tmp_path / "in" / "01.csv").write_text("comment_id,text\n")
    message = bad_input_error(model_dir, tmp_path, engine)
    assert "01.csv" in message and "empty" in message and "How to fix" in message
    (tmp_path / "in" / "01.csv").write_bytes(b"")
    assert "01.csv" in bad_input_error(model_dir, tmp_path, engine)


def test_bad_parquet_shards_are_named(model_dir, tmp_path):
    write_shards(tmp_path / "in", [3, 3], fmt="parquet")
    message = bad_input_error(model_dir, tmp_path, id_column="respondent")
    assert "00.parquet" in message and "no column 'respondent'" in message and "--id-column" in message
    (tmp_path / "in" / "01.parquet").write_bytes(b"PAR1 truncated")
    message = bad_input_error(model_dir, tmp_path)
    assert "01.parquet" in message and "not a readable Parquet" in message


def test_the_ray_engine_without_ray_says_how_to_install_it(model_dir, tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    write_shards(tmp_path / "in", [2])
    with pytest.raises(CodeseedError) as caught:
        run_batch(model_dir, tmp_path / "in", tmp_path / "out", engine="ray")
    assert 'pip install "codeseed[ray]"' in str(caught.value)


def test_the_command_line_names_a_bad_shard_without_a_traceback(model_dir, tmp_path, capsys):
    from codeseed_cli import main

    write_shards(tmp_path / "in", [3])
    code = main(["batch", str(model_dir), str(tmp_path / "in"), "--out", str(tmp_path / "out"),
                 "--text-column", "answer"])
    err = capsys.readouterr().err
    assert code == 2 and "00.csv" in err and "no column 'answer'" in err and "Traceback" not in err
    assert main(["batch", str(tmp_path / "in"), str(tmp_path / "in"), "--out", str(tmp_path / "o")]) == 2
    assert "no manifest.json" in capsys.readouterr().err


def test_save_model_then_batch_from_the_command_line_with_the_real_model(tmp_path, capsys):
    """The whole path a user takes: demo project → suggest --save-model → batch, with the bundled MiniLM."""
    from codeseed_cli import main
    from index.demo import sample_dir

    assert main(["demo", str(tmp_path / "p"), "--no-index"]) == 0
    assert main(["suggest", str(tmp_path / "p"), "--save-model", str(tmp_path / "model")]) == 0
    assert "Saved the suggester" in capsys.readouterr().out
    quotes = pd.read_csv(sample_dir() / "first_pass.csv")["text"].head(12)
    pd.DataFrame({"text": quotes}).to_csv(tmp_path / "quotes.csv", index=False)
    args = ["batch", str(tmp_path / "model"), str(tmp_path / "quotes.csv"), "--out", str(tmp_path / "out")]
    assert main(args) == 0
    assert "1 shard: 1 written (12 rows)" in capsys.readouterr().out
    out = read_output(tmp_path / "out")
    assert len(out) == 12 and out["codes"].map(len).eq(5).all()
    coded = pd.read_csv(sample_dir() / "first_pass.csv").head(12)
    # the quotes are the suggester's own examples: their own code is among the top 5 for most of them
    hits = [str(c) in list(codes) for c, codes in zip(coded["code"], out["codes"])]
    assert sum(hits) >= 8, hits
    assert main(args) == 0 and "1 already done, 0 written" in capsys.readouterr().out
