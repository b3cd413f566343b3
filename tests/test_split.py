"""The Indonesian splitter: a table of real-looking traps, kinds, and span invariants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sejajar.core.records import Kind
from sejajar.translate.rules import EN_RULES
from sejajar.translate.split import paragraphs, presplit_document, split_text

SENTENCES = [
    # datelines
    (
        "KONTAN.CO.ID - WASHINGTON. Di tengah kecemasan, AS bertindak. Korea Selatan setuju.",
        ["KONTAN.CO.ID - WASHINGTON. Di tengah kecemasan, AS bertindak.", "Korea Selatan setuju."],
    ),
    (
        "Liputan6.com, Washington D.C - Pengembangan senjata berlanjut. Menanggapi hal itu AS bersiap.",
        [
            "Liputan6.com, Washington D.C - Pengembangan senjata berlanjut.",
            "Menanggapi hal itu AS bersiap.",
        ],
    ),
    (
        "JAKARTA, KOMPAS.com - Presiden tiba. Ia disambut.",
        ["JAKARTA, KOMPAS.com - Presiden tiba.", "Ia disambut."],
    ),
    (
        "Jakarta (ANTARA) - Harga naik. Warga mengeluh.",
        ["Jakarta (ANTARA) - Harga naik.", "Warga mengeluh."],
    ),
    (
        "TEMPO.CO, Jakarta - Menteri hadir. Acara dimulai.",
        ["TEMPO.CO, Jakarta - Menteri hadir.", "Acara dimulai."],
    ),
    # domain names and abbreviations
    (
        "Seperti dikutip dari News.com.au, Kamis (20/10/2016), kesepakatan dicapai.",
        ["Seperti dikutip dari News.com.au, Kamis (20/10/2016), kesepakatan dicapai."],
    ),
    (
        "Ia tiba di Washington D.C. Presiden menyambutnya.",
        ["Ia tiba di Washington D.C.", "Presiden menyambutnya."],
    ),
    ("Presiden AS Joe Biden bertemu Yoon.", ["Presiden AS Joe Biden bertemu Yoon."]),
    ("Pasukan ditarik dari AS. Mereka kembali.", ["Pasukan ditarik dari AS.", "Mereka kembali."]),
    ("Dr. Andi dan Prof. Budi hadir.", ["Dr. Andi dan Prof. Budi hadir."]),
    ("Kantornya di Jl. Sudirman No. 5, Jakarta.", ["Kantornya di Jl. Sudirman No. 5, Jakarta."]),
    (
        "Ia membeli beras, gula, dll. untuk keluarganya.",
        ["Ia membeli beras, gula, dll. untuk keluarganya."],
    ),
    (
        "Ia membeli beras, gula, dll. Kemudian ia pulang.",
        ["Ia membeli beras, gula, dll.", "Kemudian ia pulang."],
    ),
    ("Buah, sayur, dsb. dijual di sana.", ["Buah, sayur, dsb. dijual di sana."]),
    ("Surat tsb. sudah dikirim.", ["Surat tsb. sudah dikirim."]),
    ("Saham PT. Astra naik.", ["Saham PT. Astra naik."]),
    (
        "Saham PT Astra International Tbk. (ASII) naik 2%.",
        ["Saham PT Astra International Tbk. (ASII) naik 2%."],
    ),
    ("PT Bank Mandiri Tbk. mencatat laba.", ["PT Bank Mandiri Tbk. mencatat laba."]),
    ("Warga Kab. Bogor dan Kec. Cibinong datang.", ["Warga Kab. Bogor dan Kec. Cibinong datang."]),
    ("Jend. Sudirman memimpin pasukan.", ["Jend. Sudirman memimpin pasukan."]),
    ("Rapat digelar tgl. 5 Mei pk. 10.00 WIB.", ["Rapat digelar tgl. 5 Mei pk. 10.00 WIB."]),
    ("Yoon Suk Y. Yeol dan John F. Kennedy.", ["Yoon Suk Y. Yeol dan John F. Kennedy."]),
    # abbreviations a news article uses: each kept whole, and a sentence end beside it still cut
    (
        "Jumlah kasus harian, seperti terlihat pada Gbr. 2, terus menurun.",
        ["Jumlah kasus harian, seperti terlihat pada Gbr. 2, terus menurun."],
    ),
    (
        "Petugas menyita dua lukisan dan satu gambar. 3 orang diperiksa.",
        ["Petugas menyita dua lukisan dan satu gambar.", "3 orang diperiksa."],
    ),
    (
        "Harga cabai naik sejak 5 Jan. 2023 di pasar induk.",
        ["Harga cabai naik sejak 5 Jan. 2023 di pasar induk."],
    ),
    (
        "Pemungutan suara digelar pada Feb. 14 dan hasilnya diumumkan Mar. 20 oleh KPU.",
        ["Pemungutan suara digelar pada Feb. 14 dan hasilnya diumumkan Mar. 20 oleh KPU."],
    ),
    (
        "Kontrak itu berlaku hingga 31 Des. 2024, kata juru bicara.",
        ["Kontrak itu berlaku hingga 31 Des. 2024, kata juru bicara."],
    ),
    (
        "Harga cabai naik sejak 5 Jan. Pemerintah belum bertindak.",
        ["Harga cabai naik sejak 5 Jan.", "Pemerintah belum bertindak."],
    ),
    (
        "Banjir melanda Kec. Dayeuhkolot, Kab. Bandung, Senin (6/3/2023).",
        ["Banjir melanda Kec. Dayeuhkolot, Kab. Bandung, Senin (6/3/2023)."],
    ),
    (
        "Banjir merendam tiga kecamatan. Kab. Bandung menetapkan status darurat.",
        ["Banjir merendam tiga kecamatan.", "Kab. Bandung menetapkan status darurat."],
    ),
    (
        "Kebakaran terjadi di Jl Siaga Raya No. 12, Pejaten Barat, Jakarta Selatan.",
        ["Kebakaran terjadi di Jl Siaga Raya No. 12, Pejaten Barat, Jakarta Selatan."],
    ),
    (
        "Kebakaran terjadi di Jl. Siaga. Api padam sejam kemudian.",
        ["Kebakaran terjadi di Jl. Siaga.", "Api padam sejam kemudian."],
    ),
    (
        "Bupati H. Ahmad Marzuki dan istrinya Hj. Siti Aminah menghadiri acara itu.",
        ["Bupati H. Ahmad Marzuki dan istrinya Hj. Siti Aminah menghadiri acara itu."],
    ),
    (
        "Tamu disambut panitia. Hj. Siti Aminah membacakan doa.",
        ["Tamu disambut panitia.", "Hj. Siti Aminah membacakan doa."],
    ),
    (
        "Menteri Luar Negeri A.S. Antony Blinken tiba di Jakarta, Selasa.",
        ["Menteri Luar Negeri A.S. Antony Blinken tiba di Jakarta, Selasa."],
    ),
    (
        "Blinken kembali ke AS. Kunjungannya berlangsung tiga hari.",
        ["Blinken kembali ke AS.", "Kunjungannya berlangsung tiga hari."],
    ),
    # numbers, dates and times
    ("Inflasi naik 3,5 persen. Harga turun.", ["Inflasi naik 3,5 persen.", "Harga turun."]),
    ("Gajinya Rp1.500.000 per bulan. Itu kecil.", ["Gajinya Rp1.500.000 per bulan.", "Itu kecil."]),
    (
        "Rapat dimulai pukul 14.30 WIB. Semua hadir.",
        ["Rapat dimulai pukul 14.30 WIB.", "Semua hadir."],
    ),
    ("Pada Rabu (26/4/2023) AS berjanji.", ["Pada Rabu (26/4/2023) AS berjanji."]),
    ("Korban tewas pada 2023. 15 orang terluka.", ["Korban tewas pada 2023.", "15 orang terluka."]),
    ("1. Pertama kita makan.", ["1. Pertama kita makan."]),
    # ellipses, question and exclamation marks
    ("Dia berkata... lalu pergi.", ["Dia berkata... lalu pergi."]),
    ("Tunggu dulu... Kami belum siap.", ["Tunggu dulu...", "Kami belum siap."]),
    ("Mengapa? Karena hujan! Semua basah.", ["Mengapa?", "Karena hujan!", "Semua basah."]),
    # quotations
    (
        '"Kedua negara telah sepakat," kata Yoon.',
        ['"Kedua negara telah sepakat," kata Yoon.'],
    ),
    ('"Kami siap." Lalu ia pergi.', ['"Kami siap."', "Lalu ia pergi."]),
    ('"Kami siap." katanya singkat.', ['"Kami siap." katanya singkat.']),
    (
        '"Kami akan bangkit. Dengan begitu semua sia-sia," kata Kerry.',
        ['"Kami akan bangkit.', 'Dengan begitu semua sia-sia," kata Kerry.'],
    ),
    ("\u201cIni selesai.\u201d Dia pulang.", ["\u201cIni selesai.\u201d", "Dia pulang."]),
    ('Ia bertanya, "Apa?" dan diam.', ['Ia bertanya, "Apa?" dan diam.']),
    ('Ia pergi. "Sampai jumpa," katanya.', ["Ia pergi.", '"Sampai jumpa," katanya.']),
]


@pytest.mark.parametrize(("text", "expected"), SENTENCES)
def test_sentences(text: str, expected: list[str]) -> None:
    segments = split_text(text)
    assert [s.text for s in segments] == expected
    assert all(s.kind is Kind.SENTENCE for s in segments)


KINDS = [
    ("Sumber: Reuters | Editor: Barratut Taqiyyah Rafie", Kind.BYLINE),
    ("Penulis: Andi Saputra", Kind.BYLINE),
    ("Editor: Budi", Kind.BYLINE),
    ("Pewarta: Citra", Kind.BYLINE),
    ("(ant/ddy)", Kind.BYLINE),
    (
        "Baca Juga: China Ajukan Protes Atas Pernyataan Presiden Korea Selatan Soal Taiwan",
        Kind.BOILERPLATE,
    ),
    ("Baca juga: Harga BBM Naik Lagi", Kind.BOILERPLATE),
    ("Advertisement", Kind.BOILERPLATE),
    ("Scroll to continue with content", Kind.BOILERPLATE),
    ("Foto: Reuters/Kevin Lamarque", Kind.BOILERPLATE),
    ("Menghentikan Korea Utara", Kind.HEADING),
    ("Reaksi China", Kind.HEADING),
    ("Harga naik.", Kind.SENTENCE),
    ("Sumber daya alam Indonesia melimpah.", Kind.SENTENCE),
    (
        "Bacaan ini panjang dan menarik untuk semua orang yang membaca sampai selesai.",
        Kind.SENTENCE,
    ),
]


@pytest.mark.parametrize(("text", "kind"), KINDS)
def test_kinds(text: str, kind: Kind) -> None:
    (segment,) = split_text(text)
    assert segment.kind is kind
    assert segment.text == text


def test_paragraphs_lines_and_blank_blocks() -> None:
    text = "Judul Berita\n\nKalimat satu. Kalimat dua.\nKalimat tiga yang\ndibungkus.\n\n\nAkhir."
    segments = split_text(text)
    assert [(s.paragraph, s.kind, s.text) for s in segments] == [
        (0, Kind.HEADING, "Judul Berita"),
        (1, Kind.SENTENCE, "Kalimat satu."),
        (1, Kind.SENTENCE, "Kalimat dua."),
        (2, Kind.SENTENCE, "Kalimat tiga yang dibungkus."),
        (3, Kind.SENTENCE, "Akhir."),
    ]
    assert [text[a:b] for a, b in paragraphs(text)][2] == "Kalimat tiga yang\ndibungkus."


def test_sample_articles_keep_every_piece_in_order(sample_texts: dict[str, str]) -> None:
    kontan = split_text(sample_texts["kontan-2023-04-26-us-south-korea.id"])
    kinds = [s.kind for s in kontan]
    assert kinds.count(Kind.BYLINE) == 1 and kinds.count(Kind.BOILERPLATE) == 2
    assert [s.text for s in kontan if s.kind is Kind.HEADING] == ["Menghentikan Korea Utara"]
    assert kontan[1].text.startswith("KONTAN.CO.ID - WASHINGTON. Di tengah kecemasan")
    liputan = split_text(sample_texts["liputan6-2016-10-20-us-south-korea.id"])
    assert len([s for s in liputan if s.kind is Kind.SENTENCE]) == 14
    assert liputan[0].text.endswith("hingga saat ini.")


def test_english_rules() -> None:
    text = "WASHINGTON (Reuters) - Mr. Biden met Dr. Yoon. They spoke for an hour."
    assert [s.text for s in split_text(text, EN_RULES)] == [
        "WASHINGTON (Reuters) - Mr. Biden met Dr. Yoon.",
        "They spoke for an hour.",
    ]


def test_presplit_keeps_lines() -> None:
    doc = presplit_document("x", "Satu. Dua.\n\n  Tiga\n")
    assert [s.text for s in doc.segments] == ["Satu. Dua.", "Tiga"]
    assert [doc.text[s.start : s.end] for s in doc.segments] == ["Satu. Dua.", "Tiga"]


_ARTICLE = st.lists(
    st.sampled_from(
        [*"abc ABC.,!?\"'\u201c\u201d()-\n\t0123456789\u00a0", "Dr.", "AS", "Baca Juga:"]
    ),
    max_size=120,
).map("".join)


@given(_ARTICLE)
def test_spans_cover_the_text_in_order(text: str) -> None:
    """No character of substance is lost or duplicated: spans are ordered, disjoint and
    together hold every non-space character."""
    segments = split_text(text)
    last = 0
    for s in segments:
        assert last <= s.start < s.end <= len(text)
        assert s.text == " ".join(text[s.start : s.end].split())
        last = s.end
    covered = "".join(text[s.start : s.end] for s in segments)
    assert "".join(covered.split()) == "".join(text.split())
