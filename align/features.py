"""What the aligner compares: hashed bag-of-words vectors (for the MT bridge against the
target), anchors that survive translation (numbers, names), and character lengths.

Hashing uses crc32, not Python's ``hash`` (salted per process), so alignments are
reproducible run to run.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from sejajar.core.lexicon import WORD_KEYS
from sejajar.core.numbers import Language, read_numbers

Matrix = npt.NDArray[np.float32]

BRIDGE_DIM = 2048
ANCHOR_DIM = 512
_WORD = re.compile(r"\w+", re.UNICODE)
_CAPITALISED = re.compile(r"\b[A-Z][\w-]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _bucket(feature: str, dim: int) -> int:
    return zlib.crc32(feature.encode("utf-8")) % dim


def _word_features(text: str) -> list[str]:
    """Words and the character 4-grams inside them (``<pain>`` shares most with ``<pains>``):
    machine translation and human translation rarely inflect a word the same way."""
    features = words(text)
    for word in list(features):
        marked = f"<{word}>"
        features.extend(marked[k : k + 4] for k in range(max(1, len(marked) - 3)))
    return features


def bag_of_words(texts: Sequence[str], dim: int = BRIDGE_DIM) -> Matrix:
    """Word and character 4-gram counts, hashed into ``dim`` columns, weighted by their
    inverse document frequency within ``texts`` (so function words count for little)."""
    features = [_word_features(text) for text in texts]
    df: dict[str, int] = {}
    for feats in features:
        for f in set(feats):
            df[f] = df.get(f, 0) + 1
    total = len(texts)
    matrix = np.zeros((len(texts), dim), dtype=np.float32)
    for row, feats in enumerate(features):
        for f in feats:
            matrix[row, _bucket(f, dim)] += math.log((total + 1) / (df[f] + 1)) + 1.0
    return matrix


def anchors(text: str, language: Language) -> list[str]:
    """Tokens likely to appear on both sides: numbers in their canonical form (see
    :mod:`sejajar.core.numbers`), and capitalised names (Indonesian ones mapped through
    :data:`~sejajar.core.lexicon.WORD_KEYS` where English spells them differently)."""
    keys = [f"#{number.value}" for number in read_numbers(text, language)]
    for name in _CAPITALISED.findall(text):
        key = name.lower()
        keys.extend(WORD_KEYS.get(key, (key,)) if language == "id" else (key,))
    return keys


def anchor_matrix(texts: Sequence[str], language: Language, dim: int = ANCHOR_DIM) -> Matrix:
    matrix = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        for key in anchors(text, language):
            matrix[row, _bucket(key, dim)] += 1.0
    return matrix
