"""How the knowledge base reads Indonesian: protected terms, synonyms, stemming, typos."""

from __future__ import annotations

import pytest

from bot.kb.analysis import Vocabulary, analyse, words


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Data SIKaP tidak muncul", "data sikap_ tampil"),
        ("paket belum ada di SiRUP", "paket sirup_"),
        ("e-Katalog, E Katalog, ekatalog", "ekatalog_ ekatalog_ ekatalog_"),
        (
            "NPWP PPK Pokja LPSE LKPP ADP INAPROC SPSE",
            "npwp_ ppk_ pokja_ lpse_ lkpp_ adp_ inaproc_ spse_",
        ),
    ],
)
def test_protected_terms_are_kept_whole_and_marked(text: str, terms: str):
    assert analyse(text) == terms


def test_a_protected_term_is_never_the_common_word_it_lowercases_to():
    assert analyse("SIKaP") != analyse("bersikap")
    assert analyse("SiRUP") == "sirup_"
    assert "sikap_" not in analyse("bersikap sopan").split()


def test_stemming_brings_affixed_forms_together():
    assert analyse("mengunggah") == analyse("diunggah") == analyse("pengunggahan") == "unggah"
    assert analyse("penawaran") == analyse("tawaran") == "tawar"
    assert analyse("pengadaan") == "pengadaan"  # not "ada", a stop word


@pytest.mark.parametrize(
    ("informal", "formal"),
    [
        ("upload", "unggah"),
        ("password", "kata sandi"),
        ("user id", "akun"),
        ("login", "masuk"),
        ("dok", "dokumen"),
        ("error", "galat"),
    ],
)
def test_synonyms_meet_on_one_term(informal: str, formal: str):
    assert analyse(informal) == analyse(formal)


def test_fillers_and_negations_carry_no_weight():
    assert analyse("gak bisa blm udah tolong min") == ""
    assert analyse("gagalll loginnn") == "gagal masuk"


def test_typos_become_the_nearest_known_term():
    vocabulary = Vocabulary(["sandi", "unggah", "dokumen", "verifikasi", "spse_"])
    found = {
        w.surface: vocabulary.alternatives(w)
        for w in words("pasword unggha dokumn verifkasi spsee")
    }
    assert found == {
        "pasword": ["sandi"],
        "unggha": ["unggha", "unggah"],
        "dokumn": ["dokumn", "dokumen"],
        "verifkasi": ["verifkasi", "verifikasi"],
        "spsee": ["spsee", "spse_"],
    }


def test_short_or_unrelated_words_are_not_corrected():
    vocabulary = Vocabulary(["sandi", "paket"])
    assert [vocabulary.alternatives(w) for w in words("xyz cpns")] == [["xyz"], ["cpns"]]
