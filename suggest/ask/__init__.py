"""Ask: a question in plain words → verbatim quotes, with who said them and how they are coded.

``query.py``              **where a question becomes filters**: attribute values, topic, related codes (rules, no LLM)
``words.py``              stopwords, cue words, synonyms and the light stemmer shared by the parser and BM25
``retrieval.py``          the corpus, BM25 + dense search fused by rank, the code boost
``answer.py``             :func:`ask` → quote cards, :func:`check_citations`, the CLI's text
``langchain_adapter.py``  LangChain retriever and optional summary by a local chat model (the only LangChain import)
"""
