"""Transliteration tables: each convention on known examples; Arabic letter normalisation; digests."""

import json
from importlib import resources

import pytest

from pprl.agency import translit
from pprl.agency.translit import arabic_normalise, romanisations, transliterate
from pprl.token_rules import available_tables, translit_digest

CYRILLIC_TABLES = [t for t in available_tables() if t != "arabic"]


@pytest.mark.parametrize("table, expected", [
    ("icao_9303", "iuliia"), ("bgn_pcgn", "yuliya"), ("scientific", "julija"), ("french", "iouliia"),
    ("german_duden", "julija"), ("gost_7_79_b", "yuliya"), ("iso_9", "ûliâ"), ("english_informal", "yulia"),
])
def test_yuliya(table, expected):
    assert transliterate("Юлия", table) == expected


@pytest.mark.parametrize("table, expected", [
    ("icao_9303", "karakaeva"), ("bgn_pcgn", "karakayeva"), ("german_duden", "karakajewa"),
])
def test_karakaeva(table, expected):
    assert transliterate("Каракаева", table) == expected


def test_shchukin():
    assert transliterate("Щукин", "icao_9303") == "shchukin"
    assert transliterate("Щукин", "gost_7_79_b") == "shhukin"
    assert transliterate("Щукин", "iso_9") == "ŝukin"
    assert transliterate("Щукин", "german_duden") == "schtschukin"
    assert transliterate("Щукин", "french") == "chtchoukin"


def test_context_rules():
    assert transliterate("Елена Сергеевна", "bgn_pcgn") == "yelena sergeyevna"
    assert transliterate("Елена", "icao_9303") == "elena"
    assert transliterate("Цыганов Цапко", "gost_7_79_b") == "cy`ganov czapko"
    assert transliterate("Дмитрий Сергей", "english_informal") == "dmitry sergey"
    assert transliterate("Сергей", "german_duden") == "sergej"
    assert transliterate("Олександр Гнатюк", "ukrainian_national") == "oleksandr hnatiuk"
    assert transliterate("Юрій", "ukrainian_national") == "yurii"


def test_chechen_palochka():
    assert transliterate("ГӀалина", "icao_9303") == "ghalina"
    # palochka typed as Latin I, l or 1 inside a Cyrillic word
    for typed in ("ГIалина", "Гlалина", "Г1алина"):
        assert transliterate(typed, "icao_9303") == "ghalina"
    assert transliterate("КӀант", "icao_9303") == "kant"


def test_kazakh_letters():
    text = "Әлия Ғани Қасым Ң Өмір Ұлан Үміт Һ Ірина"
    assert transliterate(text, "kazakh_latin_2021") == "äliia ğani qasym ñ ömır ūlan ümıt h ırina"
    assert transliterate(text, "icao_9303") == "aliia ghani kasym ng omir ulan umit h irina"
    assert romanisations("Қайрат", ["kazakh_latin_2021"]) == ["qairat"]


def test_azerbaijani_latin_passes_through_folded():
    assert romanisations("Məmmədov Şükür Çingiz oğlu İsmayıl ı", CYRILLIC_TABLES) == [
        "mammadov shukur chingiz oglu ismayil i"]
    assert romanisations("Xədicə Ağayeva", available_tables()) == ["xadica agayeva"]


def test_romanisations_distinct_in_table_order():
    got = romanisations("Юлия", ["icao_9303", "bgn_pcgn", "gost_7_79_b", "scientific", "iso_9"])
    assert got == ["iuliia", "yuliya", "julija", "ulia"]
    assert romanisations("", CYRILLIC_TABLES) == []
    assert romanisations("Юлия", ["arabic"]) == []  # no table of the text's script


def test_homoglyphs_in_cyrillic_words():
    # Latin a, o, e typed inside a Cyrillic word
    assert transliterate("Мaгoмeд", "icao_9303") == "magomed"


def test_arabic_normalisation():
    assert arabic_normalise("أحمد") == "احمد"
    assert arabic_normalise("إبراهيم") == "ابراهيم"
    assert arabic_normalise("مُصْطَفَى") == "مصطفي"  # harakat removed, alef maqsura -> ya
    assert arabic_normalise("فاطمة") == "فاطمة"  # ta marbuta kept as a letter
    assert arabic_normalise("پرویز") == "پرويز"  # Persian ye -> Arabic ya
    assert arabic_normalise("کریم") == "كريم"  # Persian kaf
    assert arabic_normalise("محـــمد") == "محمد"  # tatweel


def test_arabic_romanisation_is_a_skeleton():
    assert transliterate("محمد", "arabic") == "mhmd"
    assert transliterate("يوسف", "arabic") == "yusf"
    assert transliterate("فاطمة", "arabic") == "fatma"
    assert transliterate("عبد الرحمن", "arabic") == "bd al-rhmn"
    assert romanisations("مُحَمَّد", available_tables()) == ["mhmd"]


def test_unknown_table_rejected():
    with pytest.raises(ValueError):
        romanisations("x", ["klingon"])
    with pytest.raises(ValueError):
        translit_digest(["../schemas/x"])


def test_tables_are_valid_data():
    folder = resources.files("pprl").joinpath("data/translit")
    for path in folder.iterdir():
        table = json.loads(path.read_text(encoding="utf-8"))
        assert table["name"] + ".json" == path.name
        assert table["script"] in ("Cyrl", "Arab")
        for key in table.get("map", {}):
            assert key == translit.normalise_text(key) or key in "ъьё", key
