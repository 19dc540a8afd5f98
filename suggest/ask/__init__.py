"""Ask: a question in plain words → verbatim quotes, with who said them and how they are coded.

``query.py``           **where a question is turned into filters**: attribute values, participant ids, code ids and the
                       topic left over (rules, no LLM)
``understanding.py``   what Ask knows and understood: the project's :class:`Vocabulary` of attribute values, the
                       :class:`Understanding` of a question (filters, unmatched words, topic, related codes)
``clauses.py``         a question as tokens tagged by clause (topic / person / place), for the parser
``related_codes.py``   codes the question names or describes (by id, words, or meaning): they lift, never filter
``words.py``           stopwords, cue words, synonyms and the light stemmer shared by the parser and BM25
``corpus.py``          the corpus cache: every segment as columns (texts, arrays, shared attribute dicts), its BM25
                       index, the codings as arrays; built once per process, read again after a write
``retrieval.py``       BM25 + dense search fused by rank, the code boost, near-duplicate folding
``dense.py``           the dense half: the vector index against the question (all segments, or a large project's
                       nearest 1,000), and the ranked lists cut to size
``answer.py``          :func:`ask` → quote cards (:func:`answer_understood` for a question already understood),
                       :func:`check_citations`, the CLI's text
``conversation.py``    **where a follow-up is merged with what was understood before**: the rules of a conversation
                       (refine, replace, not, more like, codes of these, counting, summary, start over), pure
``chat.py``            :class:`Conversation`: a conversation run against a project, its turns kept per coder
``counting.py``        "how many participants mention X, by Y?": counts coded and by search, with the segments behind
``chat_text.py``       a conversation's replies as terminal text, and a coder's history as Markdown with the quotes
``langchain_adapter.py``  LangChain retriever and optional summary by a local chat model (the only LangChain import)

Reads the project through :class:`index.project.Project` and the store's named queries; runs no SQL itself.
"""
