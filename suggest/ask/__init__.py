"""Ask: a question in plain words → verbatim quotes, with who said them and how they are coded.

``query.py``           **where a question is turned into filters**: attribute values, participant ids, code ids and the
                       topic left over (rules, no LLM)
``understanding.py``   what Ask knows and understood: the project's :class:`Vocabulary` of attribute values, the
                       :class:`Understanding` of a question (filters, unmatched words, topic, related codes)
``clauses.py``         a question as tokens tagged by clause (topic / person / place), for the parser
``related_codes.py``   codes the question names or describes (by id, words, or meaning): they lift, never filter
``words.py``           stopwords, cue words, synonyms and the light stemmer shared by the parser and BM25
``retrieval.py``       the corpus, BM25 + dense search fused by rank, the code boost, near-duplicate folding
``answer.py``          :func:`ask` → quote cards, :func:`check_citations`, the CLI's text
``langchain_adapter.py``  LangChain retriever and optional summary by a local chat model (the only LangChain import)

Reads the project through :class:`index.project.Project` and the store's named queries; runs no SQL itself.
"""
