"""Person-name tokens: conventions, scripts, variants and name structure meet; unrelated names don't.

Bars: a name field of 1024 bits compares by Dice of its Bloom filters, which tracks the Dice of the
token sets. Same-person pairs below are required to reach 0.8 (0.9 when the variant table knows the
names) and different people to stay under 0.3: the Fellegi-Sunter bins then separate them widely.
"""

import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from pprl.agency.names import dice, name_tokens, patronymic_father

SAME = 0.8
DIFFERENT = 0.3


def d(a, b, **options):
    return dice(name_tokens(a, options), name_tokens(b, options))


def test_empty_values_have_no_tokens():
    for value in ("", "   ", "-", "...", "1234", "ibn", "al-", "M."):
        assert name_tokens(value, {}) == frozenset()


def test_token_kinds_are_tagged_and_moderate():
    tokens = name_tokens("Амина Магомедовна Магомедова", {})
    assert all(t[:2] in {"v:", "w:", "n:", "c:", "s:", "p:"} for t in tokens)
    assert 10 <= len(tokens) <= 60
    assert {"v:amina", "v:muhammad"} <= tokens


# ---- Muhammad across scripts -------------------------------------------------------------------
@pytest.mark.parametrize("other", ["Muhammad", "Mohammed", "Магомед", "Mukhammad", "Mehmet", "Məmməd"])
def test_muhammad_across_scripts_with_variants(other):
    assert d("محمد", other) == 1.0  # one variant group: identical tokens


def test_muhammad_without_variant_table():
    # only the consonant skeleton is shared with Arabic script (Arabic writes no short vowels)
    assert d("محمد", "Muhammad", variants=False) == pytest.approx(0.61, abs=0.01)
    assert d("محمد", "Mohammed", variants=False) == pytest.approx(0.61, abs=0.01)
    assert d("Muhammad", "Mukhammad", variants=False) == 1.0
    assert d("محمد", "Амина", variants=False) < 0.2


def test_unrelated_names_stay_low():
    assert d("محمد", "Fatima") < 0.1
    assert d("Магомед", "Ruslan") < 0.1
    assert d("Амина Магомедовна Магомедова", "Fatima Aliyeva") < DIFFERENT
    assert d("Иван Петров", "Amina Magomed") < 0.1
    assert d("Зарема Хасбулатова", "Zalina Hasanova") < DIFFERENT


# ---- conventions ----------------------------------------------------------------------------------
@pytest.mark.parametrize("latin", ["Yuliya Karakayeva", "Iuliia Karakaeva", "Julija Karakajewa",
                                   "Yulia Karakaeva", "Iouliia Karakaeva"])
def test_conventions_meet(latin):
    assert d("Юлия Каракаева", latin) >= 0.9
    assert d("Юлия Каракаева", latin, variants=False) >= 0.9


def test_unknown_names_across_conventions():
    assert d("Зарема Хасбулатова", "Zarema Khasbulatova") >= 0.9
    assert d("Хасбулатов", "Hasbulatov", variants=False) >= SAME
    assert d("Щукин Сергей", "Shchukin Sergei", variants=False) >= SAME


def test_kazakh_and_azerbaijani():
    assert d("Қайрат Нұрланұлы", "Kairat Nurlan uly") == 1.0
    assert d("Məmmədova Aynur", "Мамедова Айнур") >= SAME
    assert d("Ismayilov Rashid", "İsmayılov Rəşid") == 1.0


def test_chechen_palochka_forms_meet():
    assert d("ГӀалина", "Гlалина") == 1.0
    assert d("ГӀалина", "Ghalina") == 1.0


def test_arabic_unknown_names_share_the_skeleton():
    assert d("زاريما خاسبولاتوفا", "Zarema Khasbulatova") >= 0.6
    assert d("زاريما خاسبولاتوفا", "Zarema Khasbulatova", variants=False) >= 0.35


# ---- name structure -------------------------------------------------------------------------------
def test_patronymic_father():
    assert patronymic_father("Амина Магомедовна Магомедова") == "магомед"
    assert patronymic_father("Сергей Юрьевич Иванов") == "юрий"
    assert patronymic_father("Анна Николаевна") == "николай"
    assert patronymic_father("Amina Magomedovna Magomedova") == "magomed"
    assert patronymic_father("Sergey Sergeyevich") == "sergey"
    assert patronymic_father("Nurlan Askaruly") == "askar"
    assert patronymic_father("Aigul Nurlanqyzy") == "nurlan"
    assert patronymic_father("Aliyev Rashid oglu") == "rashid"
    assert patronymic_father("Aynur Rashid qızı") == "rashid"
    assert patronymic_father("Amina Aliyeva") is None


def test_patronymic_reduced_to_fathers_name():
    assert name_tokens("Магомедович", {}) == name_tokens("Магомед", {})
    assert name_tokens("Magomedovna", {}) == name_tokens("Muhammad", {})
    assert d("Сергеевич", "Sergei") == 1.0
    assert d("Askaruly", "Askar") == 1.0


def test_child_plus_fathers_given_name():
    assert d("Амина Магомедовна Магомедова", "Amina Magomed") == 1.0
    assert d("Амина Магомедовна Магомедова", "Amina Magomed", variants=False) >= SAME
    assert d("Амина Магомедовна Магомедова", "أمينة محمد") == 1.0
    assert d("Амина Магомедовна Магомедова", "Amina bint Muhammad") == 1.0


def test_gendered_surname_endings():
    assert name_tokens("Магомедова", {}) == name_tokens("Магомедов", {}) == name_tokens("Магомед", {})
    assert name_tokens("Aliyeva", {}) == name_tokens("Aliev", {}) == name_tokens("Ali", {})
    assert d("Маяковская", "Mayakovsky") >= SAME
    assert d("Пушкина", "Пушкин") == 1.0 and d("Pushkina", "Pushkin") == 1.0
    assert d("Пушкина", "Pushkin") >= 0.9
    assert d("Amina", "Amin") < 1.0  # a given name in -ina is not folded to -in


def test_order_independence():
    assert name_tokens("Aliyeva Amina", {}) == name_tokens("Amina Aliyeva", {})
    assert name_tokens("Магомедова Амина Магомедовна", {}) == name_tokens("Амина Магомедовна Магомедова", {})


@pytest.mark.parametrize("spelling", ["Abd al-Rahman", "Abdurakhman", "Abdulrahman", "Abdurrahman",
                                      "Abdul Rahman", "Абдурахман", "عبد الرحمن", "Abd-ar-Rahman"])
def test_abd_al_names_meet(spelling):
    assert d("Abd al-Rahman", spelling) == 1.0
    assert d("Abd al-Rahman", spelling, variants=False) >= (0.5 if "عبد" in spelling else 0.7)


def test_particles():
    assert d("Yusuf ibn Ibrahim", "Yusuf Ibrahim") == 1.0
    assert d("Fatima bint Ali", "Фатима Алиева") == 1.0
    assert d("Ahmad al-Hasan", "Ahmad Hasan") == 1.0
    assert d("Abu Bakr", "Абубакар") == 1.0
    assert d("يوسف بن إبراهيم", "Юсуп Ибрагимов") == 1.0


def test_structure_off_keeps_words_literal():
    assert d("Магомедова", "Магомед", structure=False) < 1.0
    assert "v:muhammad" not in name_tokens("Magomedova", {"structure": False})


def test_options_change_tokens():
    base = name_tokens("Хадижат", {})
    assert name_tokens("Хадижат", {"phonetic": False}) < base
    assert name_tokens("Хадижат", {"ngram": 3}) != base
    assert name_tokens("Хадижат", {"tables": ["arabic"]}) == frozenset()
    with pytest.raises(ValueError):
        name_tokens("x", {"tables": ["nope"]})
    with pytest.raises(ValueError):
        name_tokens("x", {"ngram": 7})


# ---- determinism ----------------------------------------------------------------------------------
SAMPLES = ["Амина Магомедовна Магомедова", "محمد بن عبد الرحمن", "Yuliya Karakayeva", "Nurlan Askaruly",
           "ГӀалина Хасбулатова", "Məmmədov Rəşid oğlu"]


def test_same_tokens_in_another_process():
    code = ("import json,sys; from pprl.agency.names import name_tokens; "
            f"print(json.dumps([sorted(name_tokens(v, {{}})) for v in {SAMPLES!r}]))")
    env_runs = []
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={"PYTHONHASHSEED": seed, "PATH": ""})
        env_runs.append(out.stdout)
    assert env_runs[0] == env_runs[1]
    import json
    assert json.loads(env_runs[0]) == [sorted(name_tokens(v, {})) for v in SAMPLES]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("абвгдежзийклмнопрстуфхцчшщыьэюяӏәқaeiouybdhkmnrsz محمدأ-'"))),
       st.sampled_from([{}, {"variants": False}, {"ngram": 3, "phonetic": False}, {"structure": False}]))
def test_name_tokens_deterministic_and_normalisation_invariant(value, options):
    tokens = name_tokens(value, options)
    assert tokens == name_tokens(value, options)
    from pprl.agency.normalise import normalise_text
    assert tokens == name_tokens(normalise_text(value), options)
    assert tokens == name_tokens(value.upper(), options) or value.upper().lower() != value


# ---- Arabic-script structure, skeleton classes, compounds ------------------------------------------
def test_arabic_script_gendered_surnames_fold():
    assert name_tokens("فاخيدوفا", {}) == name_tokens("فاخيدوف", {}) == name_tokens("فاخيد", {})
    assert name_tokens("حاجييفا", {}) == name_tokens("حاجي", {})
    assert d("خافا فاخيدوفا", "Хава Вахидова", variants=False) >= 0.5  # was 0.11
    assert d("زاريما خاسبولاتوفا", "Zarema Khasbulatova", variants=False) >= 0.85  # was 0.47
    assert name_tokens("شريف", {}) != name_tokens("شر", {})  # Sharif: -if of an Arabic name stays


def test_arabic_alef_lam_read_with_and_without_the_article():
    assert d("إلياس", "Ильяс") == 1.0  # Ilyas: alef-lam is the name's own letters
    assert d("الجزراوي", "Джазрави", variants=False) >= 0.25  # al-Jazrawi: the article (was 0.15)


def test_arabic_ta_marbuta_meets_caucasian_at():
    assert d("شمسية", "Шамсият", variants=False) >= 0.45  # was 0.23


@pytest.mark.parametrize("one, two", [("Мухаммадали", "Muhammad Ali"), ("Салахуддин", "Salah al-Din"),
                                      ("Нурмагомед", "نور محمد"), ("Магомедрасул", "Magomed Rasul"),
                                      ("Муртазали", "Murtaza Ali"), ("Асадулла", "Asad Allah")])
def test_compound_names_meet_their_two_words(one, two):
    assert d(one, two) >= 0.9


def test_no_compound_split_of_ordinary_names():
    assert d("Jamila", "Jam Allah") < 0.8
    assert d("Muradin", "Murad Din") < 0.8


# ---- GOST / scientific x, Arabic readings, one-letter slips ------------------------------------------
def test_x_of_a_cyrillic_romanisation_is_kh():
    # GOST 7.79 B and the scientific system write х as x: Ваха is Vakha / Vacha, never "Vaksa"
    tokens = name_tokens("Ваха", {})
    assert not any("ks" in t for t in tokens)
    assert d("Ваха", "Vakha") >= 0.7 and d("Захра", "Zahra") >= 0.7


@pytest.mark.parametrize("arabic, latin", [
    ("ماغوميد", "Magomed"),        # Russian Магомед as Arabic script writes it: g as غ, o as و, e as ي
    ("باتيمات", "Patimat"),        # p as ب
    ("خاجار", "Hajar"),            # j as ج, every vowel written
    ("جوسيين", "Huseyn"),          # Гусейн: g as ج
    ("لويزا", "Luiza"),
])
def test_arabic_spellings_of_known_names_read_as_the_name(arabic, latin):
    assert d(arabic, latin) == 1.0


def test_arabic_reading_needs_the_written_long_vowels():
    # the consonants s-m-n alone would be Usman; the written ya and alef say Yasmin
    assert "v:usman" not in name_tokens("ياسمين", {})
    # a reading that fits two names decides nothing (عمر: Umar or Amir): the spelling table does
    from pprl.agency.names import _arabic_group
    assert _arabic_group("عمر") is None
    assert "v:umar" in name_tokens("عمر", {})


def test_arabic_surname_of_a_name_that_reads_as_another_name_is_folded():
    # عمروف reads as Maruf, but it is Omarov: Umar + -ov
    assert d("Омаров", "عمروف") == 1.0
    assert d("Магомедов", "ماغوميدوف") == 1.0
    assert d("Марина", "مارينا") == 1.0  # a known given name in -ина stays whole


@pytest.mark.parametrize("slip, name", [
    ("Muhemmad", "Магомед"),   # a letter changed
    ("FATMIA", "Фатима"),      # two letters swapped
    ("Stbina", "Сабина"),      # a letter changed, and not folded as an -ina surname
    ("Ибрагмиов", "Ibragimov"),  # a slip inside an -ov surname
])
def test_one_letter_slip_of_a_known_name_comes_near_it(slip, name):
    assert d(slip, name) >= 0.75
    assert d(slip, name) < 1.0  # nearer, not the same


def test_slips_do_not_merge_names():
    # short names are too close to each other to guess; a slip two names are near decides nothing
    assert "v:ali" not in name_tokens("Ail", {}) or d("Ail", "Ali") < 1.0
    assert "v:madina" not in name_tokens("Mavina", {}) and "v:marina" not in name_tokens("Mavina", {})
    # an -in surname stem is no slip of a given name (Залина: not Salim)
    assert "v:salim" not in name_tokens("Залина", {})
    assert d("Zarina", "Madina") < DIFFERENT


def test_a_slip_must_be_one_from_every_romanisation():
    # Ваха's German rendering "vacha" is one letter from French "Sacha" (Alexander); "vakha" is not
    assert "v:alexander" not in name_tokens("Ваха", {})


def test_umm_and_the_name_are_one_part():
    # the kunya Umm ("mother of") + name, like Abu + name: written as one word or two
    for other in ("أم كلثوم", "Umm Kulthum", "UMM KULSUM", "Умукусум"):
        assert d("Умм Кульсум", other) == 1.0


@pytest.mark.parametrize("cyrillic, others", [
    ("Усама", ["Osama", "Oussama", "أسامة"]),
    ("Нусайба", ["Nusaybah", "نسيبة"]),
    ("Ясмин", ["Yasmine", "Jasmin", "ياسمين"]),
    ("Хабиб", ["Khabib", "حبيب"]),
    ("Курбан", ["Qurban", "قربان"]),
    ("Оиша", ["Aisha", "عائشة"]),           # Uzbek form of Aisha
    ("Мохьмад", ["Muhammad", "محمد"]),      # Chechen form of Muhammad
    ("Нодира", ["Nadira", "نادرة"]),
])
def test_regional_names_in_the_variant_table(cyrillic, others):
    for other in others:
        assert d(cyrillic, other) == 1.0


@pytest.mark.parametrize("arabic, latin", [
    ("كيريلل", "Kirill"),     # a doubled letter is read once
    ("إيكاتيرينا", "Ekaterina"),  # initial alef + ya is one vowel
    ("إيفان", "Ivan"),
    ("أولغا", "Olga"),        # initial alef + waw is one vowel
    ("روسلان", "Ruslan"),     # not Ruslana: a final vowel would be written
    ("شاميل", "Shamil"),      # not Jamila
    ("اندريي", "Andrey"),     # a doubled ya is two sounds (-ey), not one (not Indira)
    ("سيرغيي", "Sergey"),
])
def test_arabic_readings_of_russian_names(arabic, latin):
    assert d(arabic, latin) == 1.0


def test_an_arabic_spelling_that_reads_as_two_names_joins_neither():
    # إيلينا is Elena or Elina (ya writes e and i alike): no group, but near both
    from pprl.agency.names import _arabic_group
    assert _arabic_group("ايلينا") is None
    assert d("إيلينا", "Elena") >= 0.5 and d("إيلينا", "Elina") >= 0.5


def test_plene_arabic_spelling_keeps_all_ngrams():
    # Гайрбеков as Arabic script writes a Russian name, a vowel letter between most consonants: its
    # reading is the whole name, consonant clusters and ends included
    from pprl.agency.names import name_tokens as nt
    assert {"n:rb", "n:^g"} <= nt("غايربيكوف", {})
    assert d("Гайрбеков", "غايربيكوف") >= 0.75
    # a defective spelling (no short vowels) keeps only n-grams with a written vowel
    assert not any(t.startswith("n:") and not set(t[2:]) & set("aiu") for t in nt("خلدن", {"variants": False}))
