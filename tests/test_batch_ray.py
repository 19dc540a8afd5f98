"""The Ray engine on a local Ray, with the real model on the bundled sample: the same results as the local engine,
a stopped run resumes without duplicating rows. One Ray session for all these tests (start-up takes 10-50 s)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ray", reason='the Ray engine needs: pip install "codeseed[ray]"')

from batch.runner import BatchOptions, run_batch  # noqa: E402
from batch_files import feedback, read_output as output, write_shards  # noqa: E402


@pytest.fixture(scope="session")
def ray_session(tmp_path_factory):
    """One local Ray for all these tests: 2 actors (and a logical CPU for Ray Data's I/O tasks); its workers keep
    codeseed's user state where the tests keep theirs."""
    from batch.ray_engine import start_local_ray
    from conftest import _shared_home

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CODESEED_HOME", str(_shared_home(tmp_path_factory)))
        ray = start_local_ray(2)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def demo_model(tmp_path_factory):
    """The sample project's suggester, fitted with the real MiniLM and saved."""
    from index.demo import build_demo
    from suggest.project_suggester import ProjectSuggester
    from suggest.saved_model import save_project_suggester

    folder = tmp_path_factory.mktemp("demo")
    # An encoder whose vector for a text does not depend on the other texts in its batch (tested in
    # test_encoder_backends.py), so the two engines, which batch differently, must agree exactly. torch-bf16, which
    # calibration may pick, rounds differently with the batch's shape (cosine >= 0.9998): there near-ties in the
    # evidence may fall either way (docs/scale.md).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CODESEED_ENCODER_BACKEND", "onnx-fp32")
        with build_demo(folder / "project", index=False) as project:
            return save_project_suggester(ProjectSuggester(project).fit(), folder / "model")


def with_two_lines(n: int, seed: int) -> list[str]:
    texts = feedback(n, seed)
    texts[1] = 'Two lines:\n"the nurse was kind",\r\nthen nothing.'  # quoted newlines survive both CSV readers
    return texts


def write_input(folder, sizes, seed=0, fmt="csv"):
    return write_shards(folder, sizes, with_two_lines, fmt=fmt, seed=seed, id_column="rid", text_column="comment")


def test_ray_and_local_engines_give_the_same_codes_and_scores(ray_session, demo_model, tmp_path):
    source = write_input(tmp_path / "in", [500, 300, 700, 500])
    options = BatchOptions(text_column="comment", id_column="rid")
    local = run_batch(demo_model, source, tmp_path / "local", options=options)
    ray = run_batch(demo_model, source, tmp_path / "ray", engine="ray", options=options, workers=2)
    assert local.rows == ray.rows == 2000 and ray.written == 4
    a, b = output(tmp_path / "local"), output(tmp_path / "ray")
    assert list(a["id"]) == list(b["id"]) and list(a["row"]) == list(b["row"])
    for column in ("codes", "confident", "confident_codes"):
        assert [list(x) for x in a[column]] == [list(x) for x in b[column]], column
    assert [[list(e) for e in x] for x in a["evidence_ids"]] == [[list(e) for e in x] for x in b["evidence_ids"]]
    difference = max(np.abs(np.array(x) - np.array(y)).max() for x, y in zip(a["scores"], b["scores"]))
    assert difference < 1e-5
    assert a["confident_codes"].map(len).gt(0).mean() > 0.5  # the real model finds something in most comments


def test_a_stopped_ray_run_resumes_without_duplicating_rows(ray_session, demo_model, tmp_path):
    source = write_input(tmp_path / "in", [60, 40, 50, 30, 70], seed=10, fmt="parquet")
    seen = []

    def stop_after_three(shard):
        seen.append(shard.name)
        if len(seen) == 3:
            raise KeyboardInterrupt  # killed in the middle of the second wave

    with pytest.raises(KeyboardInterrupt):
        run_batch(demo_model, source, tmp_path / "out", engine="ray", options=BatchOptions(text_column="comment"),
                  shards_per_wave=2, on_shard_written=stop_after_three)
    assert len(list((tmp_path / "out").glob("*.parquet"))) == 3
    report = run_batch(demo_model, source, tmp_path / "out", engine="ray",
                       options=BatchOptions(text_column="comment"), shards_per_wave=2)
    assert (report.skipped, report.written, report.rows) == (3, 2, 100)
    out = output(tmp_path / "out")
    assert len(out) == 250 and out["id"].is_unique
    assert sorted(out["shard"].unique()) == [f"{k:02d}.parquet" for k in range(5)]
    assert not (tmp_path / "out" / ".staging").exists()
