"""REFI-QDA exchange with NVivo, ATLAS.ti, MAXQDA, QualCoder and others (.qdpx projects, .qdc codebooks).

* :mod:`.model`: a parsed QDA project as plain dataclasses;
* :mod:`.reader`: zip + XML → model, refusing hostile files (no entities, no paths out of the archive, no bombs);
* :mod:`.writer`: model → XML and zip, valid against the QDA-XML 1.0 schemas and byte-for-byte reproducible;
* :mod:`.exchange`: project ↔ model (:func:`~.exchange.import_refi`, :func:`~.exchange.export_refi`) and the
  codings CSV (:func:`~.exchange.export_csv`); its docstring states the import rules.
"""
