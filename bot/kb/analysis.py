"""Indonesian text as the knowledge base indexes and searches it.

Users write "gak bisa upload dok penawaran di spse", entries say "Gagal mengunggah dokumen
penawaran di SPSE"; both must become the same terms. Every text (an entry, a solved ticket, a
query) goes through :func:`analyse`:

1. **Normalise**: Unicode NFKC, case folded, letters repeated three times or more squeezed
   ("gagalll" → "gagal"), multi-word spellings joined ("e katalog", "user id", "kata sandi").
2. **Protected terms** (:data:`PROTECTED`): names of applications, documents and roles
   (SIKaP, SPSE, SiRUP, ADP, NPWP, PPK, Pokja …) become marked terms ending in ``_`` that the
   stemmer, the synonym table and the typo correction never touch, so "SIKaP" is never the
   common word *sikap* nor "SiRUP" the drink *sirup*.
3. **Synonyms** (:data:`SYNONYMS`): informal, abbreviated and English words map to one
   Indonesian word (upload → unggah, gak → tidak, pw → sandi, akun ← user id …).
4. **Stop words** (:data:`STOP_WORDS`) are dropped: a short hand-made list of function words.
   Sastrawi's own list also drops words that matter here (*masuk*, *baru*, *belum*, *kata*).
5. **Stemming** with Sastrawi (Nazief–Adriani with the Sastrawi dictionary): *mengunggah*,
   *diunggah*, *pengunggahan* → *unggah*.

Typo tolerance is in :class:`Vocabulary`: a query term the index has never seen is replaced
by the known terms within a small edit distance (RapidFuzz's optimal string alignment
distance, so a swap of two letters, "unggha", is one typo).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import OSA
from rapidfuzz.process import extract

PROTECTED_MARK = "_"

#: Surface spellings (after normalisation) → the protected term they stand for.
PROTECTED: dict[str, str] = {
    **dict.fromkeys(("spse",), "spse"),
    **dict.fromkeys(("sikap", "sikab"), "sikap"),
    **dict.fromkeys(("sirup",), "sirup"),
    **dict.fromkeys(("ekatalog", "ekatalogue", "katalog"), "ekatalog"),
    **dict.fromkeys(("inaproc", "inaprok"), "inaproc"),
    **dict.fromkeys(("adp",), "adp"),
    **dict.fromkeys(("npwp",), "npwp"),
    **dict.fromkeys(("ppk",), "ppk"),
    **dict.fromkeys(("pokja", "ukpbj"), "pokja"),
    **dict.fromkeys(("lpse",), "lpse"),
    **dict.fromkeys(("lkpp",), "lkpp"),
    **dict.fromkeys(("apendo", "spamkodok"), "apendo"),
    **dict.fromkeys(("nib", "oss"), "nib"),
    **dict.fromkeys(("hps",), "hps"),
    **dict.fromkeys(("kak",), "kak"),
    **dict.fromkeys(("tkdn",), "tkdn"),
    **dict.fromkeys(("sppbj",), "sppbj"),
    **dict.fromkeys(("bast",), "bast"),
    **dict.fromkeys(("pa", "kpa"), "kpa"),
    **dict.fromkeys(("pp",), "pp"),
    **dict.fromkeys(("ttd", "ttde"), "ttd"),
    **dict.fromkeys(("bsre", "tte"), "bsre"),
    **dict.fromkeys(("sbu",), "sbu"),
    **dict.fromkeys(("siup",), "siup"),
    **dict.fromkeys(("spt",), "spt"),
    **dict.fromkeys(("kswp",), "kswp"),
    **dict.fromkeys(("etendering", "etender"), "etendering"),
    **dict.fromkeys(("epurchasing",), "epurchasing"),
    **dict.fromkeys(("nontender", "nontendering"), "nontender"),
    **dict.fromkeys(("agregasi",), "agregasi"),
    **dict.fromkeys(("ktp", "nik"), "nik"),
}

#: Multi-word and hyphenated spellings joined before tokenising (regex → replacement).
PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\be[\s\-.]?katalog(ue)?\b", " ekatalog "),
        (r"\be[\s\-.]?tender(ing)?\b", " etendering "),
        (r"\be[\s\-.]?purchasing\b", " epurchasing "),
        (r"\bnon[\s\-]tender(ing)?\b", " nontender "),
        (r"\bspam[\s\-]?kodok\b", " spamkodok "),
        (r"\bkata[\s\-]?sandi\b", " sandi "),
        (r"\bpass[\s\-]?word\b", " sandi "),
        (r"\buser[\s\-]?(id|name)\b", " akun "),
        (r"\blog[\s\-]?(in|on)\b", " masuk "),
        (r"\bsign[\s\-]?in\b", " masuk "),
        (r"\blog[\s\-]?out\b", " keluar "),
        (r"\bsign[\s\-]?up\b", " daftar "),
        (r"\btanda[\s\-]?tangan\b", " ttd "),
        (r"\bkode[\s\-]?otp\b", " otp "),
        (r"\bpa\s*/\s*kpa\b", " kpa "),
        (r"\bsurat[\s\-]elektronik\b", " email "),
        (r"\be[\s\-]?mail\b", " email "),
        (r"\bno\.?\s?hp\b", " telepon "),
        (r"\bwa\b", " telepon "),
    )
)

#: Informal, abbreviated and English words → the one word the index uses for them.
SYNONYMS: dict[str, str] = {
    **dict.fromkeys(("gak", "ga", "gk", "nggak", "ngga", "enggak", "tdk", "tak", "ndak"), "tidak"),
    **dict.fromkeys(("blm", "blum", "belom"), "belum"),
    **dict.fromkeys(("sdh", "udah", "udh", "dah"), "sudah"),
    **dict.fromkeys(("upload", "unggah", "upld", "aplod", "uplod"), "unggah"),
    **dict.fromkeys(("download", "unduh", "donlod", "donwload"), "unduh"),
    **dict.fromkeys(("password", "pass", "pw", "pwd", "passwd", "sandi", "pasword"), "sandi"),
    **dict.fromkeys(("akun", "account", "user", "username", "userid", "uid"), "akun"),
    **dict.fromkeys(("login", "masuk", "log", "signin"), "masuk"),
    **dict.fromkeys(("error", "eror", "err", "galat", "bug"), "galat"),
    **dict.fromkeys(("fail", "failed", "gagal", "ggl"), "gagal"),
    **dict.fromkeys(("file", "berkas", "dok", "dokumen", "document", "doc"), "dokumen"),
    **dict.fromkeys(("lelang", "tender"), "tender"),
    **dict.fromkeys(("bid", "penawaran", "tawaran", "quotation"), "tawar"),
    **dict.fromkeys(("ganti", "ubah", "rubah", "edit", "change", "update", "perbarui"), "ubah"),
    **dict.fromkeys(("hapus", "delete", "remove"), "hapus"),
    **dict.fromkeys(("kirim", "submit", "send"), "kirim"),
    **dict.fromkeys(("daftar", "registrasi", "register", "regist", "signup"), "daftar"),
    **dict.fromkeys(("muncul", "tampil", "keliatan", "kelihatan", "nongol", "tampak"), "tampil"),
    **dict.fromkeys(("hilang", "lenyap", "ilang", "missing"), "hilang"),
    **dict.fromkeys(("lupa", "forgot", "forget", "lupaa"), "lupa"),
    **dict.fromkeys(("reset", "atur"), "reset"),
    **dict.fromkeys(("link", "tautan", "url"), "tautan"),
    **dict.fromkeys(("aktivasi", "aktifasi", "activation", "aktif"), "aktif"),
    **dict.fromkeys(("verifikasi", "verif", "verify", "validasi"), "verifikasi"),
    **dict.fromkeys(("sertifikat", "certificate", "cert", "serti"), "sertifikat"),
    **dict.fromkeys(("sinkron", "sinkronisasi", "sync", "singkron", "sinkronkan"), "sinkron"),
    **dict.fromkeys(("jadwal", "schedule", "tahapan"), "jadwal"),
    **dict.fromkeys(
        ("blokir", "block", "blocked", "terkunci", "kunci", "lock", "locked"), "blokir"
    ),
    **dict.fromkeys(("email", "surel", "mail", "imel"), "email"),
    **dict.fromkeys(("perusahaan", "pt", "cv", "badan", "usaha", "company"), "usaha"),
    **dict.fromkeys(("pegawai", "personel", "tenaga", "staff", "ahli"), "personel"),
    **dict.fromkeys(("alat", "peralatan"), "alat"),
    **dict.fromkeys(("pajak", "tax"), "pajak"),
    **dict.fromkeys(("sanggah", "sanggahan", "keberatan"), "sanggah"),
    **dict.fromkeys(("menang", "pemenang", "winner"), "menang"),
    **dict.fromkeys(("ulang", "kembali"), "ulang"),
    **dict.fromkeys(("lambat", "lemot", "lelet", "slow", "loading"), "lambat"),
    **dict.fromkeys(("pindah", "mutasi", "pensiun"), "pindah"),
    **dict.fromkeys(("hp", "handphone", "telepon", "telp"), "telepon"),
    **dict.fromkeys(("browser", "peramban", "chrome", "firefox", "mozilla"), "peramban"),
    **dict.fromkeys(("batal", "cancel", "dibatalkan"), "batal"),
    **dict.fromkeys(("cari", "search", "nyari"), "cari"),
    **dict.fromkeys(("pdf", "zip", "rar"), "arsip"),
    **dict.fromkeys(("ukuran", "size", "besar", "kapasitas"), "ukuran"),
    **dict.fromkeys(("kontrak", "spk"), "kontrak"),
    **dict.fromkeys(("mengapa", "kenapa", "knp", "napa"), "kenapa"),
}

#: Words with no meaning for a search here (function words, politeness, fillers).
STOP_WORDS: frozenset[str] = frozenset(
    """
    yang dan di ke dari untuk pada dengan ini itu saya kami kita aku anda dia mereka bapak ibu
    pak bu mas mbak min admin mohon tolong bantu bantuannya terima kasih makasih trims tks thx
    selamat pagi siang sore malam halo hai assalamualaikum wr wb ya yah nya dong deh sih kok
    kah lah pun juga sudah belum tidak bisa dapat akan sedang masih telah ada adalah apa apakah
    bagaimana gimana gmn bgmn gmana cara caranya kenapa mengapa atau tapi tetapi namun jika
    kalau kalo klo karena krn agar supaya sehingga oleh sebagai bila saat ketika setelah
    sebelum lalu kemudian terus jadi sama para sang si se nih tuh gan sob kak min sy yg dgn
    utk dr pd tsb tersebut sangat banget bgt sekali aja saja hanya cuma lagi mau ingin perlu
    harus the a an to of is in on and or for my i it not cannot can how what why please help
    dll dsb dst ok oke okay baik mana atas bawah dalam luar antara tentang terhadap menurut
    sampai hingga sejak pas
    """.split()  # noqa: SIM905 - a word list reads better as text
)
#: Words the stemmer would cut into another word ("pengadaan" → "ada", a stop word).
NO_STEM: frozenset[str] = frozenset({"pengadaan", "kualifikasi", "peserta", "pemilihan"})

# "tidak", "bisa", "belum", "sudah" are stop words: nearly every complaint has them. The
# synonym table still maps "gak" to "tidak" first, so "gak" never survives as its own term.

_REPEATS = re.compile(r"([a-z])\1{2,}")
_TOKEN = re.compile(r"[0-9a-z_]+")


@lru_cache(maxsize=1)
def _stemmer() -> Any:  # Sastrawi has no type hints
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Sastrawi's stem of one lowercase word (cached: the same words come back all day)."""
    if len(word) <= 3 or word in NO_STEM or any(ch.isdigit() for ch in word):
        return word
    return _stemmer().stem(word) or word


def fold_for_search(text: str) -> str:
    """NFKC, case folded, squeezed repeats, multi-word spellings joined."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _REPEATS.sub(r"\1", text)
    for pattern, replacement in PHRASES:
        text = pattern.sub(replacement, text)
    return text


def protected(term: str) -> str:
    return term + PROTECTED_MARK


def is_protected(term: str) -> bool:
    return term.endswith(PROTECTED_MARK)


def term_of(word: str) -> str | None:
    """The index term of one normalised word, or ``None`` for a stop word."""
    if word in PROTECTED:
        return protected(PROTECTED[word])
    if word in SYNONYMS:
        word = SYNONYMS[word]
    if word in STOP_WORDS or len(word) < 2:
        return None
    stemmed = stem(word)
    stemmed = SYNONYMS.get(stemmed, stemmed)
    return None if stemmed in STOP_WORDS else stemmed


@dataclass(frozen=True, slots=True)
class Word:
    """A word of a query: what the user typed (normalised) and its index term."""

    surface: str
    term: str


def words(text: str) -> list[Word]:
    """The meaningful words of ``text`` with their index terms, in order."""
    found = []
    for surface in _TOKEN.findall(fold_for_search(text)):
        term = term_of(surface)
        if term is not None:
            found.append(Word(surface, term))
    return found


def analyse(text: str) -> str:
    """``text`` as the index stores it: its terms separated by spaces."""
    return " ".join(word.term for word in words(text))


def max_typos(word: str) -> int:
    """How many edits a word may be off: none under 4 letters, 1 up to 7, then 2."""
    if len(word) < 4:
        return 0
    return 1 if len(word) <= 7 else 2


#: Spellings whose meaning is known without the index: the typo correction tries them first,
#: so "pasword" becomes "sandi" and "spsee" becomes SPSE.
LEXICON: dict[str, str] = {
    **{word: protected(term) for word, term in PROTECTED.items() if len(word) >= 4},
    **{word: SYNONYMS[word] for word in SYNONYMS if len(word) >= 4},
}


class Vocabulary:
    """The terms an index holds, for correcting query words it has never seen.

    Args:
        terms: Every term in the index (from the FTS5 vocabulary table), with the number of
            documents holding it when known.
        documents: How many documents the index holds.
    """

    def __init__(self, terms: Iterable[str] | dict[str, int], documents: int = 0) -> None:
        self.frequency: dict[str, int] = (
            dict(terms) if isinstance(terms, dict) else dict.fromkeys(terms, 1)
        )
        self.terms = frozenset(self.frequency)
        self.documents = documents
        self._by_length: dict[int, list[str]] = {}
        for term in self.terms:
            if not is_protected(term):
                self._by_length.setdefault(len(term), []).append(term)
        lexicon: dict[int, list[str]] = {}
        for word in LEXICON:
            lexicon.setdefault(len(word), []).append(word)
        self._lexicon = lexicon

    def __contains__(self, term: str) -> bool:
        return term in self.terms

    def __len__(self) -> int:
        return len(self.terms)

    @staticmethod
    def _near(word: str, buckets: dict[int, list[str]], limit: int) -> list[str]:
        typos = max_typos(word)
        if typos == 0:
            return []
        pool = [t for n in range(len(word) - typos, len(word) + typos + 1)
                for t in buckets.get(n, ())]  # fmt: skip
        found = extract(word, pool, scorer=OSA.distance, score_cutoff=typos, limit=limit)
        return [choice for choice, _, _ in sorted(found, key=lambda f: (f[1], f[0]))]

    def alternatives(self, word: Word, limit: int = 3) -> list[str]:
        """The terms to search for ``word``: itself when known, else its nearest neighbours."""
        if word.term in self.terms or is_protected(word.term):
            return [word.term]
        # The word itself stays too: an entry added by another process (a CLI import) may hold
        # it before this vocabulary is reloaded.
        for near in self._near(word.surface, self._lexicon, 1):
            term = LEXICON[near]
            if term in self.terms:
                return [word.term, term]
        return [word.term, *self._near(word.term, self._by_length, limit)]
