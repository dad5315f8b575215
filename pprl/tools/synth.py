"""Seeded synthetic multi-agency exports with ground truth, for the missing-children case.

A population of ``n_people`` children (grouped into families: siblings share surname, parents and
patronymic but differ in given name and birth date; a few are twins) is listed by up to three
agencies:

* ``a`` - Russian families / commissioners / consulates, Cyrillic, structured:
  ``record_id, surname, given_name, patronymic, birth_date (DD.MM.YYYY), sex (М/Ж),
  mother_name, father_name`` (parents as "Surname Given Patronymic" or shorter forms).
* ``b`` - camps, orphanages, foreign authorities: ``record_id, full_name, birth_date, sex,
  mother_name, father_name``. ``full_name`` is free text in one of several romanisation systems
  (ICAO 9303, BGN/PCGN, ISO 9 = GOST 7.79 A, French-style, German Duden-style, informal English)
  with clerk inconsistencies, or in Arabic script; many name orders ("Given Surname", "SURNAME
  Given", "Surname, Given", with patronymic, "Given Father" instead of a surname, nasab
  "Amina bint Magomed", "Given Father Surname"), ALL CAPS, typos. Dates may be ISO, DD.MM.YYYY,
  DD/MM/YYYY, partial ("2013", "01/2013"), estimated ("~2013", "ca. 2013"), day/month swapped,
  one year off, or missing. ``sex`` is M/F (sometimes male/female). Parents' names are given
  names (sometimes with surname), romanised like the child's, often missing.
* ``c`` (``agencies=3``) - a hotline's sparse notes: ``record_id, name, birth_year, father_name,
  note_sex`` (Cyrillic or informal Latin; birth_year like "2013" / "~2013"; note_sex
  M/F/boy/girl or empty).

Membership: ``overlap`` is the share of all records of ``a`` and ``b`` that have a true partner on
the other side (default ``DEFAULT_OVERLAP`` = 0.4: real inquiry lists and registers overlap little);
``round(overlap * n / (2 - overlap))`` people are in both, the rest are split between ``a`` only and
``b`` only (siblings tend to be listed together). 0.75 (``LEGACY_OVERLAP``) is version 1's 60 % of
the people in both lists. The hotline knows about 30% of all people. Record IDs are pseudonymous (``A000123``), rows are shuffled. ``truth[("a", "b")]`` has
columns ``id_a, id_b`` (likewise ``id_a, id_c`` and ``id_b, id_c``): one true pair per row.

The romanisation here is this module's own (tables in ``pprl/data/synth/romanisation.csv``),
deliberately independent of :mod:`pprl.agency.translit`, so that benchmarks are not circular. Names come
from ``pprl/data/synth/given_names.csv`` and ``surnames.csv`` (Cyrillic, Arabic-script form and
conventional Latin spellings where meaningful); gendered surnames and patronymics follow the
Russian rules (-ов/-ова, -ский/-ская, -ович/-евич/-овна/-евна, Илья -> Ильич, Юрий -> Юрьевич).
Half the families (``TAIL_SHARE``) carry one of those common surnames, the others one of about
2,000 rarer ones formed as real ones are (:func:`derived_surname`): an ancestor's given name or a
word, sometimes after a compounding first name, with the origin's endings
(``surname_stems.csv``: Гаджимагомедов, Евлоев, Ильин, Гасанзаде, Аль-Рашид).

Difficulty knobs (``DIFFICULTIES[name]`` is a :class:`Difficulty`; probabilities per record or per
name part):

=====================  ============================================  ====  ======  ====  =======
knob                   meaning                                       easy  medium  hard  extreme
=====================  ============================================  ====  ======  ====  =======
sibling_share          share of children with a sibling in the data  .30   .50     .70   .85
twin_rate              share of sibling births that are twins        0     .02     .04   .06
system_weights         ICAO/BGN/ISO9/French/German/English mix       ICAO-heavy -> uniform
arabic_share           b records written in Arabic script            0     .10     .25   .40
clerk_noise            name part romanised inconsistently            .05   .20     .40   .60
informal_spelling      use conventional spelling (Muhammad, Aisha)   .10   .30     .50   .60
typo_b                 typo per name part on the foreign side        .02   .06     .12   .20
typo_a                 typo per name part on the Russian side        .005  .02     .04   .06
caps_share             b names in ALL CAPS                           .20   .40     .50   .60
father_as_surname      "Given FatherGiven" instead of surname         .05   .15     .25   .30
nasab                  "Given bint/ibn Father"                        0     .08     .15   .20
given_only             only the given name is known                   0     .03     .07   .12
date_missing           b birth date missing                           .02   .08     .15   .25
date_partial           b date only year or month/year                 .05   .15     .25   .30
date_estimated         b date "~2013"/"ca. 2013" (year +-2 noise)     .02   .10     .20   .30
date_swap              b day and month swapped                        .01   .05     .10   .15
year_off               b year one off                                 .01   .05     .10   .15
b_missing_sex          b sex missing                                  .02   .05     .10   .20
b_missing_mother       b mother's name missing                        .20   .40     .60   .75
b_missing_father       b father's name missing                        .20   .35     .50   .65
a_missing_patronymic   a patronymic missing                           .02   .05     .10   .15
a_missing_mother/father  a parent's name missing                      .05   .10     .20   .30
a_missing_date         a birth date missing                           0     .01     .03   .06
cyr_variant            a writes a variant (Магомет, Алена)            .02   .08     .15   .20
sex_error              sex recorded wrongly on b                      0     .01     .02   .03
c_sparsity             how much of each hotline field is empty        .20   .35     .50   .65
=====================  ============================================  ====  ======  ====  =======

Version 2 (the default; ``version=1`` leaves them out, and with ``overlap=LEGACY_OVERLAP`` makes
exactly the data of pprl 0.2.0) adds the failure classes seen on real data (issue #17), each a knob
per level and each on its own random stream, so that a knob changes only what it touches:

=================  ==================================================  ====  ======  ====  =======
knob               meaning                                             easy  medium  hard  extreme
=================  ==================================================  ====  ======  ====  =======
other_origin       families with names of another origin (English,      .05   .10     .15   .20
                   German, Polish, Japanese, Georgian, Armenian,
                   Chinese) as Russian writes them (Уильям, Судзуки);
                   b spells 80 % of their parts as the originals do
                   (William, Suzuki: real spellings from the lexicon)
lexicon_spelling   b name part in a real Latin spelling of its          .10   .20     .30   .40
                   Cyrillic token (Wikidata, drawn by count)
arabic_spelling    b part of an Arabic name read off its Arabic form    .10   .20     .30   .40
                   (real spellings: Ramadan/Ramazan/Romdhane, ض as d/z)
compound_split     compound names in other words: Abd al-Rahman,        .30   .50     .60   .70
                   Abdul Rahman for Абдурахман; عبدالرحمن in one word
arabic_defective   Arabic-script part written defectively (bare         0     .05     .10   .15
                   alif, ه for ة, a long vowel left out: حسين -> حسن)
ukrainian          b record from Ukrainian documents: Ukrainian forms   .03   .05     .08   .10
                   (Сергей -> Serhii, Mykola), KMU romanisation (г h,
                   и y, -yi, -ii), patronymic -ovych/-ivna
b_patronymic       conventional b names with the patronymic (a has it)  .15   .10     .07   .05
                   (version 1: .20)
caps_surname       b "SURNAME Given": the surname alone in capitals     .10   .15     .20   .25
glued              two neighbouring b name parts run together           .01   .03     .06   .10
                   (IvanAleksandrovich, IVANOVIVAN)
age_estimate       b birth date an estimated age in 2019                0     .03     .06   .10
                   (``AGE_REFERENCE_YEAR``): "7 years", "age 7",
                   "7 лет", "٧ سنوات"; true age +-1
hijri              b date in the Hijri calendar (tabular,              0     .04     .08   .12
                   :mod:`pprl.tools.hijri`): 1434/06/08, 08/06/1434,
                   8 Jumada al-Akhirah 1434, 1434 هـ, year alone 1434
=================  ==================================================  ====  ======  ====  =======

"Child + father's given name" is ``father_as_surname`` and ``nasab`` above. The real names and
spellings are in ``other_origins.csv`` and ``lexicon_spellings.csv``, derived by
``scripts/derive_synth_lexicon.py`` from the Wikidata transliteration lexicon of Merhav & Ash (CC0,
the 80 % split only); Ukrainian given-name forms in ``ukrainian_forms.csv``, Hijri month names in
``hijri_months.csv``, the Ukrainian romanisation in ``romanisation.csv`` (system ``ukrainian``).

Performance: everything per person is numpy; strings are rendered once per distinct
(name, system, variant) and shared, so 1,000,000 people take well under a minute.
"""

from __future__ import annotations

import csv
import functools
import random
import re
import unicodedata
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from pprl.atomic import output_group, write_csv
from pprl.tools import hijri

__all__ = ["Difficulty", "DIFFICULTIES", "SynthData", "generate", "write", "romanise",
           "patronymic", "gendered_surname", "A_COLUMNS", "B_COLUMNS", "C_COLUMNS"]

DATA_DIR = Path(__file__).parents[1] / "data" / "synth"

A_COLUMNS = ["record_id", "surname", "given_name", "patronymic", "birth_date", "sex",
             "mother_name", "father_name"]
B_COLUMNS = ["record_id", "full_name", "birth_date", "sex", "mother_name", "father_name"]
C_COLUMNS = ["record_id", "name", "birth_year", "father_name", "note_sex"]

LATIN_SYSTEMS = ("icao", "bgn", "iso9", "french", "german", "english")
SYSTEMS = LATIN_SYSTEMS + ("arabic",)
ARABIC = len(LATIN_SYSTEMS)            # index of the Arabic-script "system"
CYRILLIC = ARABIC + 1                  # pseudo-system: keep the Cyrillic original
NSYS = CYRILLIC + 1
NVAR = 4                               # variant 0 = clean, 1..3 = clerk-noisy renderings

ORIGINS = ("chechen", "avar", "ingush", "kabardian", "russian", "central_asian", "azerbaijani",
           "arabic")
ORIGIN_WEIGHTS = np.array([0.30, 0.25, 0.08, 0.07, 0.08, 0.08, 0.07, 0.07])
ARABIC_ORIGIN = ORIGINS.index("arabic")

C_SHARE = 0.3
# Share of families whose surname is not one of the common ones in surnames.csv but one of the
# ~2,000 derived from surname_stems.csv: with the common ones alone, a population of a million
# would share 170 surnames, and namesakes would multiply far beyond what real registers show.
TAIL_SHARE = 0.5
DATE_LO = np.datetime64("2000-01-01")
DATE_HI = np.datetime64("2018-06-30")


@dataclass(frozen=True)
class Difficulty:
    """One named bundle of generator knobs (see the module docstring)."""

    sibling_share: float
    twin_rate: float
    system_weights: tuple[float, ...]   # over LATIN_SYSTEMS
    arabic_share: float
    clerk_noise: float
    informal_spelling: float
    typo_b: float
    typo_a: float
    caps_share: float
    father_as_surname: float
    nasab: float
    given_only: float
    date_missing: float
    date_partial: float
    date_estimated: float
    date_swap: float
    year_off: float
    b_missing_sex: float
    b_missing_mother: float
    b_missing_father: float
    a_missing_patronymic: float
    a_missing_mother: float
    a_missing_father: float
    a_missing_date: float
    cyr_variant: float
    sex_error: float
    c_sparsity: float
    # the failure classes of real data (issue #17); CLASSIC_KNOBS gives their version-1 values
    other_origin: float = 0.0
    lexicon_spelling: float = 0.0
    ukrainian: float = 0.0
    b_patronymic: float = 0.2
    caps_surname: float = 0.0
    glued: float = 0.0
    arabic_spelling: float = 0.0
    compound_split: float = 0.0
    arabic_defective: float = 0.0
    age_estimate: float = 0.0
    hijri: float = 0.0

    def classic(self) -> "Difficulty":
        """The same level without the failure classes of real data: the generator's version 1."""
        return replace(self, **CLASSIC_KNOBS)


#: The knobs of version 2 and their values in version 1, where the classes did not exist (and the
#: patronymic was in 20 % of the conventional foreign name forms).
CLASSIC_KNOBS = {"other_origin": 0.0, "lexicon_spelling": 0.0, "ukrainian": 0.0, "b_patronymic": 0.2,
                 "caps_surname": 0.0, "glued": 0.0, "arabic_spelling": 0.0, "compound_split": 0.0,
                 "arabic_defective": 0.0, "age_estimate": 0.0, "hijri": 0.0}
#: per level: other_origin, lexicon_spelling, ukrainian, b_patronymic, caps_surname, glued,
#: arabic_spelling, compound_split, arabic_defective, age_estimate, hijri
_REAL_DATA_LEVELS = {
    "easy": (0.05, 0.10, 0.03, 0.15, 0.10, 0.01, 0.10, 0.30, 0.00, 0.00, 0.00),
    "medium": (0.10, 0.20, 0.05, 0.10, 0.15, 0.03, 0.20, 0.50, 0.05, 0.03, 0.04),
    "hard": (0.15, 0.30, 0.08, 0.07, 0.20, 0.06, 0.30, 0.60, 0.10, 0.06, 0.08),
    "extreme": (0.20, 0.40, 0.10, 0.05, 0.25, 0.10, 0.40, 0.70, 0.15, 0.10, 0.12),
}


_CLASSIC_LEVELS: dict[str, Difficulty] = {
    "easy": Difficulty(
        sibling_share=0.30, twin_rate=0.0, system_weights=(0.5, 0.1, 0.05, 0.05, 0.05, 0.25),
        arabic_share=0.0, clerk_noise=0.05, informal_spelling=0.10, typo_b=0.02, typo_a=0.005,
        caps_share=0.20, father_as_surname=0.05, nasab=0.0, given_only=0.0,
        date_missing=0.02, date_partial=0.05, date_estimated=0.02, date_swap=0.01, year_off=0.01,
        b_missing_sex=0.02, b_missing_mother=0.20, b_missing_father=0.20,
        a_missing_patronymic=0.02, a_missing_mother=0.05, a_missing_father=0.05,
        a_missing_date=0.0, cyr_variant=0.02, sex_error=0.0, c_sparsity=0.20),
    "medium": Difficulty(
        sibling_share=0.50, twin_rate=0.02, system_weights=(0.3, 0.15, 0.1, 0.1, 0.1, 0.25),
        arabic_share=0.10, clerk_noise=0.20, informal_spelling=0.30, typo_b=0.06, typo_a=0.02,
        caps_share=0.40, father_as_surname=0.15, nasab=0.08, given_only=0.03,
        date_missing=0.08, date_partial=0.15, date_estimated=0.10, date_swap=0.05, year_off=0.05,
        b_missing_sex=0.05, b_missing_mother=0.40, b_missing_father=0.35,
        a_missing_patronymic=0.05, a_missing_mother=0.10, a_missing_father=0.10,
        a_missing_date=0.01, cyr_variant=0.08, sex_error=0.01, c_sparsity=0.35),
    "hard": Difficulty(
        sibling_share=0.70, twin_rate=0.04, system_weights=(0.2, 0.15, 0.15, 0.15, 0.15, 0.2),
        arabic_share=0.25, clerk_noise=0.40, informal_spelling=0.50, typo_b=0.12, typo_a=0.04,
        caps_share=0.50, father_as_surname=0.25, nasab=0.15, given_only=0.07,
        date_missing=0.15, date_partial=0.25, date_estimated=0.20, date_swap=0.10, year_off=0.10,
        b_missing_sex=0.10, b_missing_mother=0.60, b_missing_father=0.50,
        a_missing_patronymic=0.10, a_missing_mother=0.20, a_missing_father=0.20,
        a_missing_date=0.03, cyr_variant=0.15, sex_error=0.02, c_sparsity=0.50),
    "extreme": Difficulty(
        sibling_share=0.85, twin_rate=0.06, system_weights=(1 / 6,) * 6,
        arabic_share=0.40, clerk_noise=0.60, informal_spelling=0.60, typo_b=0.20, typo_a=0.06,
        caps_share=0.60, father_as_surname=0.30, nasab=0.20, given_only=0.12,
        date_missing=0.25, date_partial=0.30, date_estimated=0.30, date_swap=0.15, year_off=0.15,
        b_missing_sex=0.20, b_missing_mother=0.75, b_missing_father=0.65,
        a_missing_patronymic=0.15, a_missing_mother=0.30, a_missing_father=0.30,
        a_missing_date=0.06, cyr_variant=0.20, sex_error=0.03, c_sparsity=0.65),
}
DIFFICULTIES: dict[str, Difficulty] = {
    name: replace(level, **dict(zip(CLASSIC_KNOBS, _REAL_DATA_LEVELS[name])))
    for name, level in _CLASSIC_LEVELS.items()}


@dataclass
class SynthData:
    """Generated exports (``"a"``, ``"b"``, maybe ``"c"``) and true pairs per agency pair."""

    exports: dict[str, pd.DataFrame]
    truth: dict[tuple[str, str], pd.DataFrame]
    params: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- name rules

_VOWELS = set("аеёиоуыэюя")
_HISSING = set("жшчщц")


def _unhyphenated(name: str) -> str:
    """A compound name as one word, as patronymics and surnames write it (Саид-Магомед ->
    Саидмагомед)."""
    head, *rest = name.split("-")
    return head + "".join(r.lower() for r in rest)


def patronymic(father_given: str, female: bool) -> str:
    """Russian patronymic from a father's given name (Магомед -> Магомедович / Магомедовна)."""
    name = _unhyphenated(father_given)   # Саид-Магомед -> Саидмагомедович
    low = name.lower()
    if low in ("илья",):
        return name[:-1] + ("инична" if female else "ич")
    if low in ("никита", "фома", "лука", "кузьма"):
        return name[:-1] + ("ична" if female else "ич")
    if low.endswith("ий") and len(low) > 3 and low[-3] not in _VOWELS:
        # Юрий -> Юрьевич; Дмитрий, Евгений, Анатолий keep -иевич
        stem = name[:-2] + ("ь" if low[-3] in "рлн" and low not in ("дмитрий",) else "и")
        if low in ("евгений", "анатолий", "василий", "геннадий", "арсений"):
            stem = name[:-2] + "ь"
        return stem + ("евна" if female else "евич")
    if low[-1] in "йь":
        return name[:-1] + ("евна" if female else "евич")
    if low[-1] in "ая":
        # Муса -> Мусаевич, Ваха -> Вахаевич, Абдулла -> Абдуллаевич
        return name + ("евна" if female else "евич")
    if low[-1] in _VOWELS:
        # Али -> Алиевич, Апти -> Аптиевич, Лечи -> Лечиевич
        return name + ("евна" if female else "евич")
    if low[-1] in _HISSING:
        return name + ("евна" if female else "евич")
    return name + ("овна" if female else "ович")


def derived_surname(stem: str, suffix: str, prefix: str = "") -> str:
    """A surname formed from an ancestor's name or a word, the way most Russian and Caucasian
    surnames are: ``-ов``/``-ев`` (Магомед -> Магомедов, Муса -> Мусаев, Юрий -> Юрьев), ``-ин``
    (Илья -> Ильин), ``-ов/ин`` (the Russian choice between the two), ``-ский`` (Жук ->
    Жуковский), or a literal ending (Гасан + заде, Мамед + ли, Arabic family names bare);
    ``prefix`` is a compounding first name (Гаджи + Магомед -> Гаджимагомедов) or a particle
    ending in a hyphen (Аль- + Рашид -> Аль-Рашид)."""
    name = _unhyphenated(stem)      # Абу-Бакар -> Абубакаров
    if prefix and not prefix.endswith("-"):
        name = prefix + name.lower()
    low = name.lower()
    if suffix == "ов/ин":                              # Russian: Никита -> Никитин, Иван -> Иванов
        suffix = "ин" if low[-1] in "ая" else "ов"
    if suffix == "ов":
        if low.endswith("ий") and len(low) > 3:     # Юрий -> Юрьев, Дмитрий -> Дмитриев
            name = name[:-2] + ("ь" if low[-3] in "рлн" and low != "дмитрий" else "и") + "ев"
        elif low[-1] in "йь":                         # Сергей -> Сергеев, Гусь -> Гусев
            name = name[:-1] + "ев"
        else:                                         # Муса -> Мусаев, Малыш -> Малышев
            name += "ев" if low[-1] in _VOWELS or low[-1] in "жшчщ" else "ов"
    elif suffix == "ин":
        name = (name[:-1] if low[-1] in "аяйь" else name) + "ин"
    elif suffix == "ский":
        name = derived_surname(name, "ов") + "ский"
    else:
        name += suffix
    return prefix + name if prefix.endswith("-") else name


def gendered_surname(surname: str, female: bool) -> str:
    """Feminine form of a Russian-style surname (Алиев -> Алиева, Островский -> Островская)."""
    if not female:
        return surname
    low = surname.lower()
    if low.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    if low.endswith(("ский", "цкий")):
        return surname[:-2] + "ая"
    if low.endswith(("ый", "ой")) and len(low) > 4:
        return surname[:-2] + "ая"
    return surname  # -енко, -их/-ых, -заде, -оглу, Arabic nisba: not gendered


# --------------------------------------------------------------------------- romanisation

_CONTEXT_CHECKS = ("", "initial", "after_vowel", "between_vowels", "before_front", "final",
                   "between_consonants")
_CYR = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя") | set("ґєії'")   # with Ukrainian's letters
_SOFT = _VOWELS | set("йъь")


@functools.lru_cache(maxsize=1)
def _rules() -> dict[str, dict[str, list[tuple[str, str]]]]:
    rules: dict[str, dict[str, list[tuple[str, str]]]] = {}
    with open(DATA_DIR / "romanisation.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            table = rules.setdefault(row["system"], {})
            table.setdefault(row["cyrillic"], []).append((row["latin"], row["context"]))
    for table in rules.values():  # context-specific rules first
        for cands in table.values():
            cands.sort(key=lambda c: c[1] == "")
    return rules


def _ctx_ok(w: str, i: int, n: int, ctx: str) -> bool:
    if not ctx:
        return True
    prev = w[i - 1] if i > 0 else " "
    nxt = w[i + n] if i + n < len(w) else " "
    if ctx == "initial":
        return prev not in _CYR
    if ctx == "final":
        return nxt not in _CYR
    if ctx == "after_vowel":
        return prev in _SOFT
    if ctx == "between_vowels":
        return prev in _VOWELS and nxt in _VOWELS
    if ctx == "before_front":
        return nxt in "еиыэё"
    if ctx == "between_consonants":
        return prev in _CYR and prev not in _SOFT and nxt in _CYR and nxt not in _SOFT
    raise ValueError(f"unknown context {ctx}")


def _capitalise(s: str) -> str:
    out, up = [], True
    for ch in s:
        out.append(ch.upper() if up else ch)
        up = ch in " -"
    return "".join(out)


_DIACRITIC_MAP = str.maketrans({"ʹ": "", "ʺ": "", "’": "", "”": "", "'": ""})


def _strip_marks(s: str) -> str:
    s = s.translate(_DIACRITIC_MAP)
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def romanise(text: str, system: str, *, rnd: random.Random | None = None,
             mix: float = 0.0) -> str:
    """Write Cyrillic ``text`` in ``system`` (one of ``SYSTEMS``).

    With ``rnd`` and ``mix > 0`` each letter is, with probability ``mix``, written the way another
    system would (Latin systems) or the way some Arabic-speaking clerks do (``arabic``), and the
    result may lose its diacritics/apostrophes - the inconsistencies of real clerks.
    """
    rules = _rules()
    w = text.lower()
    main = rules[system]
    if system == "arabic":
        alts = [rules["arabic_alt"]]
    else:
        alts = [rules[s] for s in LATIN_SYSTEMS if s != system]
    out: list[str] = []
    i, n = 0, len(w)
    while i < n:
        table = main
        if rnd is not None and mix > 0 and rnd.random() < mix:
            table = alts[rnd.randrange(len(alts))]
        done = False
        for tab in ((table, main) if table is not main else (main,)):
            for ln in (2, 1):
                cands = tab.get(w[i:i + ln]) if i + ln <= n else None
                if not cands:
                    continue
                for latin, ctx in cands:
                    if _ctx_ok(w, i, ln, ctx):
                        out.append(latin)
                        i += ln
                        done = True
                        break
                if done:
                    break
            if done:
                break
        if not done:
            ch = w[i]
            out.append(" " if (system == "arabic" and ch == "-") else ch)
            i += 1
    res = "".join(out)
    if system == "arabic":
        return res.strip()
    if rnd is not None and mix > 0:
        if rnd.random() < 0.6:
            res = _strip_marks(res)
        if rnd.random() < 0.3:  # doubled letters simplified / ts-tz-c confusion
            res = res.replace("ss", "s").replace("kh", "h" if rnd.random() < 0.5 else "kh")
    return _capitalise(res)


# --------------------------------------------------------------------------- vocabulary

@dataclass
class _Vocab:
    tokens: list[str]
    index: dict[str, int]
    arabic: np.ndarray          # object: Arabic form or ""
    lv_start: np.ndarray        # informal Latin variants: flat slice per token
    lv_count: np.ndarray
    lv_flat: np.ndarray         # object
    cyr_alt: np.ndarray         # token of a Cyrillic variant spelling, -1 if none
    patr: np.ndarray            # (T, 2) token of patronymic (m, f) for male given names
    fem: np.ndarray             # token of the feminine surname form
    given_pools: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]   # (origin, sex)
    surname_pools: dict[int, tuple[np.ndarray, np.ndarray]]   # common surnames (surnames.csv)
    tail_pools: dict[int, tuple[np.ndarray, np.ndarray]]      # rarer derived ones
    tok_arr: np.ndarray         # object array of the token strings
    # version 2 (issue #17): names of other origins and real spellings from the Wikidata lexicon
    other_given_pools: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]   # (other origin, sex)
    other_surname_pools: dict[int, tuple[np.ndarray, np.ndarray]]
    cyr_spellings: "_Spellings"   # real Latin spellings of the Cyrillic token
    arabic_spellings: "_Spellings"   # real Latin spellings of its (one-word) Arabic form
    compound_splits: dict[int, list[str]]   # Abd al-Rahman, Abdul Rahman... of a compound name
    ukrainian: np.ndarray       # object: the Ukrainian form of a Russian given name, or ""


@functools.lru_cache(maxsize=1)
def _vocab() -> _Vocab:
    tokens: list[str] = []
    index: dict[str, int] = {}
    arabic: dict[int, str] = {}
    latin_vars: dict[int, list[str]] = {}
    cyr_vars: dict[int, list[str]] = {}

    def tok(s: str) -> int:
        if s not in index:
            index[s] = len(tokens)
            tokens.append(s)
        return index[s]

    with open(DATA_DIR / "given_names.csv", encoding="utf-8", newline="") as fh:
        given_rows = list(csv.DictReader(fh))
    with open(DATA_DIR / "surnames.csv", encoding="utf-8", newline="") as fh:
        surname_rows = list(csv.DictReader(fh))
    gp: dict[tuple[int, int], tuple[list[int], list[float]]] = {}
    male: set[int] = set()
    for r in given_rows:
        t = tok(r["cyrillic"])
        if r["arabic"]:
            arabic.setdefault(t, r["arabic"])
        if r["latin_variants"]:
            lv = latin_vars.setdefault(t, [])
            lv.extend(v for v in r["latin_variants"].split(";") if v not in lv)
        variants = [v for v in r["cyrillic_variants"].split(";") if v]
        if "ё" in r["cyrillic"]:
            variants.append(r["cyrillic"].replace("ё", "е"))
        for v in variants:
            cv = cyr_vars.setdefault(t, [])
            if v not in cv:
                cv.append(v)
        key = (ORIGINS.index(r["origin"]), 0 if r["sex"] == "M" else 1)
        ids, ws = gp.setdefault(key, ([], []))
        ids.append(t)
        ws.append(float(r["weight"]))
        if r["sex"] == "M":
            male.add(t)
    fem_of: dict[int, int] = {}

    def add_surname(pools: dict, origin: str, name: str, weight: float, arabic_form: str = "") -> None:
        t = tok(name)
        f = tok(gendered_surname(name, True))
        fem_of[t] = f
        fem_of.setdefault(f, f)
        if arabic_form:
            arabic.setdefault(t, arabic_form)
            if f != t:
                arabic.setdefault(f, arabic_form + "ا")
        for s in (name, gendered_surname(name, True)):
            if "ё" in s and index[s] not in cyr_vars:
                cyr_vars[index[s]] = [s.replace("ё", "е")]
        ids, ws = pools.setdefault(ORIGINS.index(origin), ([], []))
        ids.append(t)
        ws.append(weight)

    sp: dict[int, tuple[list[int], list[float]]] = {}
    for r in surname_rows:
        add_surname(sp, r["origin"], r["cyrillic"], float(r["weight"]), r["arabic"])
    tp: dict[int, tuple[list[int], list[float]]] = {}
    for origin, name, weight in _surname_tail(given_rows):
        add_surname(tp, origin, name, weight)
    patr_pairs: dict[int, tuple[int, int]] = {}
    for t in sorted(male):
        patr_pairs[t] = (tok(patronymic(tokens[t], False)), tok(patronymic(tokens[t], True)))
    # Cyrillic variant spellings become tokens too; the first variant is the one used
    alt_pairs = [(t, tok(vs[0])) for t, vs in sorted(cyr_vars.items())]
    # version 2's tokens come after all of version 1's, so that version 1's token ids stay as they were
    other_given, other_surnames, other_tokens = _other_origin_tokens(tok, fem_of, male)
    for t in sorted(male - set(patr_pairs)):
        patr_pairs[t] = (tok(patronymic(tokens[t], False)), tok(patronymic(tokens[t], True)))
    alt_pairs += [(t, tok(v)) for t, v in other_tokens.items()]
    T = len(tokens)
    cyr_alt = np.full(T, -1, np.int64)
    for t, a in alt_pairs:
        cyr_alt[t] = a
    arr_ar = np.array([arabic.get(t, "") for t in range(T)], dtype=object)
    lv_count = np.array([len(latin_vars.get(t, ())) for t in range(T)], np.int64)
    lv_start = np.concatenate([[0], np.cumsum(lv_count)[:-1]]).astype(np.int64)
    lv_flat = np.array([v for t in range(T) for v in latin_vars.get(t, ())] + [""], dtype=object)
    patr = np.full((T, 2), -1, np.int64)
    for t, (m, f) in patr_pairs.items():
        patr[t] = (m, f)
    fem = np.arange(T, dtype=np.int64)
    for t, f in fem_of.items():
        fem[t] = f
    tok_arr = np.array(tokens, dtype=object)
    other = np.zeros(T, bool)       # surnames of other origins (for their derived feminine spellings)
    other[[t for ids, _ in other_surnames.values() for t in ids]] = True
    spellings = _lexicon_spellings()
    cyr_words = [t.lower() for t in tokens]
    # the feminine of a Polish surname: Kowalski -> Kowalska where the lexicon has no spelling of it
    derived = {cyr_words[f]: [(re.sub(r"([sc])ki$", r"\1ka", lat), c) for lat, c in spellings["cyrillic"].get(
        cyr_words[t], [])] for t, f in fem_of.items() if f != t and other[t]}
    with open(DATA_DIR / "ukrainian_forms.csv", encoding="utf-8", newline="") as fh:
        ukrainian_form = {r["russian"]: r["ukrainian"] for r in csv.DictReader(fh)}
    return _Vocab(tokens, index, arr_ar, lv_start, lv_count, lv_flat, cyr_alt, patr, fem,
                  _pools(gp), _pools(sp), _pools(tp), tok_arr, _pools(other_given), _pools(other_surnames),
                  _Spellings.of(cyr_words, {**derived, **spellings["cyrillic"]}),
                  _Spellings.of([a if " " not in a else "" for a in arr_ar.tolist()], spellings["arabic"]),
                  _compound_splits(arr_ar, spellings["arabic"]),
                  np.array([ukrainian_form.get(t, "") for t in tokens], dtype=object))


def _pools(lists: dict) -> dict:
    """Per key, (token ids, weights) lists as arrays with the weights made probabilities."""
    return {k: (np.array(ids, np.int64), np.array(ws) / sum(ws)) for k, (ids, ws) in lists.items()}


OTHER_ORIGINS = ("english", "german", "polish", "japanese", "georgian", "armenian", "chinese")
OTHER_ORIGIN_WEIGHTS = np.array([0.2, 0.2, 0.15, 0.1, 0.15, 0.15, 0.05])
#: Share of the foreign records' name parts of another origin written as the original documents
#: spell them (a real Latin spelling from the lexicon); the others are romanised from the Cyrillic.
ORIGINAL_SPELLING = 0.8


def _other_origin_tokens(tok, fem_of: dict[int, int], male: set[int]):
    """Tokens of the names of other origins (``other_origins.csv``): (given pools, surname pools,
    {token: its first by-ear Cyrillic variant}); ``fem_of`` and ``male`` are extended in place."""
    given: dict[tuple[int, int], tuple[list[int], list[float]]] = {}
    surnames: dict[int, tuple[list[int], list[float]]] = {}
    variants: dict[int, str] = {}
    with open(DATA_DIR / "other_origins.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            o, t = OTHER_ORIGINS.index(r["origin"]), tok(r["cyrillic"])
            if r["cyrillic_variants"]:
                variants[t] = r["cyrillic_variants"].split(";")[0]
            if r["part"] == "given":
                ids, ws = given.setdefault((o, 0 if r["sex"] == "M" else 1), ([], []))
                if r["sex"] == "M":
                    male.add(t)
            else:
                ids, ws = surnames.setdefault(o, ([], []))
                # Polish -ский has a feminine; English, German, Japanese... surnames have none in Russian
                f = tok(gendered_surname(r["cyrillic"], True)) if r["origin"] == "polish" else t
                fem_of[t] = f
                fem_of.setdefault(f, f)
            ids.append(t)
            ws.append(float(r["weight"]))
    return given, surnames, variants


@functools.lru_cache(maxsize=1)
def _lexicon_spellings() -> dict[str, dict[str, list[tuple[str, int]]]]:
    """script -> token -> [(latin, count)], from ``lexicon_spellings.csv``."""
    out: dict[str, dict[str, list[tuple[str, int]]]] = {"cyrillic": {}, "arabic": {}}
    with open(DATA_DIR / "lexicon_spellings.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            out[r["script"]].setdefault(r["token"], []).append((r["latin"], int(r["count"])))
    return out


@dataclass
class _Spellings:
    """Per token, its real Latin spellings (a flat slice each) and their cumulative shares."""

    start: np.ndarray
    count: np.ndarray
    flat: np.ndarray            # object: the spellings, capitalised
    key: np.ndarray             # segment ordinal + cumulative share: increasing over ``flat``
    ordinal: np.ndarray

    @classmethod
    def of(cls, words: list[str], table: dict[str, list[tuple[str, int]]]) -> "_Spellings":
        start, count, ordinal, flat, key = [], [], [], [], []
        seen = 0                            # words before this one that have spellings
        for word in words:
            found = table.get(word, []) if word else []
            start.append(len(flat))
            count.append(len(found))
            ordinal.append(seen)
            total, acc = sum(c for _, c in found), 0
            for latin, c in found:
                acc += c
                flat.append(_capitalise(latin))
                key.append(seen + acc / total)
            seen += bool(found)
        return cls(np.array(start, np.int64), np.array(count, np.int64), np.array(flat + [""], dtype=object),
                   np.array(key + [np.inf]), np.array(ordinal, np.int64))

    def draw(self, tok: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One spelling per token (all of which have some), drawn by the lexicon's counts."""
        target = self.ordinal[tok] + rng.random(len(tok))
        return self.flat[np.searchsorted(self.key, target, side="right")]


#: The first words of compound names, with the longest real spelling of the word alone (abdul, abdel:
#: not abdullah, a misalignment in the lexicon) and the scholarly romanisation, added to the real ones.
_COMPOUND_HEADS = {"عبد": (5, "abd"), "أبو": (4, "abu"), "أم": (4, "umm"), "سيف": (4, "sayf")}
_SUN_LETTERS = ("th", "dh", "sh", "t", "d", "r", "z", "s", "n")


def _compound_splits(arabic: np.ndarray, table: dict[str, list[tuple[str, int]]]) -> dict[int, list[str]]:
    """Per compound name (an Arabic form of two words: عبد الرحمن), the ways a foreign clerk splits
    it into words: Abdul Rahman, Abdel Rahman, Abd al-Rahman, Abd ar-Rahman, Abu Bakr, Abd Allah."""
    out: dict[int, list[str]] = {}
    for t, form in enumerate(arabic.tolist()):
        words = form.split()
        if len(words) != 2 or words[0] not in _COMPOUND_HEADS:
            continue
        longest, scholarly = _COMPOUND_HEADS[words[0]]
        heads = sorted({scholarly, *(h for h, _ in table.get(words[0], []) if len(h) <= longest)})
        forms = []
        for head in heads:
            with_article = head.endswith(("ul", "el", "ur"))        # abdul = abd + al
            if words[1] == "الله":
                forms += [] if with_article else [f"{head} allah", f"{head} ullah"]
                continue
            for tail in (x for x, _ in table.get(words[1], [])):
                if head.startswith("abd") and not with_article:
                    sun = next((p for p in _SUN_LETTERS if tail.startswith(p)), "")
                    forms += [f"{head} al-{tail}"] + ([f"{head} a{sun}-{tail}"] if sun else [])
                else:
                    forms += [f"{head} {tail}", f"{head}-{tail}"]
        if forms:
            out[t] = sorted({_capitalise(f) for f in forms})
    return out


def _surname_tail(given_rows: list[dict]) -> list[tuple[str, str, float]]:
    """(origin, surname, weight) of the rarer surnames: every prefix x stem x suffix of
    ``surname_stems.csv`` per origin, the stems being its listed roots and the origin's male given
    names; weight = product of the three weights."""
    with open(DATA_DIR / "surname_stems.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    parts: dict[tuple[str, str], dict[str, float]] = {}
    for r in rows:
        parts.setdefault((r["origin"], r["kind"]), {})[r["cyrillic"]] = float(r["weight"])
    for r in given_rows:
        if r["sex"] == "M":
            parts.setdefault((r["origin"], "root"), {}).setdefault(r["cyrillic"], float(r["weight"]))
    tail: dict[tuple[str, str], float] = {}
    for origin in ORIGINS:
        for prefix, wp in parts[(origin, "prefix")].items():
            for stem, wr in parts[(origin, "root")].items():
                if prefix and stem.lower().startswith(prefix.rstrip("-").lower()):
                    continue        # no Гаджи-Гаджиев, Аль-Аль-...
                for suffix, ws in parts[(origin, "suffix")].items():
                    key = (origin, derived_surname(stem, suffix, prefix))
                    tail[key] = tail.get(key, 0.0) + wp * wr * ws
    return [(origin, name, w) for (origin, name), w in tail.items()]


def _render(V: _Vocab, tok: np.ndarray, sysidx: np.ndarray, var: np.ndarray, seed: int
            ) -> np.ndarray:
    """Strings for token ids in the given systems/variants (tok < 0 => "")."""
    out = np.full(len(tok), "", dtype=object)
    ok = tok >= 0
    if not ok.any():
        return out
    key = (tok[ok].astype(np.int64) * NSYS + sysidx[ok]) * NVAR + var[ok]
    uniq, inv = np.unique(key, return_inverse=True)
    strs = np.empty(len(uniq), dtype=object)
    for j, k in enumerate(uniq.tolist()):
        strs[j] = _render_key(V, k, seed)
    out[ok] = strs[inv.ravel()]
    return out


def _render_key(V: _Vocab, k: int, seed: int) -> str:
    v = k % NVAR
    s = (k // NVAR) % NSYS
    t = k // (NVAR * NSYS)
    text = V.tokens[t]
    if s == CYRILLIC:
        return text
    if v == 0:
        return _romanise_clean(text, s)
    rnd = random.Random(seed * 7_919_993 + k)
    return romanise(text, SYSTEMS[s], rnd=rnd, mix=0.25)


@functools.lru_cache(maxsize=None)
def _romanise_clean(text: str, s: int) -> str:
    return romanise(text, SYSTEMS[s])


# --------------------------------------------------------------------------- noise helpers

_LATIN_ABC = "abcdefghijklmnopqrstuvwxyz"
_CYR_ABC = "абвгдеёжзийклмнопрстуфхцчшщыьэюя"
_ARABIC_ABC = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
_CONFUSIONS = {"i": "y", "y": "i", "e": "a", "a": "e", "o": "u", "u": "o", "k": "q", "c": "k",
               "и": "ы", "е": "и", "о": "а", "а": "о", "ы": "и", "ي": "ى", "ه": "ة", "ا": "أ"}


def _typo(s: str, rnd: random.Random) -> str:
    letters = [i for i, c in enumerate(s) if c.isalpha()]
    if len(letters) < 3:
        return s
    i = letters[rnd.randrange(len(letters))]
    c = s[i]
    if "\u0600" <= c <= "\u06ff":
        abc = _ARABIC_ABC
    elif "\u0400" <= c <= "\u04ff":
        abc = _CYR_ABC
    else:
        abc = _LATIN_ABC
    op = rnd.random()
    if op < 0.25:                                   # deletion
        return s[:i] + s[i + 1:]
    if op < 0.40:                                   # doubling
        return s[:i] + c + s[i:]
    if op < 0.60 and i + 1 < len(s) and s[i + 1].isalpha():   # transposition
        return s[:i] + s[i + 1] + c + s[i + 2:]
    low = c.lower()
    if op < 0.80 and low in _CONFUSIONS:            # phonetic confusion
        r = _CONFUSIONS[low]
    else:                                           # random substitution
        r = abc[rnd.randrange(len(abc))]
    if c.isupper():
        r = r.upper()
    return s[:i] + r + s[i + 1:]


def _apply_typos(arr: np.ndarray, p: float, rng: np.random.Generator, rnd: random.Random
                 ) -> np.ndarray:
    if p <= 0 or len(arr) == 0:
        return arr
    hit = np.flatnonzero(rng.random(len(arr)) < p)
    for i in hit.tolist():
        arr[i] = _typo(arr[i], rnd)
    return arr


def _join(*parts: np.ndarray, sep: str = " ") -> np.ndarray:
    """Element-wise join of object arrays of strings, skipping empty parts."""
    n = len(parts[0])
    if n == 0:
        return np.empty(0, dtype=object)
    out = parts[0].astype(object)
    for p in parts[1:]:
        out = out + sep + p
    empty = np.zeros(n, bool)
    for p in parts:
        empty |= p == ""
    if empty.any():
        rows = np.flatnonzero(empty)
        out[rows] = [sep.join(x for x in (p[i] for p in parts) if x) for i in rows.tolist()]
    return out


def _compose(form: np.ndarray, makers: dict, default) -> np.ndarray:
    """out[i] = makers[form[i]](rows) computed only on the rows having that form."""
    out = np.empty(len(form), dtype=object)
    done = np.zeros(len(form), bool)
    for code, make in makers.items():
        rows = np.flatnonzero(form == code)
        if len(rows):
            out[rows] = make(rows)
            done[rows] = True
    rest = np.flatnonzero(~done)
    if len(rest):
        out[rest] = default(rest)
    return out


def _pick(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return np.searchsorted(np.cumsum(w / w.sum()), rng.random(n), side="right").clip(0, len(w) - 1)


# --------------------------------------------------------------------------- dates

_MONTH_DAYS = np.array([31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
# b date formats
F_DMY_DOT, F_ISO, F_DMY_SLASH, F_YEAR, F_TILDE, F_CA, F_MY, F_NONE = range(8)


def _format_dates(y: np.ndarray, m: np.ndarray, d: np.ndarray, fmt: np.ndarray) -> np.ndarray:
    key = ((y.astype(np.int64) * 13 + m) * 32 + d) * 8 + fmt
    uniq, inv = np.unique(key, return_inverse=True)
    strs = np.empty(len(uniq), dtype=object)
    for j, k in enumerate(uniq.tolist()):
        f = k % 8
        dd = (k // 8) % 32
        mm = (k // 256) % 13
        yy = k // (256 * 13)
        strs[j] = (f"{dd:02d}.{mm:02d}.{yy:04d}", f"{yy:04d}-{mm:02d}-{dd:02d}",
                   f"{dd:02d}/{mm:02d}/{yy:04d}", f"{yy:04d}", f"~{yy:04d}", f"ca. {yy:04d}",
                   f"{mm:02d}/{yy:04d}", "")[f]
    return strs[inv.ravel()] if len(key) else np.empty(0, dtype=object)


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dt = days.astype("datetime64[D]")
    y = dt.astype("datetime64[Y]").astype(np.int64) + 1970
    m = dt.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (dt - dt.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, d


# --------------------------------------------------------------------------- population

@dataclass
class _People:
    fam: np.ndarray
    origin: np.ndarray      # family origin
    sex: np.ndarray         # 0 male, 1 female
    given: np.ndarray       # token
    surname: np.ndarray     # masculine family surname token
    birth: np.ndarray       # datetime64[D] as int days
    father: np.ndarray      # father's given name token
    grandfather: np.ndarray  # father's father (for the father's patronymic)
    mother: np.ndarray
    mother_father: np.ndarray
    mother_surname: np.ndarray  # masculine form of the mother's surname
    other_origin: np.ndarray | None = None   # index into OTHER_ORIGINS of the family's names, or -1


def _sample_given(V: _Vocab, origin: np.ndarray, sex: np.ndarray, rng: np.random.Generator
                  ) -> np.ndarray:
    out = np.empty(len(origin), np.int64)
    for (o, s), (ids, p) in V.given_pools.items():
        mask = (origin == o) & (sex == s)
        k = int(mask.sum())
        if k:
            out[mask] = ids[_pick(rng, k, p)]
    return out


def _sample_surname(V: _Vocab, origin: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A common surname for ``1 - TAIL_SHARE`` of the families, a rarer derived one for the rest."""
    out = np.empty(len(origin), np.int64)
    tail = rng.random(len(origin)) < TAIL_SHARE
    for pools, use in ((V.surname_pools, ~tail), (V.tail_pools, tail)):
        for o, (ids, p) in pools.items():
            mask = (origin == o) & use
            k = int(mask.sum())
            if k:
                out[mask] = ids[_pick(rng, k, p)]
    return out


def _people(n: int, d: Difficulty, V: _Vocab, rng: np.random.Generator) -> _People:
    # family sizes: 1 with prob q, else 2 + geometric; q chosen so that sibling_share holds
    extra = rng.geometric(0.55, size=max(n, 1)) - 1
    multi = np.minimum(2 + extra, 8)
    mean_multi = float(np.mean(np.minimum(2 + rng.geometric(0.55, 4096) - 1, 8)))
    s = min(max(d.sibling_share, 1e-6), 1 - 1e-6)
    q = mean_multi * (1 - s) / (s + mean_multi * (1 - s))
    sizes = np.where(rng.random(max(n, 1)) < q, 1, multi)
    csum = np.cumsum(sizes)
    nf = int(np.searchsorted(csum, n, side="left")) + 1 if n else 0
    sizes = sizes[:nf].copy()
    if nf:
        sizes[-1] -= csum[nf - 1] - n
    fam = np.repeat(np.arange(nf), sizes)
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    order = np.arange(n) - start[fam]

    f_origin = _pick(rng, nf, ORIGIN_WEIGHTS)
    f_father_origin = np.where(rng.random(nf) < 0.15, ARABIC_ORIGIN, f_origin)
    f_father = _sample_given(V, f_father_origin, np.zeros(nf, np.int64), rng)
    f_grand = _sample_given(V, f_origin, np.zeros(nf, np.int64), rng)
    f_mother_origin = np.where(rng.random(nf) < 0.8, f_origin, _pick(rng, nf, ORIGIN_WEIGHTS))
    f_mother = _sample_given(V, f_mother_origin, np.ones(nf, np.int64), rng)
    f_mother_father = _sample_given(V, f_mother_origin, np.zeros(nf, np.int64), rng)
    f_surname = _sample_surname(V, f_origin, rng)
    own = _sample_surname(V, f_mother_origin, rng)
    f_mother_surname = np.where(rng.random(nf) < 0.5, f_surname, own)

    sex = (rng.random(n) < 0.5).astype(np.int64)
    child_origin = np.where(rng.random(n) < 0.25, ARABIC_ORIGIN, f_origin[fam])
    given = _sample_given(V, child_origin, sex, rng)
    for _ in range(8):  # siblings get different given names
        key = fam * (len(V.tokens) + 1) + given
        srt = np.argsort(key, kind="stable")
        dup = np.zeros(n, bool)
        if n > 1:
            dup[srt[1:]] = key[srt[1:]] == key[srt[:-1]]
        if not dup.any():
            break
        org = np.where(rng.random(int(dup.sum())) < 0.5, ARABIC_ORIGIN, f_origin[fam[dup]])
        given[dup] = _sample_given(V, org, sex[dup], rng)

    # birth dates: siblings spaced ~1-4 years, twins share the date
    gaps = 300 + rng.gamma(2.0, 220.0, n).astype(np.int64)
    gaps = np.where(rng.random(n) < d.twin_rate, 0, gaps)
    gaps[order == 0] = 0
    cum = np.cumsum(gaps)
    cum = cum - cum[start[fam]] if n else cum
    span = np.zeros(nf, np.int64)
    if n:
        np.maximum.at(span, fam, cum)
    lo = DATE_LO.astype(np.int64)
    room = np.maximum(DATE_HI.astype(np.int64) - lo - span, 0)
    base = lo + (rng.random(nf) * room).astype(np.int64)
    birth = base[fam] + cum
    return _People(fam, f_origin[fam], sex, given, f_surname[fam], birth, f_father[fam],
                   f_grand[fam], f_mother[fam], f_mother_father[fam], f_mother_surname[fam])


def _with_other_origins(P: _People, d: Difficulty, V: _Vocab, rng: np.random.Generator) -> _People:
    """``d.other_origin`` of the families bear names of another origin (English, German, Polish,
    Japanese, Georgian, Armenian, Chinese), as a Russian list writes them in Cyrillic: the surname,
    the parents' and grandfathers' given names and the children's (a Chinese family, for which the
    lexicon has surnames only, keeps its given names). Own stream: the rest is as without them."""
    n, nf = len(P.fam), (int(P.fam.max()) + 1 if len(P.fam) else 0)
    origin = np.where(rng.random(nf) < d.other_origin, _pick(rng, nf, OTHER_ORIGIN_WEIGHTS), -1)
    fams = np.flatnonzero(origin >= 0)

    def given(o: np.ndarray, sex: np.ndarray, current: np.ndarray) -> np.ndarray:
        out = current.copy()
        for (oo, ss), (ids, p) in V.other_given_pools.items():
            rows = np.flatnonzero((o == oo) & (sex == ss))
            out[rows] = ids[_pick(rng, len(rows), p)]
        return out

    def family_level(per_person: np.ndarray) -> np.ndarray:
        out = np.zeros(nf, np.int64)
        out[P.fam] = per_person
        return out

    fo, male, female = origin[fams], np.zeros(len(fams), np.int64), np.ones(len(fams), np.int64)
    surname = family_level(P.surname)
    for oo, (ids, p) in V.other_surname_pools.items():
        rows = fams[fo == oo]
        surname[rows] = ids[_pick(rng, len(rows), p)]
    fields = {}
    for name, sex in (("father", male), ("grandfather", male), ("mother", female), ("mother_father", male)):
        value = family_level(getattr(P, name))
        value[fams] = given(fo, sex, value[fams])
        fields[name] = value[P.fam]
    own = np.flatnonzero(origin[P.fam] >= 0)
    child = P.given.copy()
    child[own] = given(origin[P.fam[own]], P.sex[own], child[own])
    for _ in range(8):  # siblings get different given names
        key = P.fam[own] * (len(V.tokens) + 1) + child[own]
        srt = np.argsort(key, kind="stable")
        dup = np.zeros(len(own), bool)
        dup[srt[1:]] = key[srt[1:]] == key[srt[:-1]]
        if not dup.any():
            break
        child[own[dup]] = given(origin[P.fam[own[dup]]], P.sex[own[dup]], child[own[dup]])
    other = origin[P.fam]
    return replace(P, given=child, surname=surname[P.fam], other_origin=other,
                   mother_surname=np.where(other >= 0, surname[P.fam], P.mother_surname), **fields)


def _pairs(n: int, overlap: float) -> int:
    """People listed by both a and b, so that ``overlap`` is the share of all records of a and b
    that have a partner on the other side: 2 k / (n + k) = overlap. Exact arithmetic: 0.75 gives
    round(0.6 n) for every n, the 60 % of people in both lists of version 1's overlap 0.6."""
    s = Fraction(overlap).limit_denominator(10**6)
    return int(round(s * n / (2 - s)))


def _membership(P: _People, n: int, overlap: float, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray]:
    """Indices of people in a and in b (siblings mostly share their fate)."""
    nf = int(P.fam.max()) + 1 if n else 0
    key = rng.random(nf)[P.fam] + np.where(rng.random(n) < 0.3, rng.random(n), 0.0)
    order = np.argsort(key, kind="stable")
    n_both = _pairs(n, overlap)
    n_a_only = (n - n_both) // 2
    both = order[:n_both]
    a_only = order[n_both:n_both + n_a_only]
    b_only = order[n_both + n_a_only:]
    in_a = np.concatenate([both, a_only])
    in_b = np.concatenate([both, b_only])
    return rng.permutation(in_a), rng.permutation(in_b)


def _ids(prefix: str, k: int, rng: np.random.Generator) -> np.ndarray:
    width = max(6, len(str(k)))
    nums = rng.permutation(k) + 1
    return np.array([f"{prefix}{x:0{width}d}" for x in nums.tolist()], dtype=object)


# --------------------------------------------------------------------------- agencies

def _maybe_alt(V: _Vocab, tok: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    alt = V.cyr_alt[tok]
    use = (alt >= 0) & (rng.random(len(tok)) < p)
    return np.where(use, alt, tok)


def _blank(arr: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    if p > 0 and len(arr):
        arr[rng.random(len(arr)) < p] = ""
    return arr


def _parent_cyr(V: _Vocab, sur: np.ndarray, given: np.ndarray, patr: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    """A parent's name as a Russian family writes it."""
    S, G, P = V.tok_arr[sur], V.tok_arr[given], V.tok_arr[patr]
    form = _pick(rng, len(sur), [0.6, 0.15, 0.1, 0.15])
    return _compose(form, {0: lambda r: _join(S[r], G[r], P[r]),
                           1: lambda r: _join(G[r], P[r], S[r]),
                           2: lambda r: _join(G[r], S[r])}, lambda r: G[r].copy())


def _agency_a(P: _People, idx: np.ndarray, d: Difficulty, V: _Vocab, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng([seed, 11])
    rnd = random.Random(seed * 31 + 1)
    k = len(idx)
    sex = P.sex[idx]
    sur = V.fem[P.surname[idx]] * sex + P.surname[idx] * (1 - sex)
    sur = _maybe_alt(V, sur, d.cyr_variant, rng)
    given = _maybe_alt(V, P.given[idx], d.cyr_variant, rng)
    patr = V.patr[P.father[idx], sex]
    surname = _apply_typos(V.tok_arr[sur].copy(), d.typo_a, rng, rnd)
    given_name = _apply_typos(V.tok_arr[given].copy(), d.typo_a, rng, rnd)
    patronymic_ = _blank(_apply_typos(V.tok_arr[patr].copy(), d.typo_a, rng, rnd),
                         d.a_missing_patronymic, rng)
    y, m, dd = _ymd(P.birth[idx])
    bdate = _blank(_format_dates(y, m, dd, np.full(k, F_DMY_DOT)), d.a_missing_date, rng)
    sexs = np.where(sex == 0, "М", "Ж").astype(object)
    mother = _parent_cyr(V, V.fem[P.mother_surname[idx]], P.mother[idx],
                         V.patr[P.mother_father[idx], 1], rng)
    father = _parent_cyr(V, P.surname[idx], P.father[idx], V.patr[P.grandfather[idx], 0], rng)
    return pd.DataFrame({
        "record_id": _ids("A", k, rng), "surname": surname, "given_name": given_name,
        "patronymic": patronymic_, "birth_date": bdate, "sex": sexs,
        "mother_name": _blank(mother, d.a_missing_mother, rng),
        "father_name": _blank(father, d.a_missing_father, rng)}, columns=A_COLUMNS)


def _foreign_part(V: _Vocab, tok: np.ndarray, sysidx: np.ndarray, d: Difficulty,
                  rng: np.random.Generator, seed: int) -> np.ndarray:
    """One name part as a foreign clerk writes it (romanised / Arabic, maybe informal)."""
    k = len(tok)
    var = np.where(rng.random(k) < d.clerk_noise, rng.integers(1, NVAR, k), 0)
    out = _render(V, tok, sysidx, var, seed)
    if k == 0:
        return out
    safe = np.maximum(tok, 0)
    # conventional Latin spellings (Muhammad, Aisha) instead of a transliteration
    inf = (tok >= 0) & (sysidx < ARABIC) & (V.lv_count[safe] > 0) & \
          (rng.random(k) < np.where(sysidx == LATIN_SYSTEMS.index("english"),
                                    min(1.0, d.informal_spelling * 1.5), d.informal_spelling))
    if inf.any():
        t = safe[inf]
        pick = (rng.random(len(t)) * V.lv_count[t]).astype(np.int64)
        out[inf] = V.lv_flat[V.lv_start[t] + pick]
    # Arabic script: the name's own Arabic form where there is one
    ar = (tok >= 0) & (sysidx == ARABIC) & (V.arabic[safe] != "") & (rng.random(k) < 0.9)
    if ar.any():
        out[ar] = V.arabic[safe[ar]]
    return out


def _upper(arr: np.ndarray, mask: np.ndarray) -> np.ndarray:
    for i in np.flatnonzero(mask).tolist():
        arr[i] = arr[i].upper()
    return arr


def _b_dates(y, m, dd, d: Difficulty, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The foreign side's birth dates and the format of each (F_*)."""
    k = len(y)
    y, m, dd = y.copy(), m.copy(), dd.copy()
    swap = (rng.random(k) < d.date_swap) & (dd <= 12) & (dd != m)
    m[swap], dd[swap] = dd[swap], m[swap].copy()
    y = y + np.where(rng.random(k) < d.year_off, rng.choice([-1, 1], k), 0)
    r = rng.random(k)
    c1 = d.date_missing
    c2 = c1 + d.date_partial
    c3 = c2 + d.date_estimated
    fmt = _pick(rng, k, [0.3, 0.35, 0.35])          # full date formats 0..2
    fmt = np.where(r < c3, np.where(rng.random(k) < 0.5, F_TILDE, F_CA), fmt)
    fmt = np.where(r < c2, np.where(rng.random(k) < 0.5, F_YEAR, F_MY), fmt)
    fmt = np.where(r < c1, F_NONE, fmt)
    est = (fmt == F_TILDE) | (fmt == F_CA)
    y = y + np.where(est, rng.choice([-2, -1, 0, 0, 0, 1, 2], k), 0)
    # a swap moves day<=12 into the month; a year shift can break 29 February
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    dd = np.minimum(dd, _MONTH_DAYS[m - 1] - ((m == 2) & ~leap))
    return _format_dates(y, m, dd, fmt), fmt


# --------------------------------------------------------------------------- real-data classes

_ROLES = ("given", "surname", "patronymic", "father", "mother", "mother_surname", "father_surname")
#: a knob's own random stream per agency-b role: version 1's streams are never drawn from
_STREAM = {"original": 1, "arabic": 2, "lexicon": 3, "compound": 4, "defective": 5, "ukrainian": 6,
           "caps_surname": 7, "glued": 8, "age": 9, "hijri": 10, "typos": 11}
AGE_REFERENCE_YEAR = 2019   # the year the foreign registers estimated the ages in (al-Hol, 2019)


class _RealData:
    """The failure classes of real data on the foreign side (agency b), each on its own stream."""

    def __init__(self, V: _Vocab, d: Difficulty, seed: int, arabic: np.ndarray, sex: np.ndarray,
                 father: np.ndarray, other: np.ndarray):
        self.V, self.d, self.seed, self.arabic, self.sex, self.father = V, d, seed, arabic, sex, father
        self.other = other          # a person of a family whose names are of another origin
        self.ukrainian = ~arabic & ~other & (self.rng("ukrainian").random(len(arabic)) < d.ukrainian)

    def rng(self, knob: str, role: str = "") -> np.random.Generator:
        return np.random.default_rng([self.seed, 22, _STREAM[knob], _ROLES.index(role) if role else 99])

    def part(self, out: np.ndarray, tok: np.ndarray, role: str, typos: bool) -> np.ndarray:
        """One name part: real spellings, compounds split or glued, Ukrainian (a part written anew
        gets its typos here, ``typos``, on a stream of its own), then defective Arabic."""
        k = len(tok)
        if k == 0:
            return out
        before = out.copy()
        out = self._rewritten(out, tok, role)
        new = np.flatnonzero(out != before)
        if typos and len(new):
            rnd = random.Random(self.seed * 31 + 100 + _ROLES.index(role))
            out[new] = _apply_typos(out[new], self.d.typo_b, self.rng("typos", role), rnd)
        if self.d.arabic_defective > 0:     # a change of the written word, typos or not
            hit = self.arabic & (tok >= 0) & (self.rng("defective", role).random(k) < self.d.arabic_defective)
            for i in np.flatnonzero(hit).tolist():
                out[i] = " ".join(_defective(w) for w in out[i].split())
        return out

    def _rewritten(self, out: np.ndarray, tok: np.ndarray, role: str) -> np.ndarray:
        V, d, k = self.V, self.d, len(tok)
        safe, latin = np.maximum(tok, 0), (tok >= 0) & ~self.arabic
        streams = {knob: self.rng(knob, role) for knob in ("original", "arabic", "lexicon")}
        original = latin & self.other & (V.cyr_spellings.count[safe] > 0)
        original &= streams["original"].random(k) < ORIGINAL_SPELLING
        read = latin & ~original & (V.arabic_spellings.count[safe] > 0)
        read &= streams["arabic"].random(k) < d.arabic_spelling
        lexicon = latin & ~original & ~read & (V.cyr_spellings.count[safe] > 0)
        lexicon &= streams["lexicon"].random(k) < d.lexicon_spelling
        for mask, spellings, knob in ((original, V.cyr_spellings, "original"), (read, V.arabic_spellings, "arabic"),
                                      (lexicon, V.cyr_spellings, "lexicon")):
            if mask.any():
                out[mask] = spellings.draw(safe[mask], streams[knob])
        if d.compound_split > 0 and V.compound_splits:
            self._compounds(out, tok, role)
        if self.ukrainian.any() and role != "patronymic":
            rows = np.flatnonzero(self.ukrainian & (tok >= 0))
            out[rows] = [_ukrainian(V.tokens[t], V.ukrainian[t]) for t in tok[rows].tolist()]
        elif self.ukrainian.any():
            rows = np.flatnonzero(self.ukrainian & (self.father >= 0))
            out[rows] = [_ukrainian(ukrainian_patronymic(V.tokens[f], V.ukrainian[f], bool(x)))
                         for f, x in zip(self.father[rows].tolist(), self.sex[rows].tolist())]
        return out

    def _compounds(self, out: np.ndarray, tok: np.ndarray, role: str) -> None:
        """Abd al-Rahman (Latin) for Абдурахман; عبدالرحمن in one word where Arabic writes two."""
        V = self.V
        rng = self.rng("compound", role)
        hit = np.isin(tok, list(V.compound_splits)) & (rng.random(len(tok)) < self.d.compound_split)
        for i in np.flatnonzero(hit).tolist():
            if self.arabic[i]:
                out[i] = out[i].replace(" ", "") if out[i] == V.arabic[tok[i]] else out[i]
            else:
                forms = V.compound_splits[int(tok[i])]
                out[i] = forms[int(rng.integers(len(forms)))]

    def caps_surname(self, surname: np.ndarray) -> np.ndarray:
        """"SURNAME Given": the surname alone in capitals, as passports and registers write it."""
        hit = ~self.arabic & (self.rng("caps_surname").random(len(surname)) < self.d.caps_surname)
        return _upper(surname, hit)

    def glued(self, full: np.ndarray) -> np.ndarray:
        """Two neighbouring name parts run together: IvanAleksandrovich, IVANOVIVAN."""
        rng = self.rng("glued")
        hit = ~self.arabic & (rng.random(len(full)) < self.d.glued)
        where = rng.random(len(full))
        for i in np.flatnonzero(hit).tolist():
            spaces = [j for j, c in enumerate(full[i]) if c == " " and full[i][j - 1] != ","]
            if spaces:
                j = spaces[int(where[i] * len(spaces))]
                full[i] = full[i][:j] + full[i][j + 1:]
        return full

    def dates(self, text: np.ndarray, fmt: np.ndarray, birth: np.ndarray) -> np.ndarray:
        """Ages estimated in the register's year ("7 years") and dates in the Hijri calendar."""
        d, k = self.d, len(text)
        if k == 0:
            return text
        y_true = _ymd(birth)[0]
        rng = self.rng("age")
        age = (rng.random(k) < d.age_estimate) & (fmt != F_NONE)
        noise = rng.choice([-1, 0, 0, 1], k)
        style = rng.random(k)
        for i in np.flatnonzero(age).tolist():
            text[i] = _age_text(max(0, AGE_REFERENCE_YEAR - int(y_true[i]) + int(noise[i])), self.arabic[i], style[i])
        rng = self.rng("hijri")
        hijri = ~age & (rng.random(k) < d.hijri) & np.isin(fmt, [F_DMY_DOT, F_ISO, F_DMY_SLASH, F_YEAR, F_MY])
        rows = np.flatnonzero(hijri)
        if len(rows):
            text[rows] = _hijri_text(birth[rows], fmt[rows], self.arabic[rows], rng)
        return text


_RU_YEARS = ("год", "года", "лет")


def _age_text(age: int, arabic: bool, u: float) -> str:
    """An estimated age as registers write it: "7 years", "age 7", "about 7 years", "7 лет", "٧ سنوات"."""
    if arabic:
        return f"{age} سنوات" if u < 0.5 else f"{age} سنة" if u < 0.7 else f"{_arabic_digits(str(age))} سنوات"
    last, tens = age % 10, age % 100
    ru = _RU_YEARS[0 if last == 1 and tens != 11 else 1 if 2 <= last <= 4 and not 12 <= tens <= 14 else 2]
    forms = (f"{age} years", f"{age} yrs", f"age {age}", f"about {age} years", f"{age} y.o.",
             f"~{age} years", f"{age} y", f"{age} {ru}", f"{age} ans")
    cut = np.cumsum([0.3, 0.1, 0.15, 0.1, 0.1, 0.05, 0.05, 0.1, 0.05])
    return forms[int(np.searchsorted(cut, u * cut[-1], side="right").clip(0, len(forms) - 1))]


_ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _arabic_digits(text: str) -> str:
    return text.translate(_ARABIC_DIGITS)


@functools.lru_cache(maxsize=1)
def _hijri_months() -> list[tuple[list[str], str]]:
    with open(DATA_DIR / "hijri_months.csv", encoding="utf-8", newline="") as fh:
        return [(r["latin"].split(";"), r["arabic"]) for r in csv.DictReader(fh)]


def _hijri_text(birth: np.ndarray, fmt: np.ndarray, arabic: np.ndarray, rng: np.random.Generator
                ) -> np.ndarray:
    """Birth dates in the Hijri calendar (tabular, ``pprl.tools.hijri``) as registers under Islamic
    State and some in the region write them: 1434/06/08, 08/06/1434, 8 Jumada al-Akhirah 1434,
    1434/06/08 هـ, ٨ جمادى الآخرة ١٤٣٤; a year alone: 1434, 1434 هـ; a month: 06/1434."""
    y, m, dd = hijri.from_days(birth)
    months = _hijri_months()
    style, variant, digits = rng.random(len(birth)), rng.random(len(birth)), rng.random(len(birth))
    out = np.empty(len(birth), dtype=object)
    for i, (yy, mm, day, f) in enumerate(zip(y.tolist(), m.tolist(), dd.tolist(), fmt.tolist())):
        latin, arabic_name = months[mm - 1]
        name = arabic_name if arabic[i] else latin[int(variant[i] * len(latin))]
        u = style[i]
        if f == F_YEAR:
            text = f"{yy}" if u < 0.5 else f"{yy} هـ" if u < 0.8 else f"{yy}هـ"
        elif f == F_MY:
            text = f"{mm:02d}/{yy}" if u < 0.6 else f"{name} {yy}"
        else:
            text = (f"{yy}/{mm:02d}/{day:02d}", f"{day:02d}/{mm:02d}/{yy}", f"{day} {name} {yy}",
                    f"{yy}/{mm:02d}/{day:02d} هـ")[int(np.searchsorted([0.35, 0.55, 0.85], u, side="right"))]
        out[i] = _arabic_digits(text) if arabic[i] and digits[i] < 0.5 else text
    return out


_HAMZA_SEATS = str.maketrans("أإآ", "ااا")
_LONG_VOWELS = "اوي"


def _defective(word: str) -> str:
    """An Arabic-script word as hurried or old-style hands write it: hamza seats bare (أ -> ا), final
    ة as ه and ي as ى, and the first long vowel inside the word left out (إبراهيم -> ابرهيم, حسين ->
    حسن), so that one skeleton stands for several names."""
    w = word.translate(_HAMZA_SEATS)
    if w.endswith("ة"):
        w = w[:-1] + "ه"
    elif w.endswith("ي") and len(w) > 2:
        w = w[:-1] + "ى"
    start = 3 if w.startswith("ال") else 1      # not the article's alif
    for i in range(start, len(w) - 1):
        if w[i] in _LONG_VOWELS:
            return w[:i] + w[i + 1:]
    return w


def ukrainian_patronymic(father: str, ukrainian_form: str, female: bool) -> str:
    """The patronymic as a Ukrainian document forms it, from the father's Ukrainian given name where
    it has one (Сергій -> Сергійович / Сергіївна, Дмитро -> Дмитрович, Микола -> Миколайович) and from
    his name as it is otherwise (Магомед -> Магомедович / Магомедівна, Муса -> Мусайович)."""
    name = _unhyphenated(ukrainian_form or father)
    if name in ("Микола", "Ілля"):
        return {"Микола": ("Миколайович", "Миколаївна"), "Ілля": ("Ілліч", "Іллівна")}[name][female]
    low = name.lower()
    if low[-1] == "й":
        return name + "ович" if not female else name[:-1] + "ївна"
    if low[-1] in "аоеиіуюяь" and ukrainian_form:
        return name[:-1] + ("івна" if female else "ович")
    if low[-1] in "аоеиуюяь":                      # Муса -> Мусайович / Мусаївна, Али -> Алійович
        return name + ("ївна" if female else "йович")
    return name + ("івна" if female else "ович")


@functools.lru_cache(maxsize=None)
def _ukrainian(name: str, ukrainian_form: str = "") -> str:
    """A name romanised as a Ukrainian document writes it (KMU 2010: г h, и y, ий yi/ii, є ie): the
    Ukrainian form where there is one (Сергей -> Serhii, Николай -> Mykola)."""
    return romanise(ukrainian_form or name, "ukrainian")


def _agency_b(P: _People, idx: np.ndarray, d: Difficulty, V: _Vocab, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng([seed, 22])
    rnd = random.Random(seed * 31 + 2)
    k = len(idx)
    sex = P.sex[idx]
    sysidx = np.where(rng.random(k) < d.arabic_share, ARABIC,
                      _pick(rng, k, d.system_weights)).astype(np.int64)
    sur_tok = V.fem[P.surname[idx]] * sex + P.surname[idx] * (1 - sex)
    # some foreign clerks drop the feminine ending / keep the father's form
    sur_tok = np.where(rng.random(k) < 0.1, P.surname[idx], sur_tok)
    arabic = sysidx == ARABIC
    other = P.other_origin[idx] >= 0 if P.other_origin is not None else np.zeros(k, bool)
    real = _RealData(V, d, seed, arabic, sex, P.father[idx], other)

    def part(t: np.ndarray, role: str, typos: bool = True) -> np.ndarray:
        out = _foreign_part(V, t, sysidx, d, rng, seed)
        return real.part(_apply_typos(out, d.typo_b, rng, rnd) if typos else out, t, role, typos)

    G = part(P.given[idx], "given")
    S = real.caps_surname(part(sur_tok, "surname"))
    PT = part(V.patr[P.father[idx], sex], "patronymic")
    F = part(P.father[idx], "father")

    # name form
    r = rng.random(k)
    c1 = d.given_only
    c2 = c1 + d.nasab
    c3 = c2 + d.father_as_surname
    form = _pick(rng, k, _conventional_forms(d.b_patronymic))  # conventional orders 0..5
    form = np.where(r < c3, 6, form)        # given + father (+ sometimes surname)
    form = np.where(r < c2, 7, form)        # nasab
    form = np.where(r < c1, 8, form)        # given only
    sub = rng.random(k)
    link = np.where(arabic, np.where(sex == 1, "بنت", "بن"),
                    np.where(sex == 1, "bint", np.where(sub < 0.5, "ibn", "bin"))).astype(object)
    form = np.where((form == 6) & (sub >= 0.6), 9, form)   # given + father + surname
    form = np.where(arabic & (form <= 5), 0, form)           # Arabic script: given first
    full = _compose(form, {
        0: lambda r: _join(G[r], S[r]),
        1: lambda r: _join(S[r], G[r]),
        2: lambda r: _join(S[r], G[r], sep=", "),
        3: lambda r: _join(G[r], PT[r], S[r]),
        4: lambda r: _join(S[r], G[r], PT[r]),
        5: lambda r: _join(G[r], F[r], S[r]),
        6: lambda r: _join(G[r], F[r]),
        9: lambda r: _join(G[r], F[r], S[r]),
        7: lambda r: _join(G[r], link[r], F[r]),
    }, lambda r: G[r].copy())
    full = real.glued(_upper(full, (~arabic) & (rng.random(k) < d.caps_share)))

    y, m, dd = _ymd(P.birth[idx])
    bdate, fmt = _b_dates(y, m, dd, d, rng)
    bdate = real.dates(bdate, fmt, P.birth[idx])
    ssex = np.where(rng.random(k) < d.sex_error, 1 - sex, sex)
    word = rng.random(k) < 0.15
    sexs = np.where(word, np.where(ssex == 0, "male", "female"),
                    np.where(ssex == 0, "M", "F")).astype(object)
    sexs = _blank(sexs, d.b_missing_sex, rng)

    M = part(P.mother[idx], "mother")
    MS = part(V.fem[P.mother_surname[idx]], "mother_surname", typos=False)
    FS = part(P.surname[idx], "father_surname", typos=False)
    mother = _compose((rng.random(k) < 0.3).astype(np.int64),
                      {1: lambda r: _join(M[r], MS[r])}, lambda r: M[r].copy())
    father = _compose((rng.random(k) < 0.3).astype(np.int64),
                      {1: lambda r: _join(F[r], FS[r])}, lambda r: F[r].copy())
    caps_par = (~arabic) & (rng.random(k) < d.caps_share)
    mother = _blank(_upper(mother.astype(object), caps_par), d.b_missing_mother, rng)
    father = _blank(_upper(father.astype(object), caps_par), d.b_missing_father, rng)
    return pd.DataFrame({
        "record_id": _ids("B", k, rng), "full_name": full, "birth_date": bdate, "sex": sexs,
        "mother_name": mother, "father_name": father}, columns=B_COLUMNS)


#: Weights of the conventional foreign name orders: Given Surname, Surname Given, "Surname, Given",
#: Given Patronymic Surname, Surname Given Patronymic, Given Father Surname (version 1's weights
#: where 20 % carry the patronymic).
_FORMS = np.array([0.35, 0.2, 0.1, 0.1, 0.1, 0.15])
_WITH_PATRONYMIC = np.array([False, False, False, True, True, False])


def _conventional_forms(with_patronymic: float) -> np.ndarray:
    """The weights of the conventional orders with ``with_patronymic`` on the two with a patronymic."""
    w = _FORMS.copy()
    share = w[_WITH_PATRONYMIC].sum()
    if with_patronymic != share:
        w[_WITH_PATRONYMIC] *= with_patronymic / share
        w[~_WITH_PATRONYMIC] *= (1 - with_patronymic) / (1 - share)
    return w


def _agency_c(P: _People, idx: np.ndarray, d: Difficulty, V: _Vocab, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng([seed, 33])
    rnd = random.Random(seed * 31 + 3)
    k = len(idx)
    sex = P.sex[idx]
    sysidx = np.where(rng.random(k) < 0.5, CYRILLIC,
                      np.where(rng.random(k) < 0.7, LATIN_SYSTEMS.index("english"),
                               LATIN_SYSTEMS.index("icao"))).astype(np.int64)
    cd = Difficulty(**{**d.__dict__, "clerk_noise": d.clerk_noise / 2,
                       "informal_spelling": 0.6})
    G = _apply_typos(_foreign_part(V, P.given[idx], sysidx, cd, rng, seed), d.typo_b, rng, rnd)
    sur_tok = V.fem[P.surname[idx]] * sex + P.surname[idx] * (1 - sex)
    S = _apply_typos(_foreign_part(V, sur_tok, sysidx, cd, rng, seed), d.typo_b, rng, rnd)
    F = _apply_typos(_foreign_part(V, P.father[idx], sysidx, cd, rng, seed), d.typo_b, rng, rnd)
    form = _pick(rng, k, [0.6, 0.3, 0.1])
    name = _compose(form, {0: lambda r: G[r].copy(), 1: lambda r: _join(G[r], S[r])},
                    lambda r: S[r].copy())
    name = _blank(name.astype(object), d.c_sparsity * 0.3, rng)
    y, _, _ = _ymd(P.birth[idx])
    y = y + np.where(rng.random(k) < 0.3, rng.choice([-1, 1], k), 0)
    fmt = np.where(rng.random(k) < 0.4, F_TILDE, F_YEAR)
    fmt = np.where(rng.random(k) < d.c_sparsity, F_NONE, fmt)
    year = _format_dates(y, np.ones(k, np.int64), np.ones(k, np.int64), fmt)
    father = _blank(F.copy(), 0.3 + d.c_sparsity * 0.6, rng)
    sex_word = _pick(rng, k, [0.5, 0.5])
    note = np.where(sex_word == 0, np.where(sex == 0, "M", "F"),
                    np.where(sex == 0, "boy", "girl")).astype(object)
    note = _blank(note, 0.2 + d.c_sparsity * 0.6, rng)
    nothing = (name == "") & (year == "") & (father == "")
    name[nothing] = G[nothing]          # a note always says something
    return pd.DataFrame({"record_id": _ids("C", k, rng), "name": name, "birth_year": year,
                         "father_name": father, "note_sex": note}, columns=C_COLUMNS)


# --------------------------------------------------------------------------- API

#: The share of records with a partner that ``generate`` makes unless told: real inquiry lists and
#: registers overlap little (the held-out independent generator of issue #17: about 39 %).
DEFAULT_OVERLAP = 0.4
#: Version 1's overlap: 60 % of the people in both lists, 75 % of the records with a partner.
LEGACY_OVERLAP = 0.75
VERSIONS = (1, 2)


def generate(n_people: int, *, seed: int = 0, difficulty: str | Difficulty = "medium", agencies: int = 2,
             overlap: float = DEFAULT_OVERLAP, version: int = 2) -> SynthData:
    """Generate seeded synthetic exports of ``agencies`` (2 or 3) agencies with ground truth.

    ``overlap`` is the share of all records of a and b that have a true partner on the other side
    (``round(overlap * n / (2 - overlap))`` people are in both, the others in one of them, a half
    each). ``difficulty`` is a level's name or a :class:`Difficulty`. ``version=1`` is the generator
    before the failure classes of real data (issue #17): with ``overlap=LEGACY_OVERLAP`` it makes
    exactly the data that pprl 0.2.0's ``generate(n, overlap=0.6)`` made.
    """
    if isinstance(n_people, bool) or not isinstance(n_people, (int, np.integer)) or n_people < 0:
        raise ValueError("n_people must be a non-negative integer")
    if not isinstance(difficulty, Difficulty) and difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTIES)}")
    if agencies not in (2, 3):
        raise ValueError("agencies must be 2 or 3")
    if not 0.0 <= overlap <= 1.0:
        raise ValueError("overlap must be within [0, 1]")
    if seed < 0:
        raise ValueError("seed must be non-negative")
    if version not in VERSIONS:
        raise ValueError(f"version must be one of {', '.join(map(str, VERSIONS))}")
    n = int(n_people)
    d = difficulty if isinstance(difficulty, Difficulty) else DIFFICULTIES[difficulty]
    if version == 1:
        d = d.classic()
    V = _vocab()
    P = _people(n, d, V, np.random.default_rng([seed, 1]))
    if d.other_origin > 0:
        P = _with_other_origins(P, d, V, np.random.default_rng([seed, 1, 17]))
    rng = np.random.default_rng([seed, 2])
    in_a, in_b = _membership(P, n, overlap, rng)
    exports = {"a": _agency_a(P, in_a, d, V, seed), "b": _agency_b(P, in_b, d, V, seed)}
    rows = {"a": in_a, "b": in_b}
    if agencies == 3:
        n_c = int(round(C_SHARE * n))
        in_c = np.random.default_rng([seed, 3]).permutation(n)[:n_c]
        exports["c"] = _agency_c(P, in_c, d, V, seed)
        rows["c"] = in_c
    truth: dict[tuple[str, str], pd.DataFrame] = {}
    names = list(exports)
    for i, x in enumerate(names):
        for y in names[i + 1:]:
            truth[(x, y)] = _truth(rows[x], exports[x], rows[y], exports[y], x, y, n)
    level = difficulty if isinstance(difficulty, str) else "custom"
    return SynthData(exports, truth, {"n_people": n, "seed": seed, "difficulty": level,
                                      "agencies": agencies, "overlap": overlap, "version": version})


def _truth(rx, ex, ry, ey, x, y, n) -> pd.DataFrame:
    pos_y = np.full(n, -1, np.int64)
    pos_y[ry] = np.arange(len(ry))
    j = pos_y[rx]
    keep = j >= 0
    ids_x = ex["record_id"].to_numpy()[keep]
    ids_y = ey["record_id"].to_numpy()[j[keep]]
    order = np.argsort(ids_x, kind="stable")
    return pd.DataFrame({f"id_{x}": ids_x[order], f"id_{y}": ids_y[order]})


def write(data: SynthData, outdir: Path) -> list[Path]:
    """Write ``a.csv``, ``b.csv`` (``c.csv``) and ``truth_X_Y.csv`` as UTF-8 CSV into ``outdir``.

    The files are staged together and appear only when all were written, so a failure leaves no
    partial file behind and earlier files as they were.
    """
    with output_group() as group:
        outdir = group.folder(outdir)
        jobs = [(outdir / f"{k}.csv", df) for k, df in data.exports.items()]
        jobs += [(outdir / f"truth_{x}_{y}.csv", df) for (x, y), df in data.truth.items()]
        return [write_csv(df, path, group) for path, df in jobs]
