"""codeseed's domain layer: project store, ingest, segmentation, the suggester and retrieval.

Start with :class:`suggest.project.Project`::

    from suggest.project import Project
    project = Project.open("myproject")
"""
