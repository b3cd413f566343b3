"""Language data for the splitter: abbreviations, boilerplate and byline patterns, datelines.

Kept apart from the splitting code so a rule is added here, with a case in
``tests/test_split.py``, not by editing the algorithm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rules:
    """Everything language-specific the splitter needs."""

    name: str
    # Lower-cased words (without the final period) after which a period never ends a sentence:
    # titles and prefixes that are always followed by a name or number.
    never_final: frozenset[str]
    # Lower-cased words after which a period ends no sentence when a number follows: month
    # abbreviations ("5 Jan. 2023", "Des. 12"), which may also end one ("sejak 5 Jan. Ia ...").
    before_number: frozenset[str]
    boilerplate: tuple[re.Pattern[str], ...]
    byline: tuple[re.Pattern[str], ...]
    dateline: re.Pattern[str] | None


def _compile(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


_ID_NEVER_FINAL = """
    dr drs dra ir prof h hj ny nn sdr sdri bpk bp tn jend letjen mayjen brigjen kol kolonel
    letkol mayor kapt lettu letda serma kombes kompol akbp ajun irjen komjen bripka brigpol
    jl jln gg kab kec kel kav blok rt rw no nomor hlm hal tgl pk pkl kpd yth a.n u.p gbr
    pt cv ud st s.h s.e s.kom s.pd s.sos m.si m.m m.h ph.d
    mr mrs ms st vs a.s
""".split()
# Indonesian month abbreviations (Mei has none).
_ID_MONTHS = "jan feb mar apr jun jul agu agt ags sep sept okt nov des".split()

ID_RULES = Rules(
    name="id",
    never_final=frozenset(_ID_NEVER_FINAL),
    before_number=frozenset(_ID_MONTHS),
    boilerplate=_compile(
        [
            r"^baca\s+(juga|pula|selengkapnya)\b",
            r"^(lihat|simak|tonton|cek)\s+(juga|video|berita|selengkapnya)\b",
            r"^advertisement$",
            r"^iklan$",
            r"^scroll\s+(to|untuk)\s+(continue|melanjutkan)",
            r"^(foto|photo|ilustrasi|gambar|video|sumber\s+foto|kredit\s+foto)\s*:",
            r"^(bagikan|share)(\s+artikel)?\s*:?\s*$",
            r"^artikel\s+ini\s+telah\s+(tayang|terbit|dipublikasikan)",
            r"^dapatkan\s+(update|informasi|berita)",
            r"^(ikuti|follow)\b.{0,60}\b(instagram|twitter|facebook|google\s+news|whatsapp|"
            r"telegram|youtube|tiktok)\b",
            r"^halaman\s+(selanjutnya|berikutnya|sebelumnya)",
            r"^(next|prev)\s*page$",
        ]
    ),
    byline=_compile(
        [
            r"^(sumber|penulis|editor|pewarta|reporter|redaktur|penyunting|kontributor|"
            r"laporan\s+wartawan|wartawan)\s*:",
            r"^\((\w{2,5}/)+\w{2,5}\)$",  # editor initials such as (ant/ddy)
        ]
    ),
    # A dateline opens the first paragraph: "KONTAN.CO.ID - WASHINGTON.", "JAKARTA, KOMPAS.com -",
    # "Liputan6.com, Washington D.C -", "Jakarta (ANTARA) -". Nothing inside it ends a sentence.
    dateline=re.compile(
        r"""^(?:
            [\w.]*\w\.(?:co\.id|com|id|net|co|tv|or\.id)\b[^.\n]{0,40}?    # a site name first
          | [A-Z][A-Z]{2,}(?:[ ][A-Z]{2,})*\b[^\n]{0,40}?                  # or a place in capitals
        )
        \s[-\u2013\u2014]{1,2}\s
        (?:[A-Z][A-Z .]{1,40}\.\s)?     # "KONTAN.CO.ID - WASHINGTON. "
        """,
        re.VERBOSE,
    ),
)

_EN_NEVER_FINAL = """
    mr mrs ms dr prof st sr jr gen col lt sgt capt cmdr adm gov sen rep pres rev hon
    no nos vs fig jan feb mar apr jun jul aug sep sept oct nov dec
    u.s u.n u.k e.u
""".split()

EN_RULES = Rules(
    name="en",
    never_final=frozenset(_EN_NEVER_FINAL),
    before_number=frozenset(),
    boilerplate=_compile(
        [
            r"^(read|see)\s+(also|more)\b",
            r"^advertisement$",
            r"^scroll\s+to\s+continue",
            r"^(photo|image|video)\s*:",
            r"^share(\s+this(\s+article)?)?\s*:?\s*$",
        ]
    ),
    byline=_compile([r"^(source|reporting|writing|editing|by)\s*:", r"^reporting by\b"]),
    dateline=re.compile(
        r"^[A-Z][A-Z .]{2,40}(?:,[^\n]{1,30})?\s\((?:Reuters|AP|AFP)\)\s[-\u2013\u2014]\s"
    ),
)
