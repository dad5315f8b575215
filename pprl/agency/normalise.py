"""Unicode normalisation shared by every field type.

``normalise_text`` is pure, deterministic and idempotent (``f(f(x)) == f(x)``):

1. NFKC (compatibility forms, Arabic presentation forms, full-width letters), then case folding.
2. Latin letters lose their diacritics; letters that are not "a Latin letter plus a mark" are folded to
   ASCII by a fixed table (``ß``->``ss``, ``ı``->``i``, ``ə``->``a``, ``ł``->``l`` ...). Caron and cedilla
   letters become the digraphs they stand for in the romanisations we meet (``š``->``sh``, ``ž``->``zh``,
   ``č``->``ch``, ``ş``->``sh``, ``ç``->``ch``), so ISO 9 / scientific / Turkic spellings meet ICAO ones.
3. Cyrillic keeps its letters: ``й``, ``ў``, ``ї`` stay (the breve and diaeresis are part of the letter),
   ``ё`` becomes ``е`` (Russian lists write either); stress accents and other marks are dropped.
4. Arabic keeps its letters (hamza forms too); harakat, superscript alef and tatweel are dropped.
5. Apostrophes, quotes and modifier letters (``'`` ``ʼ`` ``ʻ`` ``ʹ`` ``ʺ`` `````...) are removed so
   ``O'Brien``/``Obrien`` and ``Natal'ya``/``Natalya`` meet; every dash is one ASCII ``-`` kept only
   between two word characters; other punctuation and symbols become spaces; whitespace is collapsed.

Only the Python standard library's Unicode database is used, whose decompositions of these letters are
stable across versions; the folding tables below are versioned by ``pprl.token_rules.NORMALISE_VERSION``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters folded before diacritics are stripped (applied after case folding).
_LATIN_SPECIAL = {
    "ß": "ss", "ẞ": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th",
    "ı": "i", "ə": "a", "ǝ": "a", "ŋ": "n", "ħ": "h", "ĸ": "k", "ſ": "s", "ɨ": "i", "ɪ": "i",
    "š": "sh", "ž": "zh", "č": "ch", "ŝ": "shch", "ş": "sh", "ș": "sh", "ç": "ch", "ţ": "t", "ț": "t",
    "ǧ": "g", "ǯ": "dzh",
}
_APOSTROPHES = "'’‘‛`´ʹʺʻʼʽʾʿˈˊˋ′″\"“”„«»‹›"
_DASHES = "-‐‑‒–—―−⁃﹘﹣－_"
_CYRILLIC_KEPT_MARKS = {"\u0306", "\u0308"}  # breve (й ў), diaeresis (ї ӧ ӱ); not on е (ё -> е)
_ARABIC_DROPPED = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_SPACES = re.compile(r"\s+")
_DASH_RUN = re.compile(r"-{2,}")


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u052f" or "\u1c80" <= ch <= "\u1c8f" or "\ua640" <= ch <= "\ua69f"


def _is_arabic(ch: str) -> bool:
    return ("\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\u08a0" <= ch <= "\u08ff"
            or "\ufb50" <= ch <= "\ufdff" or "\ufe70" <= ch <= "\ufeff")


def _strip_marks(text: str) -> str:
    out: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) or unicodedata.category(ch) == "Mn":
            if _is_cyrillic(base) and ch in _CYRILLIC_KEPT_MARKS and base not in "еЕ":
                out.append(ch)
            elif _is_arabic(base):
                out.append(ch)
            continue
        base = ch
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


_TRANSLATE = {ord(c): "" for c in _APOSTROPHES}
_TRANSLATE.update({ord(c): "-" for c in _DASHES})


def _fold_char(ch: str) -> str:
    if ch.isalnum() or ch == "-" or ch == " ":
        return ch
    if unicodedata.category(ch) in ("Mn", "Mc"):  # kept Cyrillic/Arabic marks
        return ch
    return " "


@lru_cache(maxsize=1 << 15)
def normalise_text(s: str) -> str:
    """Normalise one value for comparison (see the module docstring). Pure and idempotent
    (and remembered: the same names and words come back again and again)."""
    text = s
    for _ in range(4):  # the steps interact (case folding may un-normalise); stop at the fixed point
        result = _normalise_once(text)
        if result == text:
            break
        text = result
    return text


def _normalise_once(s: str) -> str:
    """One pass of the steps, word by word: every step maps ``a + " " + b`` to ``f(a) + " " + f(b)``
    (the space is a starter that no Unicode normalisation form composes with, changes or moves past;
    the other steps work character by character or word by word), so the space-separated pieces of a
    value are normalised, and remembered, on their own."""
    if " " not in s:
        return _normalise_piece(s)
    return " ".join(piece for piece in map(_normalise_piece, s.split(" ")) if piece)


_LATIN_SPECIAL_TABLE = str.maketrans(_LATIN_SPECIAL)


def _ascii_table() -> dict[int, str]:
    """Step 5 and the folding of other punctuation into spaces, for ASCII text in one ``str.translate``."""
    table = {}
    for code in range(128):
        ch = chr(code)
        table[code] = "" if ch in _APOSTROPHES else "-" if ch in _DASHES else _fold_char(ch)
    return table


_ASCII_TABLE = _ascii_table()


@lru_cache(maxsize=1 << 16)
def _normalise_piece(s: str) -> str:
    return _ascii_piece(s) if s.isascii() else _unicode_piece(s)


def _ascii_piece(s: str) -> str:
    """:func:`_unicode_piece` for ASCII text, where NFKC, NFC, the letter tables and the marks are
    the identity and case folding is ``lower()`` (a test checks that the two agree)."""
    return _words(s.lower().translate(_ASCII_TABLE))


def _words(text: str) -> str:
    # a dash survives only between two word characters: "al-rahman" stays, "a - b" -> "a b"
    words = (_DASH_RUN.sub("-", word).strip("-") for word in text.split())
    return " ".join(word for word in words if word)


def _unicode_piece(s: str) -> str:
    text = unicodedata.normalize("NFKC", s).casefold()
    text = text.translate(_LATIN_SPECIAL_TABLE)
    text = _strip_marks(text)
    text = _ARABIC_DROPPED.sub("", text)
    text = text.translate(_LATIN_SPECIAL_TABLE)
    text = text.translate(_TRANSLATE)
    text = _words("".join(_fold_char(ch) for ch in text))
    # a last NFC pass keeps the result stable under a second application
    return unicodedata.normalize("NFC", text)
