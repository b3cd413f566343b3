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

Matrix = npt.NDArray[np.float32]

BRIDGE_DIM = 2048
ANCHOR_DIM = 512
_WORD = re.compile(r"\w+", re.UNICODE)
# Indonesian writes 1.500.000, 3,5 and 14.30 (a time); English 1,500,000, 3.5 and 14:30.
_ID_NUMBER = re.compile(r"\b\d{1,2}\.\d{2}\b(?!\.\d)|\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?")
_EN_NUMBER = re.compile(r"\b\d{1,2}:\d{2}\b|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_ID_TIME = re.compile(r"\d{1,2}\.\d{2}")
_CAPITALISED = re.compile(r"\b[A-Z][\w-]+")
# Indonesian names of things whose English form differs; both sides map to one key.
NAME_MAP = {
    "as": "us",
    "amerika": "america",
    "serikat": "states",
    "korsel": "south-korea",
    "korut": "north-korea",
    "pbb": "un",
    "tiongkok": "china",
    "jepang": "japan",
    "inggris": "britain",
    "rusia": "russia",
    "prancis": "france",
    "jerman": "germany",
    "belanda": "netherlands",
    "selatan": "south",
    "utara": "north",
    "gedung": "white",
    "putih": "house",
    "januari": "january",
    "februari": "february",
    "maret": "march",
    "mei": "may",
    "juni": "june",
    "juli": "july",
    "agustus": "august",
    "oktober": "october",
    "desember": "december",
}


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


def numbers(text: str, language: str) -> list[str]:
    """Numbers in a canonical form: thousands separators dropped, decimal point a dot."""
    pattern = _ID_NUMBER if language == "id" else _EN_NUMBER
    found = []
    for raw in pattern.findall(text):
        if language == "id" and _ID_TIME.fullmatch(raw):
            value = raw.replace(".", ":")
        elif language == "id":
            value = raw.replace(".", "").replace(",", ".")
        else:
            value = raw if ":" in raw else raw.replace(",", "")
        found.append(value.lstrip("0") or "0")
    return found


def anchors(text: str, language: str) -> list[str]:
    """Tokens likely to appear on both sides: numbers, and capitalised names (mapped through
    :data:`NAME_MAP` where Indonesian and English spell them differently)."""
    keys = [f"#{n}" for n in numbers(text, language)]
    for name in _CAPITALISED.findall(text):
        key = name.lower()
        keys.append(NAME_MAP.get(key, key) if language == "id" else key)
    return keys


def anchor_matrix(texts: Sequence[str], language: str, dim: int = ANCHOR_DIM) -> Matrix:
    matrix = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        for key in anchors(text, language):
            matrix[row, _bucket(key, dim)] += 1.0
    return matrix
