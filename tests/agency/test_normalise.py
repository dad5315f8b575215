"""normalise_text: Unicode, case, diacritics, apostrophes/dashes, punctuation, whitespace."""

from hypothesis import given, settings, strategies as st

from pprl.agency import normalise
from pprl.agency.normalise import normalise_text


def test_case_folding_and_whitespace():
    assert normalise_text("  ИВАНОВ   Иван \t") == "иванов иван"
    assert normalise_text("MÜLLER") == "muller"


def test_latin_diacritics_are_stripped():
    assert normalise_text("José Ñúñez Ærø") == "jose nunez aero"
    assert normalise_text("Straße") == "strasse"


def test_caron_and_cedilla_letters_become_digraphs():
    assert normalise_text("Žanna Ščukin") == "zhanna shchukin"
    assert normalise_text("Şükür Çingiz") == "shukur chingiz"


def test_azerbaijani_and_turkish_letters():
    assert normalise_text("Məmmədov İsmayıl oğlu") == "mammadov ismayil oglu"
    assert normalise_text("IŞIK") == "ishik"


def test_cyrillic_letters_are_kept_and_yo_is_folded():
    assert normalise_text("Семён Йошкин") == "семен йошкин"
    assert normalise_text("Ї Ў й") == "ї ў й"
    assert normalise_text("Ива́н") == "иван"  # stress accent dropped
    assert normalise_text("Әлия Қасым") == "әлия қасым"


def test_chechen_palochka_is_kept():
    assert normalise_text("ГӀАЛИНА") == "гӏалина"


def test_arabic_harakat_and_tatweel_removed_letters_kept():
    assert normalise_text("مُحَمَّد") == "محمد"
    assert normalise_text("محـــمد") == "محمد"
    assert normalise_text("أحمد") == "أحمد"
    assert normalise_text("ﻣﺤﻤﺪ") == "محمد"  # presentation forms (NFKC)


def test_apostrophes_removed_dashes_unified():
    assert normalise_text("Natal’ya O'Brien") == "natalya obrien"
    assert normalise_text("Abd al–Rahman") == "abd al-rahman"
    assert normalise_text("a - b --c-- d") == "a b c d"
    assert normalise_text("Jean—Pierre") == "jean-pierre"


def test_punctuation_becomes_space():
    assert normalise_text("Ivanov, Ivan (Jr.)") == "ivanov ivan jr"
    assert normalise_text("...") == ""


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_idempotent(s):
    once = normalise_text(s)
    assert normalise_text(once) == once


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("абвгдеёжзийӏәғқңөұүһіМАГОМЕДaAeEıİəƏşŞçÇğĞ'’- .,محمدأإآةىـَُِّ"))))
def test_idempotent_on_name_alphabets(s):
    once = normalise_text(s)
    assert normalise_text(once) == once


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_fast_path_agrees_with_the_unicode_steps(s):
    for piece in s.split(" "):
        assert normalise._ascii_piece(piece) == normalise._unicode_piece(piece)


def test_ascii_fast_path_on_every_ascii_character():
    for code in range(128):
        text = f"a{chr(code)}b{chr(code)}"
        assert normalise._ascii_piece(text) == normalise._unicode_piece(text), code
