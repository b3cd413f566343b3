"""Splitting articles and translating them (installed as ``sejajar.translate``).

``rules``/``split`` cut text into segments, ``chunk`` cuts over-long ones; ``translator`` is the
interface every engine implements, with batching; ``marian`` (transformers, with the search in
``decode``, ``beam`` and ``search_state``, its linear layers in ``onednn``, and worker processes
in ``workers``) and ``ct2`` (CTranslate2) are the engines, chosen by name in ``engines``;
``benchmarking`` is their one hook for ``bench/``; ``cache`` keeps translations across runs;
``evaluate`` scores them.
"""
