"""Tests of pprl.token_rules: the options, tables and digests that decide tokens."""

from pprl.token_rules import available_tables, name_option_defaults, names_digest, translit_digest

NAME_OPTION_DEFAULTS = name_option_defaults()


def test_name_option_defaults():
    assert set(NAME_OPTION_DEFAULTS) == {"tables", "variants", "ngram", "phonetic", "structure"}
    assert NAME_OPTION_DEFAULTS["ngram"] == 2 and NAME_OPTION_DEFAULTS["variants"] is True
    assert "icao_9303" in NAME_OPTION_DEFAULTS["tables"] and "arabic" in NAME_OPTION_DEFAULTS["tables"]


def test_names_digest():
    a = names_digest({})
    assert len(a) == 64 and a == names_digest(dict(NAME_OPTION_DEFAULTS))
    assert a != names_digest({"variants": False})
    assert a != names_digest({"ngram": 3})
    assert names_digest({"tables": ["icao_9303"], "variants": False}) != names_digest(
        {"tables": ["bgn_pcgn"], "variants": False})


def test_available_tables():
    assert available_tables() == sorted(available_tables())
    assert {"icao_9303", "bgn_pcgn", "gost_7_79_b", "iso_9", "scientific", "german_duden", "french",
            "english_informal", "ukrainian_national", "kazakh_latin_2021", "arabic"} == set(available_tables())
    assert "cyrillic_extra" not in available_tables()  # a base table only


def test_translit_digest():
    d1 = translit_digest(["icao_9303"])
    assert len(d1) == 64 and d1 == translit_digest(["icao_9303"])
    assert d1 != translit_digest(["bgn_pcgn"])
    assert translit_digest(["icao_9303", "bgn_pcgn"]) == translit_digest(["bgn_pcgn", "icao_9303"])
