"""Quality flags: per pair, each detector says what a reviewer should check and why.

Detectors are pure functions of the source and target text. They understand Indonesian
conventions (``3,5 persen`` is ``3.5 percent``, ``Rp1,5 triliun`` is ``1.5 trillion rupiah``,
``(26/4/2023)`` is day/month/year, ``14.30 WIB`` is ``2:30 p.m.``) so that a correct
conversion is not flagged. Thresholds come from the real opus-mt-id-en outputs on TICO-19.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from difflib import SequenceMatcher

from sejajar.core.records import Flag

# --- length ---------------------------------------------------------------------------------

# Real outputs on TICO-19: 99.8% between 0.45 and 1.33 of the source length.
MIN_RATIO, MAX_RATIO, MIN_CHARS = 0.5, 1.6, 20


def length_ratio(source: str, target: str) -> Flag | None:
    if len(source) < MIN_CHARS:
        return None
    ratio = len(target) / len(source)
    if MIN_RATIO <= ratio <= MAX_RATIO:
        return None
    how = "short" if ratio < MIN_RATIO else "long"
    return Flag("length-ratio", f"target is {ratio:.2f} x the source length: unusually {how}")


# --- numbers --------------------------------------------------------------------------------

_SCALE = {
    "ribu": 3,
    "thousand": 3,
    "juta": 6,
    "million": 6,
    "miliar": 9,
    "milyar": 9,
    "billion": 9,
    "triliun": 12,
    "trillion": 12,
}
_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("januari", "january", "jan"),
            ("februari", "february", "feb"),
            ("maret", "march", "mar"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("agustus", "august", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "october", "oct"),
            ("november", "nov"),
            ("desember", "december", "dec"),
        ],
        start=1,
    )
    for m in names
}
_DATE_NUMERIC = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2,4})\b")
_ORDINAL = r"(?:st|nd|rd|th)?"
_DATE_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}){_ORDINAL}\s+([A-Za-z]+)\.?,?\s+(\d{{4}})\b")
_DATE_MONTH_DAY = re.compile(rf"\b([A-Za-z]+)\.?\s+(\d{{1,2}}){_ORDINAL},?\s+(\d{{4}})\b")
_TIME_ID = re.compile(
    r"\b(\d{1,2})[.:](\d{2})\s*(?:WIB|WITA|WIT)\b|\bpukul\s+(\d{1,2})[.:](\d{2})\b", re.I
)
# "8: 00 a.m." too: machine translation sometimes spaces the colon.
_TIME_EN = re.compile(
    r"\b(\d{1,2})(?::\s?(\d{2}))?\s*([ap])\.?m\b\.?|\b(\d{1,2}):\s?(\d{2})\b", re.I
)
_NUMBER = re.compile(r"\d[\d.,]*\d|\d")
_SCALE_AFTER = re.compile(
    r"\s*(ribu|juta|miliar|milyar|triliun|thousand|million|billion|trillion)\b", re.I
)


_ID_FORM = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?")
_EN_FORM = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def _candidates(token: str) -> set[Decimal]:
    """The values a number token can mean under either convention where its separators fit
    that convention: ``1.500`` is 1500 (Indonesian) or 1.5 (English), ``3,5`` only 3.5."""
    values = set()
    if _ID_FORM.fullmatch(token):
        values.add(Decimal(token.replace(".", "").replace(",", ".")).normalize())
    if _EN_FORM.fullmatch(token):
        values.add(Decimal(token.replace(",", "")).normalize())
    return values


def _values(text: str) -> list[set[Decimal | str]]:
    """Every number in ``text`` as a set of possible canonical values; dates and times become
    ``date:YYYY-MM-DD`` and ``time:HH:MM`` and their digits are not counted again."""
    found: list[set[Decimal | str]] = []
    taken = [False] * len(text)

    def claim(m: re.Match[str], value: str) -> None:
        found.append({value})
        for k in range(m.start(), m.end()):
            taken[k] = True

    for m in _DATE_NUMERIC.finditer(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        year += 2000 if year < 100 else 0
        if 1 <= month <= 12 and 1 <= day <= 31:
            claim(m, f"date:{year:04d}-{month:02d}-{day:02d}")
    for pattern, order in ((_DATE_DAY_MONTH, (1, 2)), (_DATE_MONTH_DAY, (2, 1))):
        for m in pattern.finditer(text):
            if any(taken[m.start() : m.end()]):
                continue
            day_text, month_text = m[order[0]], m[order[1]]
            named = _MONTHS.get(month_text.lower())
            if named:
                claim(m, f"date:{int(m[3]):04d}-{named:02d}-{int(day_text):02d}")
    for m in _TIME_ID.finditer(text):
        hour, minute = (m[1], m[2]) if m[1] else (m[3], m[4])
        claim(m, f"time:{int(hour):02d}:{minute}")
    for m in _TIME_EN.finditer(text):
        if any(taken[m.start() : m.end()]):
            continue
        if m[3]:
            hour = int(m[1]) % 12 + (12 if m[3].lower() == "p" else 0)
            claim(m, f"time:{hour:02d}:{m[2] or '00'}")
        else:
            claim(m, f"time:{int(m[4]):02d}:{m[5]}")
    for m in _NUMBER.finditer(text):
        if any(taken[m.start() : m.end()]):
            continue
        scale = _SCALE_AFTER.match(text, m.end())
        factor = Decimal(10) ** _SCALE[scale[1].lower()] if scale else Decimal(1)
        values: set[Decimal | str] = {(v * factor).normalize() for v in _candidates(m[0])}
        if values:
            found.append(values)
    return found


def _unmatched(wanted: list[set[Decimal | str]], offered: list[set[Decimal | str]]) -> list[str]:
    """Values of ``wanted`` with no partner in ``offered`` (each partner used once)."""
    free = list(offered)
    missing = []
    for options in wanted:
        partner = next((k for k, o in enumerate(free) if o & options), None)
        if partner is None:
            missing.append(_show(options))
        else:
            free.pop(partner)
    return missing


def _show(options: set[Decimal | str]) -> str:
    shown = sorted(
        format(o, "f") if isinstance(o, Decimal) else o.split(":", 1)[1] for o in options
    )
    return shown[0]


def number_mismatch(source: str, target: str) -> Flag | None:
    src, tgt = _values(source), _values(target)
    lost, added = _unmatched(src, tgt), _unmatched(tgt, src)
    if not lost and not added:
        return None
    parts = []
    if lost:
        parts.append(f"missing in target: {', '.join(lost)}")
    if added:
        parts.append(f"not in source: {', '.join(added)}")
    return Flag("number-mismatch", "; ".join(parts))


# --- untranslated ---------------------------------------------------------------------------

_ID_WORDS = frozenset(
    """yang dan di ke dari untuk dengan ini itu tidak akan pada dalam adalah juga oleh karena
    atau sudah bisa mereka kami kita saya tersebut telah sebagai bahwa para secara masih lebih
    agar namun tetapi serta hingga kepada terhadap setelah sejak belum harus dapat ada""".split()
)
_TOKEN = re.compile(r"[A-Za-z\u00c0-\u024f]+")


def untranslated(source: str, target: str) -> Flag | None:
    if " ".join(source.split()).lower() == " ".join(target.split()).lower() and _TOKEN.search(
        source
    ):
        return Flag("untranslated", "target is a copy of the source")
    words = [w.lower() for w in _TOKEN.findall(target)]
    hits = [w for w in words if w in _ID_WORDS]
    if len(hits) >= 2 and len(hits) >= 0.15 * len(words):
        return Flag("untranslated", f"target still reads as Indonesian ({', '.join(hits[:4])})")
    return None


# --- repetition -----------------------------------------------------------------------------


def repetition(source: str, target: str) -> Flag | None:
    """A unit of 1 to 4 words repeated back to back (4 times for one word, 3 for more), unless
    the source repeats it too."""
    words = target.lower().split()
    for size in (1, 2, 3, 4):
        need = 4 if size == 1 else 3
        for start in range(len(words) - size * need + 1):
            unit = words[start : start + size]
            if all(words[start + k * size : start + (k + 1) * size] == unit for k in range(need)):
                phrase = " ".join(unit)
                if phrase in source.lower():
                    continue
                return Flag("repetition", f'"{phrase}" repeated {need}+ times: a decoding loop')
    return None


# --- names ----------------------------------------------------------------------------------

# Indonesian names and words whose English form differs; any alternative counts as present.
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
# Capitalised Indonesian words that are not names (titles, days, months, common nouns that
# open headings); a missing translation of these is no lost name.
_NOT_NAMES = frozenset(
    """presiden wakil menteri luar negeri pertahanan dalam gubernur bupati wali kota ketua dewan
    partai kementerian jenderal kepala direktur pemerintah perdana raja ratu pangeran senin
    selasa rabu kamis jumat sabtu minggu januari februari maret april mei juni juli agustus
    september oktober november desember pulau sungai gunung jalan provinsi kabupaten badan
    bank dinas kantor kelompok konferensi deklarasi anda bapak ibu saudara tuhan allah
    baru raya timur tengah utara selatan barat besar agung kesehatan tahun fase hari nasional
    internasional umum negara republik kerajaan kota""".split()
)
# A run of capitalised words opened by one of these is an organisation or place description
# ("Kelompok Konsultatif Nuklir", "Pasar Grosir Makanan Laut"), translated, not copied.
_INSTITUTIONS = frozenset(
    """kelompok badan kementerian dewan partai pasar pusat lembaga komisi majelis dinas kantor
    organisasi universitas rumah sakit perusahaan bank pengadilan mahkamah sekolah
    deklarasi perjanjian undang konferensi program""".split()
)


def _present(forms: tuple[str, ...], target: str) -> bool:
    low = target.lower()
    return any(re.search(rf"(?<![\w.]){re.escape(f)}(?![\w])", low) for f in forms)


# Capitalised words, joined by the small words inside institution names.
_CAP_WORD = r"\b[A-Z][\w\u00c0-\u024f-]*\b"
_RUN = re.compile(rf"{_CAP_WORD}(?:\s+(?:(?:dan|untuk|dari|di)\s+)?{_CAP_WORD})*")
_SIMILAR = 0.7


def _lost_names(text: str, target: str) -> list[str]:
    """Capitalised words of ``text`` (not opening a sentence, not a title or an institution's
    description) that the target lacks. A headline in Title Case (no final punctuation) is
    skipped: most of its capitals are not names."""
    words = re.findall(r"[\w\u00c0-\u024f-]+", text)
    headline = not text.rstrip().endswith((".", "!", "?", '"', "\u201d"))
    if headline and len(words) >= 4 and sum(w[0].isupper() for w in words) > 0.6 * len(words):
        return []
    lost = []
    low_target = target.lower()
    for run in _RUN.finditer(text):
        parts = [p for p in run[0].split() if p[0].isupper()]
        if parts[0].lower() in _INSTITUTIONS:
            continue
        opens = run.start() == 0 or re.search(r"[.!?:\"'\u201c(]\s*$", text[: run.start()])
        for k, word in enumerate(parts):
            if (k == 0 and opens and not word.isupper()) or word.lower() in _NOT_NAMES:
                continue
            if word.lower() not in low_target and not _spelt_alike(word, target):
                lost.append(word)
    return lost


def _spelt_alike(word: str, target: str) -> bool:
    """``Eropa``/``Europe``, ``Italia``/``Italy``: the same name in English spelling. Acronyms
    must match exactly (``SARS-CoV-2`` is not ``SARS-CAV-2``)."""
    if word.isupper() or any(c.isdigit() for c in word):
        return False
    low = word.lower()
    return any(
        SequenceMatcher(None, low, other).ratio() >= _SIMILAR
        for other in re.findall(r"[\w-]+", target.lower())
        if abs(len(other) - len(low)) <= 4
    )


def names(source: str, target: str) -> Flag | None:
    low = source.lower()
    missing = []
    rest = source
    for phrase, forms in sorted(NAME_FORMS.items(), key=lambda kv: -len(kv[0])):
        pattern = rf"(?<![\w]){re.escape(phrase)}(?![\w])"
        is_as = phrase != "as" or re.search(r"(?<![\w])AS(?![\w])", source)
        if re.search(pattern, low) and is_as:
            if not _present(forms, target):
                missing.append(phrase.title() if phrase != "as" else "AS")
            rest = re.sub(pattern, " ", rest, flags=re.IGNORECASE)
    missing.extend(_lost_names(rest, target))
    missing = list(dict.fromkeys(missing))
    if not missing:
        return None
    return Flag("names", f"not found in target: {', '.join(missing[:5])}")


DETECTORS: tuple[Callable[[str, str], Flag | None], ...] = (
    length_ratio,
    number_mismatch,
    untranslated,
    repetition,
    names,
)


def quality_flags(source: str, target: str) -> tuple[Flag, ...]:
    """Every detector's flag for one pair, in a fixed order; none for a clean pair."""
    if not source.strip() or not target.strip():
        return ()
    found = (detect(source, target) for detect in DETECTORS)
    return tuple(flag for flag in found if flag is not None)
