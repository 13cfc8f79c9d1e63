"""The knowledge base: entries that answer a kind of problem, and the search that finds them.

Entries come from three places: the curated starter set an LPSE imports, LKPP's guides (SOP
step 4, "kewenangan LPSE") and the solutions staff wrote for solved tickets. Users see matching
entries while they report (:mod:`bot.conversations.kb_suggest`) and with ``/faq``; staff see
similar entries and solved tickets on every card and with ``/cari``.

* :mod:`bot.kb.analysis` turns Indonesian text into index terms (protected terms, synonyms,
  stemming, typo tolerance);
* :mod:`bot.domain.kb_entries` is the entry itself, its validation and the TOML file format;
* :mod:`bot.kb.search` ranks entries and solved tickets (FTS5 BM25, application boost).
"""
