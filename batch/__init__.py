"""Batch engines: a saved suggester run over a corpus of any size (``codeseed batch``). An edge, like the CLI.

``runner.py``      ``run_batch``: plans the run, then hands the shards still to do to an engine → **start here**
``plan.py``        what a run will do: the saved model, the shards (each checked before any work), the output
``shards.py``      the input: CSV/Parquet files, a folder of them or a glob; each shard read and checked
``scoring.py``     texts → suggestion columns with the saved model and its encoder (what every worker runs)
``output.py``      one Parquet file per input shard, written atomically; the record that refuses mixed results
``local.py``       the local engine: one process
``ray_engine.py``  the Ray engine: a Ray Data pipeline with an actor pool (the only file that imports ``ray``)

The saved suggester itself is :mod:`suggest.saved_model`. Imports every layer below; nothing imports it but the CLI.
"""
