"""Reading what a user brings: files → plain records, before anything is stored.

``readers/``       one reader per format (.txt, .docx, .vtt/.srt, .csv/.xlsx) → speaker turns (``ParsedDocument``)
``segmenting.py``  speaker turns → segments with character offsets (long turns split at sentences)
``plan.py``        an import's plan: documents segmented and hashed before the (short) write, same-text notes
``codebook.py``    codebook files (.csv/.xlsx/.yaml) → ``Code`` tree, with row-numbered errors
``codings.py``     codings files → (segment, code, coder): **where an imported coding's segment and code are matched**
``attributes.py``  participant/document attribute tables, and the attributes a segment is known by
``tables.py``      CSV/XLSX reading shared by the above (encoding detection, header checks)
``archives.py``    zip packages and XML from elsewhere (.qdpx, .docx, .xlsx) read safely: member checks, size
                   limits, no entities (XXE, billion laughs); used by the readers and by ``index.exchange``

Pure functions of their input; :class:`index.project.Project` stores what they return.
"""
