"""What sejajar knows about Indonesian and English words, in one place: month names, and
Indonesian names of places and bodies whose English form differs. The aligner's anchors and
the quality flags both read these tables, so they cannot disagree."""

from __future__ import annotations

# Each month: its Indonesian name, its English name, then abbreviations.
MONTHS: tuple[tuple[str, ...], ...] = (
    ("januari", "january", "jan"),
    ("februari", "february", "feb"),
    ("maret", "march", "mar"),
    ("april", "april", "apr"),
    ("mei", "may"),
    ("juni", "june", "jun"),
    ("juli", "july", "jul"),
    ("agustus", "august", "aug"),
    ("september", "september", "sep", "sept"),
    ("oktober", "october", "oct"),
    ("november", "november", "nov"),
    ("desember", "december", "dec"),
)
# Any spelling of a month, lower case, to its number (1 to 12).
MONTH_NUMBER: dict[str, int] = {
    name: number for number, names in enumerate(MONTHS, start=1) for name in names
}
INDONESIAN_MONTHS: frozenset[str] = frozenset(names[0] for names in MONTHS)

# Indonesian names and words whose English form differs, lower case; any English form counts
# as the same name, the first is the usual one.
NAME_FORMS: dict[str, tuple[str, ...]] = {
    "amerika serikat": ("united states", "us", "u.s.", "america", "american"),
    "as": ("us", "u.s.", "united states", "america", "american"),
    "korea selatan": ("south korea", "south korean", "seoul", "rok"),
    "korsel": ("south korea", "south korean", "seoul"),
    "korea utara": ("north korea", "north korean", "pyongyang", "dprk"),
    "korut": ("north korea", "north korean", "pyongyang"),
    "pbb": ("un", "u.n.", "united nations"),
    "gedung putih": ("white house",),
    "tiongkok": ("china", "chinese", "prc"),
    "tionghoa": ("china", "chinese"),
    "cina": ("china", "chinese"),
    "jepang": ("japan", "japanese"),
    "inggris": ("britain", "british", "uk", "england", "english"),
    "rusia": ("russia", "russian"),
    "ukraina": ("ukraine", "ukrainian"),
    "prancis": ("france", "french"),
    "jerman": ("germany", "german"),
    "belanda": ("netherlands", "dutch"),
    "arab saudi": ("saudi arabia", "saudi"),
    "deklarasi washington": ("washington declaration",),
}


def _word_keys() -> dict[str, tuple[str, ...]]:
    """The English words each Indonesian word stands for, for comparing single capitalised
    words: a one-word name maps to the words of its usual English form (``korsel`` ->
    ``south``, ``korea``); the words of a longer name pair one to one with the English words
    in reverse order, since Indonesian puts the modifier after the head (``korea selatan``/
    ``south korea``: ``selatan`` -> ``south``); a month maps to its English name."""
    keys: dict[str, tuple[str, ...]] = {}
    for phrase, forms in NAME_FORMS.items():
        words, english = phrase.split(), forms[0].split()
        if len(words) == 1:
            keys.setdefault(phrase, tuple(english))
        elif len(words) == len(english):
            for word, key in zip(reversed(words), english, strict=True):
                keys.setdefault(word, (key,))
    for names in MONTHS:
        keys.setdefault(names[0], (names[1],))
    return keys


# Indonesian word (lower case) -> the English words it stands for, where they differ.
WORD_KEYS: dict[str, tuple[str, ...]] = {
    word: keys for word, keys in _word_keys().items() if keys != (word,)
}
