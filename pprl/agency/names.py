"""Person names: structure (parts, patronymics, gendered endings, particles), variants, and tokens.

A name value is a bag of parts in any order and any script. Each part is reduced to what stays the same
when the same person is written by another agency:

* Cyrillic parts are romanised under every selected convention (``pprl.agency.translit``); Latin parts pass
  through (folded); Arabic-script parts give a consonant skeleton.
* Every Latin form is reduced by ``canon`` (one spelling for the conventions' differences: kh/h, zh/j,
  iu/yu/ju/u, ia/ya/ja, w/v, ou/u, double letters, final h ...) and by ``skeleton`` (consonant classes
  only, vowel-agnostic: what Arabic script writes).
* With ``structure``: a patronymic (-ович/-овна, -ovich, -uly/-qyzy, oğlu/kyzy) becomes its father's
  given name; a gendered surname ending (-ов/-ова, -ев/-ева, -ин/-ина, -ский/-ская ...) is folded to the
  stem (Magomedova, Magomedov -> Magomed); ibn/bin/bint and the article al-/el- are dropped; abu + name,
  umm + name and abd + (al-)name become one part (Abd al-Rahman = Abdurakhman = Abdulrahman = عبد الرحمن).
* Arabic script: Russian surname and patronymic endings as Arabic writes them (-وفا, -ييف, -وفنا ...)
  are folded too; a leading alef-lam is read with and without the article (al-Jazrawi, Ilyas); ta
  marbuta reads -a and -at (Aishat); n-grams with a written long vowel are kept (all n-grams of a plene
  spelling, which writes a vowel letter for at least every second consonant). Skeleton classes
  follow what Arabic writes: p~b, v~w~f, g~h; n-grams fold o~u and e~i.
* Compounds (``structure`` and ``variants``): a given name written as one word is read as the two
  names other agencies write apart: Muhammad-/Nur- + name, name + -ali, -uddin, -ulla.
* With ``variants``: a part found in ``data/name_variants.csv`` (Magomed ~ Muhammad ~ محمد) is replaced
  by its group's key, so every spelling of it yields the same tokens.

Tokens of a part (kind-tagged, so kinds never collide; parts carry no role, so "child + father's given
name" meets "given + patronymic + surname"): ``v:`` variant group, ``w:`` whole canonical form, ``n:``
character n-grams of the canonical forms, ``c:`` consonant skeleton, ``s:`` skeleton bigrams, ``p:``
metaphone code. ``pprl.token_rules.NAMES_VERSION`` changes whenever these rules change.
"""

from __future__ import annotations

import csv
import io
import json
import re
from functools import lru_cache
from typing import Mapping

import jellyfish

from pprl import token_rules
from pprl.agency import translit
from pprl.agency.normalise import normalise_text

# ----------------------------------------------------------------------------------------------------
# particles (normalised spellings, all scripts)
_NASAB = {"ibn", "bin", "ben", "bint", "binti", "bent", "ibnu", "ibni", "ابن", "بن", "بنت", "ибн", "бин",
          "бинт", "бент"}
_ARTICLES = {"al", "el", "ul", "ال", "аль", "ал", "эль", "эл", "уль"}
_SUN_ARTICLES = {"ad", "ar", "as", "an", "at", "az", "ash", "ad", "ath", "ud", "ur", "us", "un", "ut", "uz",
                 "ush", "ed", "er", "es", "en", "et", "ez", "esh", "ад", "ар", "ас", "ан", "ат", "аз", "аш",
                 "уд", "ур", "ус", "ун", "ут", "уш"}
_ABU = {"abu", "abou", "abo", "ebu", "ابو", "абу"}
_UMM = {"umm", "um", "ummu", "om", "ام", "умм", "ум", "умму"}  # kunya "mother of": Umm Kulthum
_ABD = {"abd", "abdul", "abdel", "abdal", "abdol", "abdu", "abdur", "abdi", "abdoul", "عبد", "абд",
        "абдул", "абдель", "абду", "абдур"}
_SON = {"uly", "uli", "ulu", "ugli", "ogli", "oglu", "ogly", "oglou", "uulu", "ulu", "улы", "ұлы", "уулу",
        "оглы", "оглу", "угли", "огли", "улу"}
_DAUGHTER = {"kyzy", "qyzy", "qizi", "kizi", "gizi", "kyzi", "gyzy", "kizy", "кызы", "қызы", "гызы", "кизи",
             "кыз"}
_TURKIC_SUFFIXES_LAT = ("qyzy", "kyzy", "kizi", "qizi", "gizi", "uly", "uli", "ogly", "oglu", "ugli", "uulu")
_TURKIC_SUFFIXES_CYR = ("қызы", "кызы", "ұлы", "улы", "оглы", "оглу", "уулу")

# patronymics: (suffix, kind) where kind "e" restores a soft/vowel stem, "o" keeps the stem, "a" adds -а
_PATRONYMIC_CYR = (("евич", "e"), ("евна", "e"), ("ович", "o"), ("овна", "o"), ("инична", "a"),
                   ("ична", "a"), ("ич", "a"))
_PATRONYMIC_LAT = (("ewitsch", "e"), ("evitch", "e"), ("evich", "e"), ("evych", "e"), ("evic", "e"),
                   ("evna", "e"), ("owitsch", "o"), ("ovitch", "o"), ("ovich", "o"), ("ovych", "o"),
                   ("ovic", "o"), ("ovna", "o"), ("ichna", "a"), ("ichno", "a"))
_GENDERED_CYR = (("ская", "ский"), ("цкая", "цкий"), ("ской", "ский"), ("ова", ""), ("ёва", ""), ("ева", ""),
                 ("ов", ""), ("ёв", ""), ("ев", ""), ("ина", "ин"), ("ына", "ын"))
_GENDERED_LAT = (("skaya", "ski"), ("skaia", "ski"), ("skaja", "ski"), ("skiy", "ski"), ("skii", "ski"),
                 ("skij", "ski"), ("skyi", "ski"), ("sky", "ski"), ("ska", "ski"), ("yeva", ""), ("jeva", ""),
                 ("jewa", ""), ("ova", ""), ("owa", ""), ("eva", ""), ("ewa", ""), ("yev", ""), ("jev", ""),
                 ("jew", ""), ("off", ""), ("ov", ""), ("ow", ""), ("ev", ""), ("ew", ""), ("ina", "in"),
                 ("yna", "yn"))
# Russian surnames and patronymics as Arabic script writes them (-ova, -ov, -(i)eva, -(i)ev, -ina, -skaya,
# -ovich, -ovna ...): (suffix, replacement, shortest stem). Arabic given names do not end so (feminine
# names end in ta marbuta), but -if and -uf do (Sharif, Latif, Rauf, Maruf): those need a longer stem.
_PATRONYMIC_ARAB = (("وفيتش", ""), ("يفيتش", ""), ("وفيچ", ""), ("يفيچ", ""), ("وفتش", ""), ("يفتش", ""),
                    ("وفنا", ""), ("يفنا", ""), ("وفيتشا", ""))
_GENDERED_ARAB = (("سكايا", "سكي", 2), ("تسكايا", "تسكي", 2), ("وفا", "", 2), ("يفا", "", 2), ("وفه", "", 2),
                  ("يفه", "", 2), ("ينا", "ين", 3), ("وف", "", 3), ("ييف", "ي", 2), ("ايف", "ا", 2),
                  ("يف", "", 4))
_VOWELS_CYR = set("аеёиоуыэюяіїєәөүұ")
_VOWELS = set("aeiou")


# ----------------------------------------------------------------------------------------------------
# canonical spelling and consonant skeleton of a Latin form
_CANON_RULES = [(re.compile(a), b) for a, b in (
    (r"[^a-z]", ""),
    (r"schtsch|chtch|shch|shh|sch", "sh"), (r"tsch|tch", "ch"),
    (r"dzh|dsh|dj|dz", "j"), (r"zh", "z"),
    (r"kh", "h"), (r"gh", "g"), (r"ph", "f"), (r"th", "t"), (r"dh", "d"), (r"ck", "k"), (r"q", "k"),
    (r"w", "v"), (r"^x", "h"), (r"x", "ks"), (r"ou|oo", "u"), (r"ee", "i"), (r"tz", "ts"),
    (r"c(?=[eiy])", "ts"), (r"c(?!h)", "k"),
    (r"y", "i"),
    (r"(?<=[aeiou])j(?=[aeiou])|j$|j(?=[^aeiou])", "i"),
    (r"i{2,}", "i"),
    (r"(?<=[aeou])i(?=[aeou])", ""), (r"^j(?=[aeou])", "i"),
    (r"(?<=[aeiou])h$", ""),
    (r"(.)\1+", r"\1"),
)]
_ABD_ARTICLE = re.compile(r"^(?:[aeiou]?l|[aeiou])")
_SKELETON_RULES = [(re.compile(a), b) for a, b in (
    # Arabic script writes p as b, v as f (or w), ch/ts as tsh/ts; Russian writes Arabic h as g
    (r"sh|ch|ts", "s"), (r"p", "b"), (r"[vw]", "f"), (r"g", "h"), (r"[aeiou]", ""), (r"(.)\1+", r"\1"),
    (r"(?<=.)h$", ""),
)]


def canon(latin: str, structure: bool = True) -> str:
    """One spelling for a romanised name part (the conventions' differences reduced)."""
    text = latin
    for pattern, repl in _CANON_RULES:
        text = pattern.sub(repl, text)
    if structure and text.startswith("abd") and len(text) > 5:
        # abd + (article) + name: abdurahman, abdulrahman, abdalrahman, abdrahman -> abdrahman
        rest = text[3:]
        stripped = _ABD_ARTICLE.sub("", rest, count=1)
        if len(stripped) >= 3 and stripped not in ("lah", "la", "ala", "lah"):
            rest = stripped
        text = "abd" + rest
    return text


def skeleton(form: str) -> str:
    """Vowel-agnostic consonant classes of a canonical form (what Arabic script writes)."""
    text = form
    for pattern, repl in _SKELETON_RULES:
        text = pattern.sub(repl, text)
    return text


# ----------------------------------------------------------------------------------------------------
# the variant table
@lru_cache(maxsize=1)
def _variant_rows() -> tuple[tuple[str, tuple[str, ...]], ...]:
    rows = []
    reader = csv.DictReader(io.StringIO(token_rules.variant_table().decode("utf-8")))
    for row in reader:
        group = normalise_text(row["group"]).replace(" ", "")
        spellings = [s.strip() for s in row["variants"].split("|") if s.strip()]
        rows.append((group, tuple(spellings)))
    return tuple(rows)


def _index_add(index: dict, key: str, group: str, strong: bool) -> None:
    """Add key -> group. A key two groups claim at the same strength is ambiguous (-> None); Latin and
    Arabic spellings (strong) override keys that only a Cyrillic spelling's romanisation gives (weak)."""
    if not key:
        return
    old = index.get(key)
    if old is None and key not in index:
        index[key] = (group, strong)
    elif old is not None and old[0] != group:
        if strong and not old[1]:
            index[key] = (group, strong)
        elif strong == old[1]:
            index[key] = None


@lru_cache(maxsize=1)
def _variant_index() -> tuple[dict, dict]:
    """(canonical form -> group, Arabic spelling -> group); ambiguous keys -> None. (Other Arabic-script
    spellings are found by how they read: ``_arabic_group``.)"""
    by_canon: dict = {}
    by_arabic: dict = {}
    cyr_tables = [t for t in token_rules.available_tables() if t != "arabic"]
    for group, spellings in _variant_rows():
        for spelling in (group, *spellings):
            words, _ = _structured_words(spelling)
            text = "".join(words)
            script = translit.script_of(text)
            if script == "Arab":
                _index_add(by_arabic, text, group, True)
                continue
            strong = script == "Latn"
            forms = translit.romanisations(text, cyr_tables) if script == "Cyrl" else [text]
            for form in forms:
                c = canon(form.replace(" ", "").replace("-", ""))
                _index_add(by_canon, c, group, strong)
    return tuple({k: (v[0] if v else None) for k, v in index.items()}
                 for index in (by_canon, by_arabic))


@lru_cache(maxsize=1)
def _readings() -> dict:
    return json.loads(token_rules.arabic_readings().decode("utf-8"))


_DOUBLE = re.compile(r"(.)\1+")
_DOUBLE_CONSONANT = re.compile(r"([^وي])\1+")  # a doubled waw or ya is two sounds (-iy, -uv)


def _latin_key(text: str) -> str:
    """A folded Latin spelling as Arabic readings are matched against it: letters only, doubled
    letters once (Arabic script writes a doubled consonant once)."""
    return _DOUBLE.sub(r"\1", "".join(ch for ch in translit.latin_fold(text) if "a" <= ch <= "z"))


@lru_cache(maxsize=1)
def _group_spellings() -> tuple[tuple[str, str], ...]:
    """(Latin key, group) of every Latin spelling in the variant table and of every romanisation of its
    Cyrillic spellings."""
    cyr_tables = [t for t in token_rules.available_tables() if t != "arabic"]
    found: dict[tuple[str, str], None] = {}
    for group, spellings in _variant_rows():
        for spelling in (group, *spellings):
            text = normalise_text(spelling)
            script = translit.script_of(text.replace(" ", "").replace("-", ""))
            if script == "Arab":
                continue
            forms = translit.romanisations(text, cyr_tables) if script == "Cyrl" else [text]
            for form in forms:
                key = _latin_key(form.replace("x", "kh") if script == "Cyrl" else form)
                if len(key) >= 2:
                    found[(key, group)] = None
    return tuple(found)


@lru_cache(maxsize=1)
def _spelling_trie() -> dict:
    """The Latin keys of ``_group_spellings`` as a trie: letter -> node; a node's ``""`` holds the
    groups of the keys that end there."""
    root: dict = {}
    for key, group in _group_spellings():
        node = root
        for ch in key:
            node = node.setdefault(ch, {})
        node.setdefault("", set()).add(group)
    return root


@lru_cache(maxsize=1 << 14)
def _arabic_slots(word: str) -> tuple[tuple[str, ...], ...] | None:
    """The Latin readings of each letter of a normalised Arabic-script word (a doubled letter once, an
    initial alef + ya/waw as one letter), or None for a word with another character."""
    table = _readings()
    word = _DOUBLE_CONSONANT.sub(r"\1", word)
    letters: list[str] = list(word)
    if len(word) > 2 and word[:2] in table["initial_pairs"]:
        letters = [word[:2], *word[2:]]
    slots = []
    for i, ch in enumerate(letters):
        if i == 0 and ch in table["initial_pairs"]:
            options = table["initial_pairs"][ch]
        elif i == 0 and ch in table["initial"]:
            options = table["initial"][ch]
        elif i == len(letters) - 1 and i > 0 and ch in table["final"]:
            options = table["final"][ch]
        elif ch in table["letters"]:
            options = table["letters"][ch]
        else:
            return None
        slots.append(tuple(sorted({_DOUBLE.sub(r"\1", o) for o in options})))
    return tuple(slots)


@lru_cache(maxsize=1 << 16)
def _arabic_group(word: str) -> str | None:
    """The one variant group with a Latin spelling that reads as this Arabic-script word (its letters in
    order, each as one of its readings, with at most ``between`` unwritten short vowels between two
    letters); None when no group or several do."""
    if len(word) < 2:
        return None
    slots = _arabic_slots(word)
    if slots is None:
        return None
    table = _readings()
    vowels, (low, high) = table["short_vowels"], table["between"]
    found: set[str] = set()
    seen: set[tuple] = set()

    def letter(node: dict, s: int) -> None:  # read slot s from node
        if (id(node), s) in seen:
            return
        seen.add((id(node), s))
        for reading in slots[s]:
            n = node
            for ch in reading:
                n = n.get(ch)
                if n is None:
                    break
            if n is not None:
                gap(n, s + 1, 0)

    def gap(node: dict, s: int, used: int) -> None:  # after slot s - 1: short vowels, then slot s
        if (id(node), s, used) in seen:
            return
        seen.add((id(node), s, used))
        if s == len(slots):
            for tail in table["after_last"]:
                n = node.get(tail) if tail else node
                if n is not None and n.get(""):
                    found.update(n[""])
            return
        if used >= low:
            letter(node, s)
        if used < high:
            for v in vowels:
                if v in node:
                    gap(node[v], s, used + 1)

    letter(_spelling_trie(), 0)
    return found.pop() if len(found) == 1 else None


# ----------------------------------------------------------------------------------------------------
class _Part:
    """One name part reduced: variant group, canonical Latin forms, consonant skeletons."""

    __slots__ = ("group", "forms", "skeletons", "sounds")

    def __init__(self, group: str | None, forms: set[str], skeletons: set[str],
                 sounds: set[str] | None = None) -> None:
        # sounds: forms only good for a phonetic code (Arabic script writes long vowels only)
        self.group, self.forms, self.skeletons = group, forms, skeletons
        self.sounds = set(forms) if sounds is None else sounds

    @staticmethod
    def of(word: str, opts: Mapping) -> "_Part":
        return _part_of(word, opts["tables"], opts["variants"], opts["structure"])

    @staticmethod
    def known(group: str) -> "_Part":
        form = canon(group)
        return _Part(group, {form}, {skeleton(form)} - {""})


@lru_cache(maxsize=1 << 15)
def _part_of(word: str, tables: tuple[str, ...], variants: bool, structure: bool) -> _Part:
    """The reduced form of one name part (remembered: parts repeat across records and fields)."""
    script = translit.script_of(word)
    if script == "Arab":
        if "arabic" not in tables:
            return _Part(None, set(), set())
        normal = translit.arabic_normalise(word)
        # a leading al- is the article (al-Jazrawi) or the name's own letters (Ilyas, Alina, Alikhan
        # written with alef-lam): both readings
        normals = [normal]
        if structure and normal.startswith("ال") and len(normal) > 3:
            normals.append(normal[2:])
        rom: list[str] = []
        for text in normals:
            rom += translit.romanisations(text, ["arabic"])
            if text.endswith("ة") and len(text) > 2:
                # ta marbuta: -a, or -at as Caucasian and Turkic spellings keep it (Aishat, Shamsiyat)
                rom += translit.romanisations(text[:-1] + "ت", ["arabic"])
        rom = [r.replace(" ", "").replace("-", "") for r in dict.fromkeys(rom)]
        skel = {skeleton(canon(r, structure)) for r in rom}
        skel.discard("")
        group = None
        if variants:
            by_arabic = _variant_index()[1]
            # by spelling, else by how its letters read (the consonant skeleton alone named wrong
            # groups: ياسمين is no Usman)
            group = next((by_arabic[t] for t in normals if by_arabic.get(t)), None) or next(
                (g for g in map(_arabic_group, normals) if g), None)
        if group:
            return _Part.known(group)
        return _Part(None, set(), skel, {canon(r, structure) for r in rom})
    if script == "Cyrl":
        cyr = [t for t in tables if t != "arabic"]
        # in a romanisation of Cyrillic, x is always х (GOST 7.79 B, scientific): kh, never ks
        latin = [f.replace("x", "kh") for f in translit.romanisations(word, cyr)] if cyr else []
    else:
        latin = translit.romanisations(word, [])
    forms = [canon(f.replace(" ", "").replace("-", ""), structure) for f in latin]
    forms = [f for f in dict.fromkeys(forms) if f]
    if variants:
        by_canon = _variant_index()[0]
        hits = [by_canon[f] for f in forms if by_canon.get(f)]
        if hits:
            group = max(sorted(set(hits)), key=hits.count)
            return _Part.known(group)
    return _Part(None, set(forms), {skeleton(f) for f in forms if skeleton(f)})


_GRAM_VOWELS = str.maketrans("oe", "ui")


def _gram_form(form: str) -> str:
    """The form n-grams are taken of: o/u and e/i as one vowel each (Arabic script writes both as one
    letter, and clerks confuse them)."""
    return form.translate(_GRAM_VOWELS)


def _ngrams(text: str, n: int) -> set[str]:
    if n == 1:
        return set(text)
    padded = f"^{text}$"
    return {padded[i:i + n] for i in range(len(padded) - n + 1)}


def _part_tokens(part: _Part, opts: Mapping) -> set[str]:
    tokens: set[str] = set()
    if part.group:
        tokens.add(f"v:{part.group}")
    for form in part.forms:
        tokens.add(f"w:{form}")
        tokens.update(f"n:{g}" for g in _ngrams(_gram_form(form), opts["ngram"]))
    if not part.forms and part.sounds:
        # Arabic script: n-grams with a written (long) vowel are the ones a Latin spelling shares - unless
        # the spelling is plene (a vowel letter for at least every second consonant, as foreign and
        # Russian names are written: غايربيكوف), whose reading is the whole name
        for form in part.sounds:
            vowels = sum(ch in _VOWELS for ch in form)
            plene = 2 * vowels >= len(form) - vowels
            tokens.update(f"n:{g}" for g in _ngrams(_gram_form(form), opts["ngram"])
                          if plene or _VOWELS.intersection(g))
    if opts["phonetic"]:
        for form in part.sounds:
            code = jellyfish.metaphone(form)
            if code:
                tokens.add(f"p:{code}")
    for skel in part.skeletons:
        tokens.add(f"c:{skel}")
        tokens.update(f"s:{g}" for g in _ngrams(skel, min(opts["ngram"], 2)))
    return tokens


# ----------------------------------------------------------------------------------------------------
# structure
def _split(value: str) -> list[tuple[str, bool]]:
    """Normalised words of a value, each with "was joined to the next by a hyphen"."""
    words: list[tuple[str, bool]] = []
    for chunk in normalise_text(value).split():
        words.extend(_split_chunk(chunk))
    return words


@lru_cache(maxsize=1 << 16)
def _split_chunk(chunk: str) -> tuple[tuple[str, bool], ...]:
    """The words of one normalised chunk (remembered: the same words come back in many values)."""
    words: list[tuple[str, bool]] = []
    pieces = [p for p in chunk.split("-") if p]
    for i, piece in enumerate(pieces):
        script = translit.script_of(piece)
        if script == "Cyrl":
            piece = translit.repair_cyrillic_word(piece)
        elif script == "Arab":
            piece = translit.arabic_normalise(piece)
        words.append((piece, i < len(pieces) - 1))
    return tuple(words)


def _is_content(word: str) -> bool:
    letters = [ch for ch in word if ch.isalpha()]
    return len(letters) >= 2 or (len(letters) == 1 and translit.script_of(word) == "Arab")


def _strip_arabic_article(word: str) -> str:
    if word.startswith("ال") and len(word) > 3:
        return word[2:]
    return word


def _turkic_suffix(word: str) -> str | None:
    suffixes = _TURKIC_SUFFIXES_CYR if translit.script_of(word) == "Cyrl" else _TURKIC_SUFFIXES_LAT
    for suffix in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return None


def _patronymic_stem(word: str) -> str | None:
    if translit.script_of(word) == "Arab":
        for suffix, replacement in _PATRONYMIC_ARAB:
            if word.endswith(suffix) and len(word) - len(suffix) >= 2 and not word.startswith("عبد"):
                return word[: -len(suffix)] + replacement
        return None
    if translit.script_of(word) == "Cyrl":
        for suffix, kind in _PATRONYMIC_CYR:
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                stem = word[: -len(suffix)]
                if kind == "e":
                    if stem.endswith("ь"):
                        return stem[:-1] + "ий"
                    if stem[-1] in _VOWELS_CYR:
                        return stem + "й"
                    return stem
                if kind == "a":
                    if suffix == "ич" and (stem.endswith("ов") or stem.endswith("ев")):
                        return None
                    return stem + "а"
                return stem
        return None
    if translit.script_of(word) != "Latn":
        return None
    for suffix, kind in _PATRONYMIC_LAT:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            stem = word[: -len(suffix)]
            if kind == "e" and stem[-1] in _VOWELS:
                return stem + "i"
            if kind == "a":
                return stem + "a"
            return stem
    return None


def _gender_stem(word: str) -> str | None:
    found = _gender_rule(word)
    return found[0] if found else None


def _gender_rule(word: str) -> tuple[str, bool] | None:
    """(stem, the stem is a name: -ов/-ова/-ев/-ева take a given name's stem, -ин/-ский keep a
    surname's) of a word with a gendered surname ending, or None."""
    if translit.script_of(word) == "Arab":
        if word.startswith("عبد"):  # abd + name: an Arabic name, never a Russian surname
            return None
        for suffix, replacement, shortest in _GENDERED_ARAB:
            if word.endswith(suffix) and len(word) - len(suffix) >= shortest:
                return word[: -len(suffix)] + replacement, replacement in ("", "ي", "ا")
        return None
    rules = _GENDERED_CYR if translit.script_of(word) == "Cyrl" else (
        _GENDERED_LAT if translit.script_of(word) == "Latn" else ())
    for suffix, replacement in rules:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            return word[: -len(suffix)] + replacement, replacement == ""
    return None


def _structured_words(value: str) -> tuple[list[str], str | None]:
    """Name parts after the structure rules, and the father's given name if a patronymic names one."""
    words, father, _ = _structured_words_with_roles(value)
    return words, father


def _structured_words_with_roles(value: str) -> tuple[list[str], str | None, set[int]]:
    """As ``_structured_words``, plus the indices of the words that name an ancestor (after ibn/bin/bint,
    before uly/kyzy/oglu)."""
    raw = _split(value)
    words: list[str] = []
    father: str | None = None
    ancestors: set[int] = set()
    i = 0
    while i < len(raw):
        word, hyphen_next = raw[i]
        if word in _NASAB:
            ancestors.add(len(words))
            i += 1
            continue
        if word in _ARTICLES or (hyphen_next and word in _SUN_ARTICLES):
            i += 1
            continue
        if word in _SON or word in _DAUGHTER:
            if words and father is None:
                father = words[-1]
            if words:
                ancestors.add(len(words) - 1)
            i += 1
            continue
        if (word in _ABU or word in _UMM or word in _ABD) and i + 1 < len(raw):
            j = i + 1
            while j < len(raw) and (raw[j][0] in _ARTICLES or (raw[j][1] and raw[j][0] in _SUN_ARTICLES)):
                j += 1
            if j < len(raw):
                nxt = raw[j][0]
                if translit.script_of(nxt) == "Arab":
                    nxt = _strip_arabic_article(nxt)
                joined = ("abd" if word in _ABD and translit.script_of(word) == "Latn" else word) + nxt
                if word in _ABD and translit.script_of(word) == "Arab":
                    joined = "عبد" + nxt
                words.append(joined)
                i = j + 1
                continue
        words.append(word)  # an Arabic al- stays: _part_of reads the word with and without it
        i += 1
    return words, father, ancestors


def _reduce_word(word: str, opts: Mapping) -> tuple[str, bool]:
    """(reduced word, is a patronymic): patronymic -> father's name; gendered ending -> stem."""
    if not opts["structure"]:
        return word, False
    if opts["variants"] and _known_as_is(word, opts):
        return word, False
    stem = _patronymic_stem(word) or _turkic_suffix(word)
    if stem:
        return stem, True
    # a known given name (Amina, Marina) was returned above; any other -ова/-ина word is folded
    stem = _gender_stem(word)
    if stem:
        return stem, False
    return word, False


def variant_group_known(word: str, opts: Mapping) -> bool:
    return _Part.of(word, opts).group is not None


def _known_as_is(word: str, opts: Mapping) -> bool:
    """A known name that the structure rules must leave whole (Amina, Marina: not -ина surnames).
    An Arabic-script word known only by how its letters read (not by its spelling) is left whole
    only when its stem without a surname or patronymic ending is not a known name itself (عمروف
    reads as Maruf, but is Omarov: Umar + -ov)."""
    if not variant_group_known(word, opts):
        if translit.script_of(word) == "Arab" or _near_known(word, opts) is None:
            return False
        # one slip from a known name (Stbina: Sabina), not a surname of a known name (Ibragmiov)
        stem = _patronymic_stem(word) or _turkic_suffix(word) or _gender_stem(word)
        return not (stem and (variant_group_known(stem, opts) or _near_known(stem, opts)))
    if translit.script_of(word) != "Arab" or _variant_index()[1].get(word):
        return True
    stem = _patronymic_stem(word) or _turkic_suffix(word) or _gender_stem(word)
    return not (stem and variant_group_known(stem, opts))


def _near_known(word: str, opts: Mapping) -> str | None:
    """The variant group one slip away from an unknown word (see ``_near_group``), or None."""
    part = _Part.of(word, opts)
    if part.group is not None or not part.forms:
        return None
    return _near_group(tuple(sorted(part.forms)))


def patronymic_father(value: str) -> str | None:
    """The father's given name recovered from a patronymic in a full name (normalised, in the script
    of the value), or None when the value has no patronymic."""
    words, father = _structured_words(value)
    if father:
        return father
    for word in words:
        stem = _patronymic_stem(word) or _turkic_suffix(word)
        if stem:
            return stem
    return None


def name_tokens(value: str, options: Mapping) -> frozenset[str]:
    """The token set of one person-name value (empty when the value holds no name)."""
    opts = token_rules.name_options(options)
    if opts["structure"]:
        words, _ = _structured_words(value)
    else:
        words = [w for w, _ in _split(value)]
    key = (opts["tables"], opts["variants"], opts["ngram"], opts["phonetic"], opts["structure"])
    tokens: set[str] = set()
    for word in words:
        if _is_content(word):
            tokens |= _word_tokens(word, key)
    return frozenset(tokens)


def name_components(value: str, options: Mapping) -> dict[str, frozenset[str]]:
    """Tokens of all name parts (component ``""``), of the parts that look like the person's own
    given names (component ``"given"``: not a patronymic, not a surname with a gendered ending, not
    an ancestor's name after ibn/bin/bint) and of the other parts (component ``"family"``). Siblings
    share surname, patronymic and parents; the given name is what tells them apart, so it gets a
    filter of its own, and so may the rest. Any may be empty (missing)."""
    opts = token_rules.name_options(options)
    if not opts["structure"]:
        return {"": name_tokens(value, options), "given": frozenset(), "family": frozenset()}
    words, _, ancestors = _structured_words_with_roles(value)
    key = (opts["tables"], opts["variants"], opts["ngram"], opts["phonetic"], opts["structure"])
    every: set[str] = set()
    given: set[str] = set()
    family: set[str] = set()
    for index, word in enumerate(words):
        found = _word_roles(word, key)
        if found is None:  # not a content word
            continue
        tokens, looks_given = found
        every |= tokens
        if looks_given and index not in ancestors:
            given |= tokens
        else:
            family |= tokens
    return {"": frozenset(every), "given": frozenset(given), "family": frozenset(family)}


@lru_cache(maxsize=1 << 16)
def _word_roles(word: str, key: tuple) -> tuple[frozenset[str], bool] | None:
    """(tokens, looks like a given name) of a content word, None for another word (remembered)."""
    if not _is_content(word):
        return None
    opts = dict(zip(("tables", "variants", "ngram", "phonetic", "structure"), key))
    return _word_tokens(word, key), _looks_given(word, opts)


def _looks_given(word: str, opts: Mapping) -> bool:
    """A known given name, or a word that is neither a patronymic nor a gendered surname."""
    if opts["variants"] and _known_as_is(word, opts):
        return True
    return not (_patronymic_stem(word) or _turkic_suffix(word) or _gender_stem(word))


@lru_cache(maxsize=1 << 15)
def _word_tokens(word: str, key: tuple) -> frozenset[str]:
    opts = dict(zip(("tables", "variants", "ngram", "phonetic", "structure"), key))
    reduced, _ = _reduce_word(word, opts)
    part = _Part.of(reduced, opts)
    # a slip is looked for in a word as written, a patronymic's or an -ov/-ev surname's name, not in
    # the stem of an -in/-sky surname (Zalina is no Zalin-a, and Zalin no slip of Salim)
    rule = _gender_rule(word) if reduced != word else None
    near_ok = not (rule and rule[0] == reduced and not rule[1])
    # surnames and patronymics (reduced by the structure rules) are one word in every script
    if opts["structure"] and opts["variants"] and reduced == word:
        pieces = _compound_pieces(part)
        if pieces:
            tokens: set[str] = set()
            for piece in pieces:
                tokens |= _part_tokens(_Part.of(piece, opts), opts)
            return frozenset(tokens)
    if opts["variants"] and part.group is None and part.forms and near_ok:
        group = _near_group(tuple(sorted(part.forms)))
        if group:
            # a slip keeps its own spelling's tokens and gains the name's: nearer to the name than
            # before, but not the same as the name (Zarina, Zalina)
            known = _Part.known(group)
            part = _Part(group, part.forms | known.forms, part.skeletons | known.skeletons)
    return frozenset(_part_tokens(part, opts))


#: Shortest canonical form that a one-letter slip may take to a known name (shorter names are too
#: close to each other: Ali, Aza, Isa).
_NEAR_MIN = 5


@lru_cache(maxsize=1)
def _deletion_index() -> dict[str, tuple[str, ...]]:
    """Every canonical form of a known name (unambiguous), and every string one letter shorter, ->
    the forms it comes from (a symmetric-deletion index for edit distance 1)."""
    index: dict[str, set[str]] = {}
    for form, group in _variant_index()[0].items():
        if group is None or len(form) < _NEAR_MIN - 1:
            continue
        for key in {form} | {form[:i] + form[i + 1:] for i in range(len(form))}:
            index.setdefault(key, set()).add(form)
    return {k: tuple(sorted(v)) for k, v in index.items()}


@lru_cache(maxsize=1 << 16)
def _near_group(forms: tuple[str, ...]) -> str | None:
    """The one variant group with a known spelling one slip (a letter added, dropped, changed, or two
    neighbours swapped) from each of these canonical forms (the romanisations of one word: a slip is
    in the word, not in one convention's rendering of it); None when none or several groups are."""
    index, by_canon = _deletion_index(), _variant_index()[0]
    found: set[str] = set()
    for form in forms:
        if len(form) < _NEAR_MIN:
            return None
        groups = set()
        for key in {form} | {form[:i] + form[i + 1:] for i in range(len(form))}:
            for known in index.get(key, ()):
                if jellyfish.damerau_levenshtein_distance(form, known) <= 1:
                    groups.add(by_canon[known])
        if len(groups) != 1 or (found and groups != found):
            return None
        found = groups
    return found.pop() if found else None


# Arabic compound names that one agency writes as one word and another as two (Muhammad Ali /
# Мухаммадали, Nur Muhammad / Нурмагомед, Salah al-Din / Салахуддин, Asad Allah / Asadulla): the
# word is read as its two names. Only these patterns: -bek, -khan compounds are written as one word
# in every script.
_DIN = re.compile(r"(?P<a>[a-z]{3,}?)[uie]din")  # -uddin, -iddin, -eddin (not Muradin, Borodin)
_ALLAH = re.compile(r"(?P<a>[a-z]{3,}?)ula")  # -ulla(h) (not Jamila, Tamila)
_COMPOUND_HEADS = ("muhammad", "nur")  # variant groups that begin compound names


def _compound_pieces(part: _Part) -> tuple[str, ...] | None:
    """The two names of a compound name part (canonical Latin), or None."""
    forms = sorted(part.forms) if part.group is None else [canon(part.group)]
    for form in forms:
        pieces = _split_compound(form)
        if pieces:
            return pieces
    return None


@lru_cache(maxsize=1 << 14)
def _split_compound(form: str) -> tuple[str, str] | None:
    if form.startswith("abd") or len(form) < 6:
        return None
    by_canon = _variant_index()[0]
    m = _DIN.fullmatch(form)
    if m:
        return m["a"], "din"
    m = _ALLAH.fullmatch(form)
    if m:
        return m["a"], "allah"
    if form.endswith("ali"):
        head = form[:-3]
        for cand in (head, head + "a"):
            if by_canon.get(cand):
                return cand, "ali"
    for i in range(3, len(form) - 2):
        head, rest = form[:i], form[i:]
        group = by_canon.get(head)
        if group in _COMPOUND_HEADS and len(rest) >= 4 and (group == "muhammad" or by_canon.get(rest)):
            return head, rest
    return None


def dice(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> float:
    """Dice coefficient of two token sets (what the Bloom filters approximate)."""
    if not a and not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))
