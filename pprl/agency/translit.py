"""Transliteration of Cyrillic and Arabic-script names into Latin, under several conventions.

The tables are data (``pprl/data/translit/*.json``, read through :mod:`pprl.token_rules`, which puts
their digests into the schema fingerprint); this module only interprets them, so the output depends
on those versioned files and on nothing of the system (no ICU). A Cyrillic table is a mapping
of one or two source letters to Latin text, with optional context overrides:

``initial`` (at the start of a word), ``final`` (at the end), ``between_vowels``, ``after_vowel``
(after a vowel or one of ``after_signs``), ``before_vowel``, ``after_consonant`` and ``before``
(``{letter: {"chars": ..., "out": ...}}``). Letters missing from a table come from its ``base`` table.
The Arabic table first normalises letter forms (``normalise``), then maps letters, with ``initial``
forms; the article ``al-`` is kept apart so name rules can drop it. Its output keeps only the letters
written in Arabic (consonants and long vowels): a vowel-agnostic skeleton such as ``mhmd``.

Input is expected in ``normalise_text`` form; output is normalised again (Latin diacritics folded,
Turkic letters such as ``ə ı ş ç ğ`` folded) so every variant is plain lowercase ASCII.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

from pprl.agency.normalise import normalise_text
from pprl.token_rules import check_tables, checked_tables, translit_table

# Latin letters typed by mistake inside Cyrillic words (same glyph), and the palochka's stand-ins.
_HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "k": "к",
               "m": "м", "t": "т", "b": "в", "h": "н", "3": "з"}
_PALOCHKA_STANDINS = set("il1|іӀ")
_PALOCHKA_AFTER = set("гкпхтцч")


def is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u052f"


def is_arabic(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\u08a0" <= ch <= "\u08ff"


@lru_cache(maxsize=1 << 16)
def script_of(word: str) -> str:
    """``"Cyrl"``, ``"Arab"`` or ``"Latn"``: the script of most of a word's letters (remembered: the
    same words are asked about again and again)."""
    cyr = arab = lat = 0
    for ch in word:
        if ch < "\x80":
            if ch.isalpha():
                lat += 1
        elif "\u0400" <= ch <= "\u052f":
            cyr += 1
        elif "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\u08a0" <= ch <= "\u08ff":
            arab += 1
    if arab and arab >= cyr and arab >= lat:
        return "Arab"
    if cyr and cyr >= lat:
        return "Cyrl"
    return "Latn"


@lru_cache(maxsize=None)
def _compiled(name: str) -> dict:
    table, _ = translit_table(name)
    merged: dict[str, str] = {}
    if table.get("base"):
        merged.update(_compiled(table["base"])["map"])
    merged.update(table.get("map", {}))
    return {
        "script": table["script"],
        "map": merged,
        "vowels": set(table.get("vowels", "")),
        "after_signs": set(table.get("after_signs", "")),
        "initial": table.get("initial", {}),
        "final": table.get("final", {}),
        "between_vowels": table.get("between_vowels", {}),
        "after_vowel": table.get("after_vowel", {}),
        "before_vowel": table.get("before_vowel", {}),
        "after_consonant": table.get("after_consonant", {}),
        "before": table.get("before", {}),
        "normalise": table.get("normalise", {}),
        "article": table.get("article", ""),
        "maxlen": max([len(k) for k in merged] + [1]),
        # keys with a context rule; every other key is one lookup in "map"
        "context_keys": frozenset(key for rules in ("initial", "final", "between_vowels", "after_vowel",
                                                    "before_vowel", "after_consonant", "before")
                                  for key in table.get(rules, {})),
    }


@lru_cache(maxsize=1 << 16)
def repair_cyrillic_word(word: str) -> str:
    """Fix Latin look-alikes typed inside a Cyrillic word, and the Chechen palochka typed as I, l or 1
    (remembered per word)."""
    if not any(is_cyrillic(ch) for ch in word) or script_of(word) != "Cyrl":
        return word
    out = []
    for i, ch in enumerate(word):
        prev = out[-1] if out else ""
        if ch in _PALOCHKA_STANDINS and ch != "і" and prev in _PALOCHKA_AFTER:
            out.append("ӏ")
        elif ch == "Ӏ":
            out.append("ӏ")
        elif ch in _HOMOGLYPHS:
            out.append(_HOMOGLYPHS[ch])
        elif ch == "i":
            out.append("і")
        else:
            out.append(ch)
    return "".join(out)


def _cyrillic_word(word: str, t: dict) -> str:
    out: list[str] = []
    vowels = t["vowels"]
    mapping = t["map"]
    context_keys = t["context_keys"]
    maxlen = t["maxlen"]
    i, n = 0, len(word)
    while i < n:
        for length in range(min(maxlen, n - i), 0, -1):
            key = word[i:i + length]
            if key not in context_keys:  # no context rule for this key: the plain mapping decides
                rule = mapping.get(key)
                if rule is not None:
                    out.append(rule)
                    i += length
                    break
                continue
            prev = word[i - 1] if i else ""
            nxt = word[i + length] if i + length < n else ""
            rule = None
            if nxt == "" and key in t["final"]:
                rule = t["final"][key]
            elif i == 0 and key in t["initial"]:
                rule = t["initial"][key]
            elif prev in vowels and nxt in vowels and prev and key in t["between_vowels"]:
                rule = t["between_vowels"][key]
            elif prev and (prev in vowels or prev in t["after_signs"]) and key in t["after_vowel"]:
                rule = t["after_vowel"][key]
            elif nxt and nxt in vowels and key in t["before_vowel"]:
                rule = t["before_vowel"][key]
            elif prev and is_cyrillic(prev) and prev not in vowels and key in t["after_consonant"]:
                rule = t["after_consonant"][key]
            elif key in t["before"] and nxt and nxt in t["before"][key]["chars"]:
                rule = t["before"][key]["out"]
            elif key in mapping:
                rule = mapping[key]
            if rule is not None:
                out.append(rule)
                i += length
                break
        else:  # not a letter of this table: kept as is (Latin, digits)
            out.append(word[i] if not is_cyrillic(word[i]) else "")
            i += 1
    return "".join(out)


@lru_cache(maxsize=1 << 16)
def _cyrillic_word_in(word: str, name: str) -> str:
    """``_cyrillic_word`` under the named table, of an already repaired word (remembered per word)."""
    return _cyrillic_word(word, _compiled(name))


def arabic_normalise(text: str) -> str:
    """Arabic letter normalisation: alef/hamza forms, ta marbuta kept, alef maqsura -> ya, Persian and
    Urdu letter forms -> Arabic ones, tatweel and harakat removed."""
    t = _compiled("arabic")
    text = normalise_text(text)
    return "".join(t["normalise"].get(ch, ch) for ch in text)


def _arabic_word(word: str, t: dict) -> str:
    word = "".join(t["normalise"].get(ch, ch) for ch in word)
    prefix = ""
    article = t["article"]
    if article and word.startswith(article) and len(word) > len(article) + 1:
        prefix, word = "al-", word[len(article):]
    out = []
    for i, ch in enumerate(word):
        if i == 0 and ch in t["initial"]:
            out.append(t["initial"][ch])
        elif ch in t["map"]:
            out.append(t["map"][ch])
        elif not is_arabic(ch):
            out.append(ch)
    return prefix + "".join(out)


def transliterate(text: str, table: str) -> str:
    """The raw output of one table for a normalised string (diacritics as the convention writes them).
    Letters of the other script are left as they are."""
    name = check_tables([table])[0]
    t = _compiled(name)
    words = []
    for word in normalise_text(text).split(" "):
        parts = []
        for piece in word.split("-"):
            if t["script"] == "Cyrl" and script_of(piece) == "Cyrl":
                parts.append(_cyrillic_word_in(repair_cyrillic_word(piece), name))
            elif t["script"] == "Arab" and any(is_arabic(ch) for ch in piece):
                parts.append(_arabic_word(piece, t))
            else:
                parts.append(piece)
        words.append("-".join(parts))
    return " ".join(words)


def latin_fold(text: str) -> str:
    """Normalised Latin form: diacritics stripped, Turkic/Azerbaijani letters folded (ə ı ş ç ğ ö ü)."""
    return normalise_text(text)


def romanisations(text: str, tables: Sequence[str]) -> list[str]:
    """All distinct romanised variants of ``text`` under the given tables, in table order, as folded
    lowercase Latin. Latin input passes through (folded); a table of another script than the text's
    contributes nothing; words of a second script are rendered by the first selected table of it."""
    return list(_romanisations(text, checked_tables(tuple(tables))))


@lru_cache(maxsize=1 << 15)
def _romanisations(text: str, names: tuple[str, ...]) -> tuple[str, ...]:
    text = normalise_text(text)
    if not text:
        return []
    has_cyr = any(is_cyrillic(ch) for ch in text)
    has_arab = any(is_arabic(ch) for ch in text)
    if not has_cyr and not has_arab:
        return [latin_fold(text)]
    by_script: dict[str, list[str]] = {"Cyrl": [], "Arab": []}
    for name in names:
        by_script[_compiled(name)["script"]].append(name)
    present = [s for s, flag in (("Cyrl", has_cyr), ("Arab", has_arab)) if flag and by_script[s]]
    results: list[str] = []
    for script in present:
        for name in by_script[script]:
            out = transliterate(text, name)
            for other in present:
                if other != script:
                    out = transliterate(out, by_script[other][0])
            out = "".join(ch for ch in latin_fold(out) if not (is_cyrillic(ch) or is_arabic(ch)))
            out = " ".join(out.split())
            if out and out not in results:
                results.append(out)
    return tuple(results)
