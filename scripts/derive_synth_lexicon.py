"""Derive the synthetic generator's real-name data from the Wikidata transliteration lexicon.

Run once, by hand (nothing at run time reads the lexicon)::

    .venv/bin/python scripts/derive_synth_lexicon.py /work/shared/data/wikidata-translit

Source: Merhav & Ash, "Design Challenges in Named Entity Transliteration" (COLING 2018),
steveash/NETransliteration-COLING2018 @5d5f59e, ``data/wd_russian_80`` and ``data/wd_arabic_80``:
the 80 % training split only (the ``_20`` files are a held-out test and are never read), lines
``latin<TAB>t o k e n<TAB>count``, only those with count >= 2. Licence CC0 1.0, so the derived files
may be shipped. Writes into ``pprl/data/synth/``:

* ``other_origins.csv`` - ``origin, part, sex, cyrillic, cyrillic_variants, weight``: given names and
  surnames of English, German, Polish, Japanese, Georgian, Armenian and Chinese origin as
  Russian-language Wikidata writes them. Given names (and the Chinese and the common English, German
  and Japanese surnames) are chosen from the lists below by their Latin spelling; Polish, Georgian and
  Armenian surnames by their endings in both scripts (-ский/-ski, -швили/-shvili, -ян/-yan), Japanese ones by Polivanov/Hepburn shape and
  ending. ``cyrillic`` is the Cyrillic token that writes the chosen Latin spelling most often;
  ``cyrillic_variants`` other Cyrillic tokens of the same spelling (Вильям beside Уильям: names
  written by ear); ``weight`` the square root of the spelling's count (popularity, flattened).
* ``lexicon_spellings.csv`` - ``script, token, latin, count``: the real Latin spellings of every
  Cyrillic token of ``other_origins.csv``, of every Cyrillic token of the generator's own vocabulary
  (given names, surnames, patronymics and feminine forms, those made from ``other_origins.csv``
  included: the vocabulary is read from ``pprl.tools.synth``, so after a change of the names run the
  script twice; the second run reproduces its output) and of every word of its Arabic-script name
  forms, as far as the lexicon has them. Spellings under 3 % of a token's count, or unlike its most frequent spelling
  (difflib ratio below 0.5 without diacritics: translations, mis-alignments), are left out.
"""

from __future__ import annotations

import collections
import csv
import difflib
import math
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "pprl" / "data" / "synth"

GIVEN = {
    "english": {
        "M": "john david robert james michael william richard thomas paul mark jack george charles edward "
             "stephen christopher anthony kevin brian ryan jason henry harry andrew matthew patrick arthur "
             "walter frank howard bruce gordon jonathan timothy",
        "F": "mary elizabeth sarah jennifer jessica emily emma margaret susan linda patricia karen nancy "
             "helen catherine rachel laura rebecca alice jane kate lucy amy olivia charlotte dorothy "
             "barbara judith ashley megan",
    },
    "german": {
        "M": "hans friedrich johann wilhelm karl heinrich georg franz otto ernst rudolf ludwig hermann "
             "jürgen wolfgang klaus dieter günter helmut uwe jörg matthias dietrich gottfried siegfried "
             "werner horst manfred gerhard reinhard",
        "F": "ursula helga gisela ingrid renate brigitte monika gertrud karin hildegard sabine petra "
             "birgit anke heike elke liselotte gudrun waltraud irmgard hannelore annegret",
    },
    "polish": {
        "M": "jan piotr krzysztof tomasz andrzej paweł marcin michał wojciech grzegorz łukasz jakub "
             "mateusz zbigniew jerzy tadeusz stanisław kazimierz rafał bartosz przemysław mieczysław "
             "bolesław władysław zdzisław leszek",
        "F": "katarzyna małgorzata agnieszka ewa krystyna magdalena joanna zofia aleksandra dorota beata "
             "jadwiga halina teresa grażyna bożena wanda danuta jolanta elżbieta urszula",
    },
    "japanese": {
        "M": "hiroshi takeshi kenji makoto hiroyuki kazuo toshio hideo satoshi yoshio akira takashi kōji "
             "jun osamu shinji tetsuya masashi daisuke takuya yūki kenta shōta haruki ichirō tarō "
             "yoshihiro masahiro kazuki naoki",
        "F": "yūko keiko yōko akiko sachiko naoko tomoko mayumi yumi kyōko noriko michiko haruka aiko emi "
             "megumi kumiko junko yukiko hiroko reiko masako kazuko",
    },
    "georgian": {
        "M": "giorgi levan zurab irakli nikoloz shota tengiz gia zviad merab vakhtang tamaz otar revaz "
             "lasha mikheil besik nodar guram temur avtandil davit badri",
        "F": "nino tamar ketevan nana eka mariam natia salome tinatin manana khatuna lela maia sopho "
             "tamari nato medea",
    },
    "armenian": {
        "M": "armen aram ashot gevorg hovhannes tigran vardan karen arman arsen hayk levon samvel "
             "gagik garnik ruben sargis vahan hrant serzh aram artashes",
        "F": "anahit gayane lilit armine ani karine nune siranush hasmik marine narine ruzanna anush "
             "astghik",
    },
}

COMMON_SURNAMES = {
    "english": "smith jones johnson brown taylor miller wilson davis clark white wright thompson evans "
               "roberts moore king lewis walker hall allen young harris jackson wood green baker hughes "
               "turner hill scott cooper ward morris campbell parker edwards collins stewart murphy cook "
               "morgan bell murray watson phillips knight wallace graham kennedy",
    "german": "müller schmidt schneider fischer weber meyer wagner becker schulz hoffmann schäfer koch "
              "bauer richter klein wolf schröder neumann schwarz zimmermann braun krüger hofmann "
              "hartmann lange schmitt werner krause meier lehmann schulze maier köhler herrmann könig "
              "mayer huber kaiser fuchs scholz möller weiß hahn schubert vogel keller günther berger "
              "winkler roth lorenz baumann albrecht schuster böhm kraus schumacher vogt jäger sommer "
              "brandt haas schreiber ziegler kuhn pohl engel horn bergmann voigt sauer pfeiffer",
    "japanese": "suzuki tanaka itō watanabe nakamura kobayashi yamada saitō yoshida inoue kimura sasaki "
                "shimizu yamamoto takahashi satō katō matsumoto hayashi yamaguchi mori ikeda hashimoto "
                "ishikawa ogawa okada fujita gotō hasegawa murakami kondō ishii sakamoto endō aoki "
                "fujii nishimura fukuda ōta miura okamoto matsuda nakajima nakagawa harada ono tamura "
                "takeuchi kaneko wada",
}

#: Chinese surnames as Russian writes them (Palladius), with the romanisations Wikidata shows for them
#: that are Chinese (pinyin, Wade-Giles, Cantonese): the Cyrillic tokens also write Western names.
CHINESE = {"ван": "wang wong", "ли": "li lee", "чжан": "zhang chang cheung", "лю": "liu lau",
           "чэнь": "chen chan", "ян": "yang yeung", "хуан": "huang hwang wong", "чжао": "zhao chao chiu",
           "у": "wu ng woo", "чжоу": "zhou chou chow", "сюй": "xu hsu hsü", "сунь": "sun", "ма": "ma",
           "чжу": "zhu chu", "ху": "hu", "го": "guo kuo kwok", "хэ": "he ho", "линь": "lin lam lim",
           "гао": "gao kao ko", "ло": "luo lo law", "цзян": "jiang chiang", "тан": "tang", "сун": "song sung",
           "дэн": "deng teng tang", "фэн": "feng fung", "се": "xie hsieh tse", "цао": "cao tsao",
           "пэн": "peng pang", "цзэн": "zeng tseng tsang", "сяо": "xiao hsiao siu", "тянь": "tian tien"}
CHINESE_GIVEN_MIN = 20

_HEPBURN = re.compile(r"^(?:(?:[kgsztdnhbpmr]y?|sh|ch|j|f|w|y|ts)?[aeiouāēīōū]|n|[kstp](?=[kstpc]))+$")
_POLIVANOV = re.compile(r"^(?:(?:[кгстднхбпмрв]|дз)?[аиуэо]|(?:[кгснхбпмр]|дз|т)?[яюё]|цу|фу|н|й|[кстп](?=[кстпц]))+$")
_JAPANESE_SURNAME_END = re.compile(r"(kawa|gawa|sawa|zawa|moto|mura|yama|shima|jima|hara|bara|shita|mori|"
                                   r"da|no|uchi|guchi|saki|zaki|oka|ishi|naka|kubo|hashi|tani|matsu|fuji)$")
_SURNAME_RULES = {   # origin: (Cyrillic ending, Latin ending)
    "polish": (r"(ский|цкий|вич|чик)$", r"(ski|cki|wicz|czyk)$"),
    "georgian": (r"(швили|дзе)$", r"(shvili|dze)$"),
    "armenian": (r"..[бвгджзклмнпрстфхцчшща](ян|янц)$", r"(yan|ian|yants|iants)$"),
}
POLISH_MARK = re.compile(r"(sz|cz|rz|w|ł|ś|ż|ź|ń|ó|ę|ą|ck|ski)")
SURNAMES_PER_RULE = 150
#: Arabic words whose lexicon spellings are mis-alignments (الله: "granada"); the generator spells
#: compounds with them itself.
ARABIC_SKIP = {"الله"}
MIN_SHARE = 0.03
MIN_RATIO = 0.5


def plain(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def read(path: Path) -> dict[str, dict[str, int]]:
    """token -> {latin: count} over the clean lines (count >= 2)."""
    table: dict[str, dict[str, int]] = collections.defaultdict(dict)
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            latin, token, count = line.rstrip("\n").split("\t")
            if int(count) >= 2:
                table[token.replace(" ", "")][latin] = int(count)
    return table


def clean_spellings(spellings: dict[str, int]) -> dict[str, int]:
    """The spellings of one token that are spellings of it (not a translation or a mis-alignment)."""
    top = max(spellings, key=spellings.get)
    total = sum(spellings.values())
    return {s: c for s, c in spellings.items()
            if c >= MIN_SHARE * total and difflib.SequenceMatcher(None, plain(s), plain(top)).ratio() >= MIN_RATIO}


def by_latin(table: dict[str, dict[str, int]]) -> dict[str, list[tuple[int, str]]]:
    index: dict[str, list[tuple[int, str]]] = collections.defaultdict(list)
    for token, spellings in table.items():
        for latin, count in spellings.items():
            index[latin].append((count, token))
    for v in index.values():
        v.sort(reverse=True)
    return index


def chosen(index, latin: str) -> tuple[str, list[str], int] | None:
    """(Cyrillic token, by-ear variants, count) of one Latin spelling, or None."""
    rows = index.get(latin)
    if not rows:
        return None
    count, token = rows[0]
    variants = [t for c, t in rows[1:] if c >= max(2, 0.1 * count)]
    return token, variants, count


def other_origins(cyr: dict[str, dict[str, int]]) -> list[dict]:
    index = by_latin(cyr)
    rows: list[dict] = []
    seen: set[tuple[str, str]] = set()

    def add(origin, part, sex, token, variants, count):
        if (part, token) in seen:
            return
        seen.add((part, token))
        rows.append({"origin": origin, "part": part, "sex": sex, "cyrillic": token.capitalize(),
                     "cyrillic_variants": ";".join(v.capitalize() for v in variants),
                     "weight": f"{math.sqrt(count):.2f}"})

    for origin, sexes in GIVEN.items():
        for sex, names in sexes.items():
            for latin in names.split():
                if (hit := chosen(index, latin)):
                    add(origin, "given", sex, *hit)
    for origin, names in COMMON_SURNAMES.items():
        for latin in names.split():
            if (hit := chosen(index, latin)):
                add(origin, "surname", "", *hit)
    given_latin = {n for sexes in GIVEN.values() for names in sexes.values() for n in names.split()}
    for origin, (cyr_end, lat_end) in _SURNAME_RULES.items():
        found = []
        for token, spellings in cyr.items():
            top = max(spellings, key=spellings.get)
            if re.search(cyr_end, token) and re.search(lat_end, plain(top)) and top not in given_latin:
                if origin != "polish" or POLISH_MARK.search(top):
                    found.append((sum(spellings.values()), token))
        for count, token in sorted(found, reverse=True)[:SURNAMES_PER_RULE]:
            add(origin, "surname", "", token, [], count)
    found = []
    for token, spellings in cyr.items():
        top = max(spellings, key=spellings.get)
        if (_POLIVANOV.match(token) and _HEPBURN.match(top) and _JAPANESE_SURNAME_END.search(plain(top))
                and top not in given_latin and sum(spellings.values()) >= 5):
            found.append((sum(spellings.values()), token))
    for count, token in sorted(found, reverse=True)[:SURNAMES_PER_RULE]:
        add("japanese", "surname", "", token, [], count)
    for token, allowed in CHINESE.items():
        spellings = {s: c for s, c in cyr.get(token, {}).items() if s in allowed.split()}
        if spellings:
            add("chinese", "surname", "", token, [], sum(spellings.values()))
    return rows


def main(lexicon: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from pprl.tools import synth

    cyr, arab = read(lexicon / "wd_russian_80"), read(lexicon / "wd_arabic_80")
    rows = other_origins(cyr)
    with open(OUT / "other_origins.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, ["origin", "part", "sex", "cyrillic", "cyrillic_variants", "weight"],
                           lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    vocab = synth._vocab()
    cyr_tokens = {t.lower() for t in vocab.tokens}
    cyr_tokens |= {r["cyrillic"].lower() for r in rows}
    cyr_tokens |= {v.lower() for r in rows for v in r["cyrillic_variants"].split(";") if v}
    arab_words = {w for form in vocab.arabic if form for w in form.split()}
    arab_words |= {form.replace(" ", "") for form in vocab.arabic if form and " " in form}
    chinese = {t: set(s.split()) for t, s in CHINESE.items()}
    out = []
    for script, tokens, table in (("cyrillic", cyr_tokens, cyr), ("arabic", arab_words, arab)):
        for token in sorted(tokens):
            spellings = table.get(token)
            if not spellings or (script == "arabic" and token in ARABIC_SKIP):
                continue
            if script == "cyrillic" and token in chinese and any(r["cyrillic"].lower() == token and
                                                                  r["origin"] == "chinese" for r in rows):
                spellings = {s: c for s, c in spellings.items() if s in chinese[token]}
            for latin, count in sorted(clean_spellings(spellings).items(), key=lambda x: (-x[1], x[0])):
                out.append((script, token, latin, count))
    with open(OUT / "lexicon_spellings.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["script", "token", "latin", "count"])
        w.writerows(out)
    per = collections.Counter((r["origin"], r["part"], r["sex"]) for r in rows)
    for k, v in sorted(per.items()):
        print(*k, v)
    print(len(rows), "names;", len(out), "spellings of",
          len({(s, t) for s, t, _, _ in out}), "tokens")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
