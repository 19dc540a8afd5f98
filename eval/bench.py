"""Benchmarks on coded data outside a project: a small YAML spec names a CSV and says how to read it.

``codeseed bench SPEC DATA_DIR`` runs :func:`run_bench`: the spec is read by :mod:`eval.bench_spec`, its data by
:mod:`eval.bench_data`, embedded (cached), cross-validated by :mod:`eval.runner` and written by :mod:`eval.report`.

A spec (paths are relative to the DATA_DIR given on the command line, so no data lives in the repository)::

    name: NHS patient experience, v6 framework
    data: nhs-pxtextmining/v6framework_230831.csv
    text: FFT answer                       # the column with the text to code
    codes:                                 # one of:
      after: Comment sentiment             #   every column after this one is a one-hot code column
      # columns: [Scholar, Activist]       #   these one-hot columns ("1"/"" or 1/0, true/false, yes/no, x)
      # column: subtheme_code              #   one column holding the code ...
      # separator: ";"                     #   ... or several codes separated by this
      # ignore: ["n/a"]                    #   values of that column that are no code
    keep:                                  # optional: only rows matching every condition
      - {column: interlocutor, equals: therapist}
    drop:                                  # optional: rows matching any condition are left out
      - {column: Labelling not possible, equals: 1}
    drop_empty_text: true                  # default true
    no_code_decisions: true                # optional: also run the suggester with uncoded training rows taken
                                           #   as "no code applies" decisions (suggester_no_code)
    group: Respondent ID                   # optional: segments of a group are never split across train/test
    unit: [transcript_id, utterance_id]    # optional: columns naming a segment when it has several rows
    coder: annotator_id                    # optional: who coded each row (several coders: human–human figures)
    codebook:                              # optional: codebook CSV for the prototypes (code, name, description)
      path: foye2022/codebook.csv
    split:                                 # kfold (grouped) | loo | logo (leave one group out) | train_test
      mode: kfold
      folds: 5
      # column: transcript_id              # train_test: the rows whose column value is listed are tested
      # test: [7, 27, 55]
    reference:                             # optional: published figures to print beside ours
      text: "GPT-4: kappa >= 0.6 on 8 of 9 codes"
      kappa_at_least: [0.6, 0.79]

Several coders on one unit: the unit's truth is the coders' majority (single-label coding: the most
frequent label, every tied label when there is a tie; multi-label: each code applied by more than half).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from . import splits
from .bench_data import BenchData, load_bench
from .bench_spec import BenchSpec, BenchSpecError, load_spec, split_field
from .methods import CodedData, SuggesterMethod, default_methods
from .variants import variant_methods
from .runner import LEARNING_CURVE_SIZES, evaluate

__all__ = ["run_bench", "make_folds", "bench_cache_path",
           # re-exported: the spec and data readers, for callers that knew them here
           "BenchSpecError", "BenchSpec", "load_spec", "load_bench", "BenchData"]


def bench_cache_path() -> Path:
    """Where bench vectors are cached: ``$CODESEED_HOME/bench-cache.db``."""
    from index import codeseed_home

    return codeseed_home() / "bench-cache.db"


def make_folds(spec: BenchSpec, bench: BenchData, folds: int | None = None) -> tuple[list[splits.Fold], str, bool]:
    """The spec's split as folds, a description of it, and whether groups are kept whole."""
    mode = spec.split["mode"]
    try:
        if mode == "kfold":
            k = folds or spec.split["folds"]
            return splits.grouped_kfold(bench.groups, k), f"grouped {k}-fold cross-validation", True
        if mode == "loo":
            return (splits.leave_one_out(len(bench.texts)),
                    "leave-one-out (one segment per fold; other segments of its group stay in training)", False)
        if mode == "logo":
            return splits.leave_one_group_out(bench.groups), "leave one group out", True
        values = bench.split_values or []
        folds_ = splits.train_test_by_column(values, spec.split["test"], bench.groups)
        return folds_, (f"train/test: test = rows with {spec.split['column']} in "
                        f"{', '.join(spec.split['test'])}"), True
    except ValueError as error:
        raise spec.error(str(error), "split") from None


def run_bench(spec_path: Path | str, data_dir: Path | str, *, out: Path | str | None = None,
              folds: int | None = None, split: str | None = None, encoder: Any = None,
              cache_path: Path | str | None = None, progress: bool = False, n_boot: int | None = None,
              learning_curve: bool = True, variants: bool = False, tune: bool = False) -> dict[str, Any]:
    """Load, embed (cached), cross-validate and, with ``out``, write the report. Returns the result dict."""
    from index import Encoder, VectorCache, encode_with_cache

    began = time.perf_counter()
    spec = load_spec(spec_path)
    if split is not None:
        spec.split = split_field({**spec.split, "mode": split}, str(spec.path))
    bench = load_bench(spec, data_dir)
    encoder = encoder if encoder is not None else Encoder()
    cache = VectorCache(cache_path or bench_cache_path())
    try:
        embed_began = time.perf_counter()
        vectors, encoded = encode_with_cache(encoder, bench.texts, cache, progress=progress)
        prototypes, _ = encode_with_cache(encoder, bench.prototype_texts, cache)
        embed_seconds = time.perf_counter() - embed_began
    finally:
        cache.close()
    data = CodedData(name=spec.name, texts=bench.texts, vectors=vectors, Y=bench.Y, groups=bench.groups,
                     codes=bench.codes, names=bench.names, prototypes=prototypes, unit_ids=bench.unit_ids,
                     codings=bench.codings, notes=bench.notes, prototype_texts=bench.prototype_texts)
    fold_list, description, grouped = make_folds(spec, bench, folds)
    methods = default_methods(prototypes=data.prototypes is not None)
    if spec.no_code_decisions:
        methods.insert(1, SuggesterMethod(no_code=True))
    if variants:
        methods += variant_methods()
    tuned = None
    if tune:
        from .tune_check import TunedSuggesterMethod

        tuned = TunedSuggesterMethod(encoder.resolved.path, progress=progress)
        methods.insert(1, tuned)
    result = evaluate(data, fold_list, split=description, n_boot=spec.bootstrap if n_boot is None else n_boot,
                      methods=methods,
                      learning_curve_sizes=(spec.learning_curve or LEARNING_CURVE_SIZES) if learning_curve else None,
                      progress=progress, check_groups=grouped)
    result["spec"] = {"file": str(spec.path), "name": spec.name, "description": spec.description,
                      "data": spec.data}
    result["reference"] = spec.reference
    if tuned is not None:
        result["notes"] += tuned.notes
    result["timing"] = {"embedding_seconds": round(embed_seconds, 2), "segments_encoded": int(encoded),
                        "evaluation_seconds": result["seconds"],
                        **{f"{k}_seconds": v for k, v in result["seconds_by_step"].items()},
                        "total_seconds": round(time.perf_counter() - began, 2), "encoder": encoder.identifier}
    if out is not None:
        from .report import write_report

        write_report(result, out)
    return result
