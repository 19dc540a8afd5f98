"""REFI-QDA exchange with NVivo, ATLAS.ti, MAXQDA, QualCoder and others (.qdpx projects, .qdc codebooks).

``refi_model.py``    a parsed QDA project as plain dataclasses
``refi_reader.py``   zip + XML → model, refusing hostile files (no entities, no paths out of the archive, no bombs)
``refi_writer.py``   model → XML and zip, valid against the QDA-XML 1.0 schemas and byte-for-byte reproducible
``refi_project.py``  project ↔ model (:func:`import_refi`, :func:`export_refi`) and the codings CSV
                     (:func:`export_csv`); its docstring states the import rules
"""
