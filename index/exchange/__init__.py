"""REFI-QDA exchange with NVivo, ATLAS.ti, MAXQDA, QualCoder and others (.qdpx projects, .qdc codebooks).

``refi_model.py``    a parsed QDA project as plain dataclasses, and codeseed's conventions in REFI-QDA (derived
                     GUIDs, readable code ids, criteria in descriptions, the pending-suggestions user)
``refi_reader.py``   .qdpx/.qdc → model: the archive and project.qde (users, code tree, variables, cases); the zip
                     and XML safety checks it relies on live in :mod:`index.ingest.archives`
``refi_sources.py``  a text source's text, **only ever from inside the archive**, and its selections
``refi_xml.py``      small helpers for QDA-XML elements (children, GUIDs, variable values)
``refi_writer.py``   model → XML and zip, valid against the QDA-XML 1.0 schemas and byte-for-byte reproducible
``refi_import.py``   model → project (:func:`import_refi`, :func:`import_refi_codebook`); its docstring states
                     the import rules
``refi_export.py``   project → model → file (:func:`export_refi`), and the codings CSV (:func:`export_csv`)

Imports the project (exchange → project), never the other way round: :mod:`index.importing` sends .qdpx/.qdc here.
"""
