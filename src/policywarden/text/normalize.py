"""Normalise text before scoring, undoing common obfuscations.

The normalised form is only ever scored, never shown or stored: it folds case,
accents and look-alike characters, so it is lossy by design.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from anyascii import anyascii

from policywarden.text.pairs import PAIR_WEIGHT, followed
from policywarden.text.segment import known, known_words, listed, often_masked, segment, unstarred, word_cost
from policywarden.text.slang import coinage, coined, unslang

# Invisible characters used to split words so filters miss them (Unicode "Cf" covers most;
# these are listed for speed and for the few that are not Cf).
_INVISIBLE = dict.fromkeys(
    map(ord, "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
        "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u206a\u206b\u206c\u206d"
        "\u206e\u206f\u3164\ufeff\uffa0"),
    None,
)
# Latin letters dressed up as other characters: small capitals ("ʜᴏᴡ ᴛᴏ"), letters in squares
# and circles ("🅱🅾🅼🅱", "🅑🅞🅜🅑") and in parentheses ("⒦⒤⒧⒧", which NFKC would spell "(k)(i)(l)(l)").
# NFKC leaves all but the last alone, and the tokenizer reads them as unknown characters.
_STYLED_NAME = re.compile(
    r"^(?:LATIN LETTER SMALL CAPITAL|(?:NEGATIVE )?(?:SQUARED|CIRCLED) LATIN CAPITAL LETTER"
    r"|PARENTHESIZED LATIN (?:SMALL|CAPITAL) LETTER) ([A-Z])$"
)
_STYLED = {
    cp: m.group(1).lower()
    for block in ((0x0250, 0x0300), (0x1D00, 0x1D80), (0x2460, 0x2500), (0xA720, 0xA800), (0x1F100, 0x1F200))
    for cp in range(*block)
    if (m := _STYLED_NAME.match(unicodedata.name(chr(cp), "")))
}
# Leetspeak: the digits read as letters (also used alone, where symbols are punctuation), and symbols.
LEET_DIGITS = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b"})
_LEET = LEET_DIGITS | str.maketrans({"@": "a", "$": "s", "!": "i", "|": "l"})
_LEET_CHARS = {chr(code) for code in _LEET}
# A word of four or more letters and ones, no other digit or mark: "ki11", not "10k", "1am", "NF1";
# also as a hashtag ("#ki11") or with a possessive ("ki11's")
_ONES_FOR_ELL = re.compile(r"#?((?=[a-z]*1)[a-z1]{4,})(?:['’]s)?", re.IGNORECASE)
# An "8" after a letter in a word of letters, read as its sound where that makes a word and the
# "b" reading none: "h8" is "hate", "h8ers" "haters", "l8r" "later", "gr8" "great" ("m8" and
# "l8" stay "mb" and "lb", which are words)
_EIGHT_AS_ATE = re.compile(r"[a-z]+8[a-z]*", re.IGNORECASE)
_WORD = re.compile(r"\S+")
# "k i l l", "k.i.l.l", "k-i-l-l", "k  i  l  l", "k~i~l~l": three or more single letters joined
# by a run of spaces or tabs (not line breaks) or one mark. Not "/", ",", ":" or a mark with spaces, which join
# ordinary text: "a p/e ratio", "a, b, c", "u. s. city".
# Leetspeak digits count as letters in a run ("m a k e a b 0 m b"). A run never starts with the
# letter of a contraction or possessive: "she's a b*tch" and "i'm a m-ron" are no run "s a b",
# "m a m" (a quote before a run is no contraction: "'k i l l'").
_SPACED = re.compile(r"(?<![^\W\d_]['’])\b(?:(?:[^\W\d_]|[0134578])(?:[ \t]{1,3}|[.\-_*~+])){2,}(?:[^\W\d_]|[0134578])\b")
_SEP = re.compile(r"[ \t.\-_*~+]")
_REPEAT = re.compile(r"(.)\1{2,}")
_WS = re.compile(r"\s+")
# A letter stretched ("kiiiill", "fuuuuck", "gooooddd"): three or more of it in a word of
# letters that is not listed as written ("xxx" is; "yesss", known as "yess" and "s", is not).
# Each such run is read as two of the letter or as one, whichever together make a listed word,
# the longest ("tooo" is "too", not "to"; "gooooddd" is "good", "kiiiill" is "kill"), else an
# inflection of one; where none does, as two, as any run of three or more characters is.
# Digits are not letters yet: "1000" stays. Words are taken whole and possessively: a run of
# one letter before a digit must not be split every way ("a" * 1000 + "1" took 4.7 s so).
_LETTERS_WORD = re.compile(r"(?<!\w)[^\W\d_]++(?!\w)")
_LETTER_RUN = re.compile(r"([^\W\d_])\1{2,}")
_RUN_HINT = re.compile(r"(.)\1\1")
_MAX_RUNS = 4  # runs in one word tried both ways (2**4 readings)


def _unstretch(m: re.Match[str]) -> str:
    word = m.group(0)
    if not _LETTER_RUN.search(word) or listed(word):
        return word
    pieces = _LETTER_RUN.split(word)  # text, letter, text, letter, ..., text
    letters = pieces[1::2]
    if len(letters) > _MAX_RUNS:
        return word
    readings = []
    for counts in itertools.product((2, 1), repeat=len(letters)):
        read = pieces[0] + "".join(c * n + p for c, n, p in zip(letters, counts, pieces[2::2]))
        cost = word_cost(read) if len(read) > 1 else None
        if cost is not None:
            # listed words first, the longest; else inflections, one writers hide letters of
            # first ("nigggers": not "nigers"), the commonest ("immigrantsss": not "immigrantss")
            readings.append((0, -len(read), cost, read) if listed(read) else (1, -often_masked(read), cost, read))
        elif coined(read.lower()):  # a coinage, read as its word next (`unslang`): "seggggs"
            readings.append((0, -len(read), 0.0, read))
    return min(readings)[3] if readings else word


# A stretched word that leetspeak or look-alike letters hid ("k1iiill", "s33ggggs", "ѕeeeggs")
# is read once they are folded: its runs of three or more as `_unstretch` reads them, then, where
# that finds no word, every run of two or more as two or one, but only into a coinage ("seggs":
# "33" is a stretched "e" there); a listed word from a doubled letter ("n00b" -> "nob") is not
# read, since leetspeak writes double letters as often as it stretches them. Only a word of
# letters and digits alone (no "5eggs" after a comma or a colon, no path or link), with a letter
# stretched as written, no digit first ("5eeeggs" is eggs, as "5eggs" is: `_fold`) and none
# last: digits after a word are emphasis ("loool1", "lolll111", "yesss!!!11"), and read as
# letters they made "loli" of "loool1".
_DOUBLE_RUN = re.compile(r"([^\W\d_])\1+")
_EDGE = ".,;:?!\"'()[]{}"  # punctuation a token may carry at its ends
_HIDDEN_STRETCH = re.compile(r"(?=.*([^\W\d_])\1\1)[^\W\d_][^\W_]*[^\W\d_]")


def _unstretch_folded(word: str) -> str:
    if listed(word):
        return word
    read = _unstretch(_LETTERS_WORD.fullmatch(word))
    if read != word:
        return read
    pieces = _DOUBLE_RUN.split(word)
    letters = pieces[1::2]
    if not letters or len(letters) > _MAX_RUNS:
        return word
    for counts in itertools.product((2, 1), repeat=len(letters)):
        read = pieces[0] + "".join(c * n + p for c, n, p in zip(letters, counts, pieces[2::2]))
        if coinage(read):
            return read
    return word


@lru_cache(maxsize=65536)  # short tokens only, as `fold_token`'s
def _fold_word(token: str, latin_text: bool) -> str:
    """`token` (40 characters at most) with leetspeak and look-alike letters folded
    (`fold_token`) and, where that changed a word with a letter stretched in it, that word read
    (`_unstretch_folded`)."""
    folded = fold_token(token, latin_text)
    if folded == token or not _HIDDEN_STRETCH.fullmatch(token.strip(_EDGE)):
        return folded
    read = folded.strip(_EDGE)
    at = folded.find(read)
    return folded[:at] + _unstretch_folded(read) + folded[at + len(read) :] if read.isalpha() else folded


def strip_marks(text: str) -> str:
    # Drops accents and stacked combining marks ("Zalgo" text).
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold_token(token: str, latin_text: bool) -> str:
    # Only short tokens are cached: a cache of long ones would hold user text and memory.
    return _fold_cached(token, latin_text) if len(token) <= 40 else _fold(token, latin_text)


def _fold(token: str, latin_text: bool) -> str:
    """Fold a single whitespace-delimited token. `latin_text`: the text around it is mostly Latin."""
    if not token.isascii():
        letters = [ch for ch in token if ch.isalpha()]
        has_latin = any(ch.isascii() for ch in letters)
        non_latin = [ch for ch in letters if not ch.isascii()]
        # Mixed-script tokens ("раypal" with Cyrillic р and а) are homoglyph attacks: map to ASCII,
        # as are words made only of look-alikes inside Latin text. Words in a text that is mostly
        # in another script are left alone: they are text, not disguise.
        if non_latin and (has_latin or (latin_text and all(_is_confusable(ch) for ch in non_latin))):
            token = anyascii(token.translate(_HOMOGLYPHS)).lower()
    if any(ch in _LEET_CHARS for ch in token) and any(ch.isalpha() for ch in token) and not _ADDRESS.search(token):
        core = token.strip(_EDGE)
        if core and not core.isdigit() and sum(ch.isalpha() for ch in core) >= 1:
            read = core.translate(_LEET)
            if any(coinage(_LEADING_WORD.match(read, n.start()).group(1).lower()) for n in _NUMBER_BEFORE_WORD.finditer(core)):
                return token  # a number or price before a word ("5eggs", "“$eggs”", "recipe:5eggs"), not a coinage ("s3ggs")
            if (ones := _ONES_FOR_ELL.fullmatch(core)) and _ell_reads_better(
                ones.group(1).translate(_LEET).lower(), ones.group(1).replace("1", "l").lower()
            ):
                read = core.replace("1", "l")  # "1" stands for "l" as often as for "i" ("ki11", "he11", "sme11s", "ba11s")
            elif _EIGHT_AS_ATE.fullmatch(core) and not listed(read.lower()):
                # "h8ers", "h8ing": "haters", "hating", not "hateers"; "gr8" at a word's end: "great"
                # (not "d8h": "death"). Listed words only: `known` takes junk ("mo8s": "moates").
                sounded = [core.replace("8e", "ate").replace("8i", "ati").replace("8", "ate")]
                sounded += [core[:-1] + "eat"] if core.endswith("8") else []
                read = next((w for w in sounded if _listed_or_agent(w.lower())), read)
            if _AT_MASK.fullmatch(core) and not known(read):
                # "@" hides any letter as often as it stands for "a" ("f@ck", "wh@re"): where
                # "a" makes no word, one writers hide letters of, as a star would be read
                found = [w for _, w in unstarred(core.replace("@", "*"), any_word=False)]
                read = found[0] if found else read
            token = token.replace(core, read)
    return token


_AT_MASK = re.compile(r"[a-z]+@[a-z]+")
# A digit or "$" that starts a word in a token (after its start, quotes, marks or a colon: not
# after a letter or digit, as the "3" of "s3ggs" is), and the word its leetspeak reading starts with
_NUMBER_BEFORE_WORD = re.compile(r"(?<![^\W_])[\d$]")
_LEADING_WORD = re.compile(r"[\W_]*([a-z]*)", re.IGNORECASE)


def _listed_or_agent(word: str) -> bool:
    """Listed, or a listed verb's "-er(s)" ("haters"), which the word list leaves out."""
    stem = word.removesuffix("s").removesuffix("er")
    return listed(word) or (stem != word.removesuffix("s") and listed(stem + "e"))


def _ell_reads_better(with_i: str, with_l: str) -> bool:
    """Whether a word whose ones read as "l" is the word meant rather than with "i": listed as
    it is where the "i" reading is not, or at least an inflection where the "i" reading is none
    (`known` also takes junk such as "baiis" as an inflection)."""
    return not listed(with_i) and (listed(with_l) or (not known(with_i) and known(with_l)))


_fold_cached = lru_cache(maxsize=65536)(_fold)


# Cyrillic and Greek letters that look like Latin ones, mapped by shape (anyascii would
# transliterate by sound: Cyrillic "р" to "r" where the eye reads "p").
_HOMOGLYPHS = str.maketrans(
    "аеорсухіјѕԁԛԝһкмнтвгпьАЕОРСУХІЈЅКМНТВЬαοιυνκτρεχΑΒΕΗΙΚΜΝΟΡΤΥΧΖ",
    "aeopcyxijsdqwhkmhtbrnbAEOPCYXIJSKMHTBbaoiuvktpexABEHIKMNOPTYXZ",
)
_CONFUSABLE = set("аеорсухіјѕԁԛԝһкмнтвгпьАЕОРСУХІЈЅКМНТВЬαοιυνκτρεχΑΒΕΗΙΚΜΝΟΡΤΥΧΖ")
_ADDRESS = re.compile(r"^\S+@\S+\.\w+$|://")


def _is_confusable(ch: str) -> bool:
    return ch in _CONFUSABLE


def _leet_word(run: str, words: str) -> bool:
    """Whether a word of `words` (the split of `run` with its digits read as letters) has at
    least four letters and a digit of `run` among them."""
    at = 0
    for word in words.split():
        if len(word) >= 4 and not run[at : at + len(word)].isalpha():
            return True
        at += len(word)
    return False


def _leet_words(run: str) -> str | None:
    """The words a joined run of letters and digits spells with its digits read as letters, or
    None. Digits count only where they make known words, one of at least four letters with a
    digit in it ("5 u 1 c 1 d 3", "k 1 l l"); not in numbers, times and sizes ("1 3 5", "4 x 4"
    is not "a ax a", "8 a.m.", "a 5'6"). One letter among the digits ("5 7 0 p", "h 0 3 5") only
    where the run is a single word."""
    letters = sum(map(str.isalpha, run))
    words = known_words(run.translate(_LEET)) if len(run) >= 4 and letters >= 1 else None
    if words is None or not _leet_word(run, words) or (letters < 2 and " " in words):
        return None
    return words


def _join_spaced(m: re.Match[str]) -> str:
    # Joined, a run loses its word boundaries: "i k i l l" and "m a k e a" have a one-letter word
    # in them, "h o w t o" two spaced words. The segmenter puts the boundaries back.
    run = _SEP.sub("", m.group(0))
    if not run.isalpha():
        words = _leet_words(run)
        if words is None and run[-1].isalpha():
            # A neighbouring one-letter word run in at the end ("c 4 u 5 3 y'all"): the rest alone.
            head = _leet_words(run[:-1])
            words = None if head is None else f"{head} {run[-1]}"
        if words is None and run[0].isalpha():
            # or at the start ("someone's w 3 4 k n 3 5 5": the run takes the "s")
            tail = _leet_words(run[1:])
            words = None if tail is None else f"{run[0]} {tail}"
        return m.group(0) if words is None else words
    if not run.isascii():  # look-alike letters in a Latin run ("k і l l", Cyrillic і)
        folded = run.translate(_HOMOGLYPHS)
        run = folded if folded.isascii() else run
    return segment(run)


# Unicode tag characters: invisible, yet chat models read them as the ASCII they shadow, so a
# request can ride unseen behind ordinary text ("ASCII smuggling"). Read as that ASCII.
_TAGS = re.compile("[\U000E0020-\U000E007E]+")


def _untag(m: re.Match[str]) -> str:
    # A subdivision flag is a black flag, a region's code in tag characters and a cancel tag
    # ("🏴" "gbeng" U+E007F, England): a flag, not text.
    at, end = m.start(), m.end()
    if at and m.string[at - 1] == "\U0001F3F4" and m.string[end : end + 1] == "\U000E007F" and end - at <= 7:
        return m.group(0)
    return " " + "".join(chr(ord(ch) - 0xE0000) for ch in m.group(0)) + " "


# Regional indicator symbols: two make a flag ("🇫🇷"); one alone, or three and more in a row, spell
# letters to a chat model ("🇧🇴🇲🇧", "🇰 🇮 🇱 🇱"). Runs of two are left as flags. (Runs of flags,
# "🇺🇸🇬🇧", read as letters too: left as flags where every pair is a region code, 4% more of the
# requests so written in benchmarks/robustness.py passed, "🇲🇦🇰🇪" being "make"; no benign one
# scored differently either way.)
_REGIONAL = re.compile("[\U0001F1E6-\U0001F1FF]+")


def _unflag(m: re.Match[str]) -> str:
    run = m.group(0)
    return run if len(run) == 2 else "".join(chr(ord(ch) - 0x1F1E6 + 97) for ch in run)


# Pictographs: emoji and the symbols written as emoji (arrows, clocks, shapes, stars, hearts,
# their variation selectors and skin tones), not the enclosed letters of U+1F100-1F1E5.
_PICTOGRAPH = (
    "\u203c\u2049\u2190-\u21ff\u2300-\u23ff\u25a0-\u25ff\u2600-\u27bf\u2934\u2935\u2b00-\u2bff"
    "\u3030\u303d\u3297\u3299\ufe0e\ufe0f\U0001F000-\U0001F0FF\U0001F200-\U0001FAFF"
)
# Written inside a word, pictographs are "bo😊mb" to a chat model and three unknown pieces to a
# tokenizer ("Emoji Attack", Wei et al. 2024, against guard models). Where the letters around
# them make a listed word, and were not words of their own, they are dropped; elsewhere they are
# set apart as words ("WELL👏SAID" -> "well 👏 said"). Flags count as pictographs here.
_PICTOGRAPHS = re.compile(f"[{_PICTOGRAPH}\U0001F1E6-\U0001F1FF]+")
_PICTURED_WORD = re.compile(rf"(?<![^\W\d_])[^\W\d_]+(?:{_PICTOGRAPHS.pattern}[^\W\d_]+)+")
# One glued to the front of letters, where a vowel would be: "😊llegal", "🔥nto", "@😊ser",
# "🚀sing" (read as "using" only where that is the likelier word there).
_PICTURED_START = re.compile(rf"(?<![^\s@#]){_PICTOGRAPHS.pattern}(?=([^\W\d_]{{3,}})(?![^\W\d_]))")
# One glued to the end of letters without a vowel, where the last vowel would be: "wh🙏 the",
# "sh😊's". Letters with one ("love😍", "lol😂") are left be: those are words before a mark.
_PICTURED_END = re.compile(rf"(?<![^\W\d_])([b-df-hj-np-tv-xz]{{2,}}){_PICTOGRAPHS.pattern}(?![^\W\d_])")


# A hidden letter's word counts as this much commoner where it is one writers hide letters of
# (`segment.often_masked`: "wh😊re", "c*nt"): "where" is some 5 commoner than "whore"; pairs with
# the neighbours still win where they are clear ("wh*re are you" is "where").
_MASKED_BONUS = 6.0


def _likeliest(options: Sequence[str], before: str, after: str) -> str:
    """Of words standing for one with a letter hidden, the likeliest between `before` and `after`."""
    return min(options, key=lambda w: (word_cost(w) or 99.0) - _MASKED_BONUS * often_masked(w)
               - PAIR_WEIGHT * (followed(before, w) + followed(w, after)))


def _commonest(options: list[str], before: str = "", after: str = "") -> str | None:
    """The likeliest of `options` in the word list as it is, between the words `before` and
    `after` (the commonest, unless pairs seen in the training texts or a word often masked say
    otherwise: "a wh😊re" is "a whore", not "a where"); else the first option where it is known
    as an inflection ("hoes", not "hooes"); else the commonest known as one; None where none is
    known."""
    read = [w for w in options if listed(w)]
    if not read and known(options[0]):
        return options[0]
    read = read or [w for w in options if known(w)]
    return _likeliest(read, before, after) if read else None


# Letters with a hidden one starred inside: "f*ck", "c**t", "n*ggas" (each star one letter).
# Stars at a word's edge are emphasis or a footnote ("*bold*", "price*"), and a star between
# single letters or digits is algebra or arithmetic ("f*g", "5*3"; "f**k" is not): none is read.
# Other marks hide a letter too ("f#ck", "sh-t", "k_ll", "b.tch", "m#ke"), but join words,
# names and initials as often ("re-use", "her-in", "e-mail", "t.co", "F-G", "H.E."): those are
# read as any word only beside a single letter where no other piece is a word and the mark is
# no dot, else only as a word writers hide letters of, and not between two words. (Possessive:
# no input is matched more ways than once.)
_STARRED = re.compile(r"(?<![\w*])[^\W\d_]++(?:\*++[^\W\d_]++)++(?![\w*])")
_MARKS = "#%^~?._-"
_MARKED = re.compile(rf"(?<![\w{re.escape(_MARKS)}])[^\W\d_]++(?:[{re.escape(_MARKS)}]++[^\W\d_]++)++(?![\w]|[{re.escape(_MARKS)}]+\w)")
_MASK = re.compile(f"[*{re.escape(_MARKS)}]")
# Marks that seldom join words in prose, unlike hyphens, dots and "~": between letters they
# hide one ("sh_uld", "cr#ate", "tr?ns" are read as any word), but for names in code: an
# underscore between words ("my_file") or between a letter and a word ("y_test", "col_a") is
# left be. A "?" before a contraction's ending is a lost apostrophe ("don?t", "we?ll": a curly
# one sent as the wrong encoding), and read as one.
_HIDING = "#_?"
_MARK_HINT = re.compile(f"[a-z][{re.escape(_MARKS)}]+[a-z]")
_NOT = {"ain", "aren", "can", "couldn", "didn", "doesn", "don", "hadn", "hasn", "haven", "isn", "mightn", "mustn",
        "needn", "shan", "shouldn", "wasn", "weren", "won", "wouldn"}
_PRONOUNS = {"i", "you", "we", "they", "he", "she", "it", "that", "what", "who", "there", "here", "where", "let"}


def _lost_apostrophe(stem: str, tail: str) -> bool:
    """Whether `stem?tail` is a contraction or a possessive whose apostrophe was lost ("don?t",
    "we?ll", "mom?s"), not a word with a letter hidden ("k?ll", "wh?re", "sh?t")."""
    stem, tail = stem.lower(), tail.lower()
    if tail == "t":
        return stem in _NOT
    if tail == "s":
        return stem in _PRONOUNS or (len(stem) > 2 and listed(stem))
    return tail in ("m", "d", "ll", "re", "ve") and stem in _PRONOUNS


def _unmask(m: re.Match[str]) -> str:
    word = m.group(0)
    if len(word) > 40 or len(set(_MASK.findall(word))) > 1:  # "hit._stupid": two marks
        return word
    starred = _MASK.sub("*", word)
    pieces = starred.split("*")
    if "?" in word:
        after = m.string[m.end() : m.end() + 1]
        if m.string[m.start() - 1 : m.start()] in ("/", ".") or after in ("=", "&"):  # a link's query: "page?t=10"
            return word
        if len(pieces) == 2 and _lost_apostrophe(*pieces):
            return word.replace("?", "'")
    if max(map(len, pieces)) == 1 and "**" not in starred:  # "a*b", "F-G", "H.E"
        return word
    words = [p for p in pieces if p]
    star = "*" in word
    mark = word[len(words[0])]
    if mark != "#" and not star and all(len(p) > 1 and listed(p) for p in words) and max(map(len, words)) > 2:  # "her-in"
        # unless a vowel in the mark's place makes a likelier word: "ill-gal"
        return _likeliest(fills, *_neighbours(m.string, m.start(), m.end())) if (fills := _vowel_fills(m, words)) else word
    # any word under a star; under "#", "_" or "?" where each stands alone (`_HIDING`); under another
    # mark beside a single letter where no piece is a word of three letters or more, each mark
    # stands alone ("F___K" hides how many letters?) and none is a dot ("m#ke", "w-th"); else
    # ("e-mail", "op-ed", "t.co", "sh-t") only a word writers hide letters of
    alone = "." not in word and starred.count("*") == len(words) - 1
    single = min(map(len, words)) == 1
    beside_word = single and any(len(p) > 2 and listed(p) for p in words)  # "y_test", "col_a"
    # "_" beside a word is a name in code; "?" there a letter lost to the wrong encoding ("C?est")
    hiding = alone and mark in _HIDING and not (mark in "_?" and beside_word)
    any_word = star or hiding or (alone and single and not beside_word)
    if not any_word and _inside(m, mark, words, starred):
        # one letter in the dot's place, never joined
        found = [w for _, w in unstarred(starred, any_word=True)] or _vowel_fills(m, words)
        return _likeliest(found, *_neighbours(m.string, m.start(), m.end())) if found else word
    found = [w for _, w in unstarred(starred, any_word=any_word)]
    if any_word and not star and listed(joined := "".join(words)):
        if not hiding:
            return joined  # a mark put in between letters, not in the place of one: "E-ternal", "U-s-er"
        found.append(joined)  # "#" or "_" may be either: "cr#ate" is likelier "create" than "crate"
    if not any_word:  # a word writers hide letters of, or a vowel in the mark's place: "wh-re" is "where"
        found += [w for w in _vowel_fills(m, words) if w not in found]
    return _likeliest(found, *_neighbours(m.string, m.start(), m.end())) if found else word


_BEFORE_CODE = ("/", "@", ":", ".", "{", "$", "=")
_DOMAINS = frozenset("ai app biz co com de dev edu fr gov in info io ly me net org tv uk us".split())


def _vowel_fills(m: re.Match[str], words: list[str]) -> list[str]:
    """The words one mark between two pieces may hide a vowel of ("th.m", "cr.ate", "s-cure",
    "m?slim", "ill-gal"), where the commonest is likelier than the pieces joined ("e-mail",
    "co-op") and than the pieces as two words of their own ("her-in"; "well-built" and
    "hip-hop" make no such word); none elsewhere. A joint between words, names or initials
    seldom makes a word with a vowel put in its place ("x-ray", "t-shirt", "Ph.D", "my_var"),
    as pictographs in a word are read (`_unpicture`)."""
    mark = m.group(0)[len(words[0])]
    if len(words) != 2 or len(words[0]) + len(words[1]) < 3 or len(m.group(0)) != len(words[0]) + len(words[1]) + 1:
        return []  # one mark, one letter: "m----ns" hides more
    # A letter, a dot and a word is a name in code ("l.id", "x.shape"), unless it stands between
    # words of prose as one ("wrong with w.men today", "h.ve you seen").
    dotted = mark == "." and len(words[0]) == 1 and listed(words[1]) and not _in_prose(m)
    if mark == "_" and min(map(len, words)) == 1 or dotted or _lost_apostrophe(*words):
        return []  # a name in code ("y_test", "col_a", "l.id"); a contraction ("she.s", "don-t")
    if m.string[m.start() - 1 : m.start()] in _BEFORE_CODE or m.string[m.end() : m.end() + 1] in ("/", "@", ":"):
        return []  # a link, an address or code: "t.co/", "a.b@", "${l.id}"
    if mark == "." and words[1] in _DOMAINS:
        return []  # a host: "t.co", "bit.ly"
    # Listed, or a plural of a listed word ("inc.tes": "incites"); other inflections would read
    # names as words ("o-ring" as "ouring", "bit.ly" as "bitely").
    found = {w: c for v in "aeiou" if (c := word_cost(w := words[0] + v + words[1])) is not None
             and (listed(w) or w.endswith("s") and len(words[1]) > 1 and listed(w[:-1]))}
    if not found:
        return []
    joined = "".join(words)
    costs = [word_cost(w) if len(w) > 1 else None for w in words]
    if listed(joined) and word_cost(joined) <= min(found.values()):
        return []
    if None not in costs and sum(costs) <= min(found.values()):
        return []
    return list(found)


def _in_prose(m: re.Match[str]) -> bool:
    """Whether a match stands as a word of prose: a space or the text's start before it, a space
    or a sentence's mark after it, and plain words beside it ("with w.men today", not
    "x = l.id" or "y_test l.id")."""
    before, after = m.string[m.start() - 1 : m.start()], m.string[m.end() : m.end() + 1]
    if before not in ("", " ") or after not in ("", " ", ",", "?", "!", ";"):
        return False
    # The tokens beside it, looked for near it only: splitting the whole text for each match
    # made a long one quadratic.
    beside = m.string[max(0, m.start() - 40) : m.start()].split()[-1:] + m.string[m.end() : m.end() + 40].split()[:1]
    words = [t.strip(",.?!;:") for t in beside]
    return any(words) and all(w.isalpha() for w in words if w)


def _inside(m: re.Match[str], mark: str, words: list[str], starred: str) -> bool:
    """Whether a dot hides the second or the second-last letter of a word ("p.rnography",
    "m.nipulate", "g.rl", "S.utherners"): it stands alone between a single letter (not "a" or
    "I", words themselves) and letters that are no listed word, with no link or address beside it
    ("t.co/", "a.b@"). As a hyphen there is read ("k-ll"), but stricter, since a dot also ends
    sentences and joins names in code ("no.i", "l.id", "da.i" are left be). Between longer pieces
    ("dr.nk", "op-ed", "co-ed") a hidden letter cannot be told from a joint, and is not read."""
    if mark != "." or len(words) != 2 or starred.count("*") != 1:
        return False
    short, rest = sorted(words, key=len)
    if len(short) != 1 or short.lower() in ("a", "i") or len(rest) < 2 or listed(rest.lower()):
        return False
    return m.string[m.start() - 1 : m.start()] not in ("/", "@", ":", ".") and m.string[m.end() : m.end() + 1] not in ("/", "@", ":")


_LAST_WORD = re.compile(r"([^\W\d_]+)[^\w]*$")
_FIRST_WORD = re.compile(r"^[^\w]*([^\W\d_]+)")


def _neighbours(text: str, start: int, end: int) -> tuple[str, str]:
    """The words before `start` and after `end` in `text`, near them ("" where there is none)."""
    before = _LAST_WORD.search(text[max(0, start - 40) : start])
    after = _FIRST_WORD.search(text[end : end + 40])
    return (before.group(1) if before else ""), (after.group(1) if after else "")


def _unpicture(m: re.Match[str]) -> str:
    pieces = _PICTOGRAPHS.split(m.group(0))
    if all(len(p) >= 3 and known(p) for p in pieces):  # words of their own: "the😊rapist"
        return _PICTOGRAPHS.sub(lambda p: f" {p.group(0)} ", m.group(0))
    joined = "".join(pieces)
    if len(pieces) == 2:
        # Put in a word ("bo😊mb") or in the place of a vowel ("b💣mb", "l❤️ve", "n😊ed", whose
        # letters alone are "ned"): the commonest listed reading.
        word = _commonest([joined, *(pieces[0] + v + pieces[1] for v in "aeiou")], *_neighbours(m.string, m.start(), m.end()))
        if word is not None:
            return word
    elif known(joined):
        return joined
    return _PICTOGRAPHS.sub(lambda p: f" {p.group(0)} ", m.group(0))


def _vowel_beside(m: re.Match[str], letters: str, before: bool) -> str | None:
    """The word `letters` make with a vowel put `before` or after them, where that is likelier
    than the letters alone (a word before or after a mark: "👉click", "hmm😂"); else None."""
    options = ([letters] if known(letters) else []) + [v + letters if before else letters + v for v in "aeiou"]
    word = _commonest(options, *_neighbours(m.string, m.start(), m.end() + (len(letters) if before else 0)))
    return None if word is None or word == letters else word


def _unpicture_start(m: re.Match[str]) -> str:
    word = _vowel_beside(m, m.group(1), before=True)
    return m.group(0) if word is None else word[0]


# Read at a word's end only as a common word or one writers hide letters of: chat abbreviations
# are no words and would read as rarer ones ("rn😂" as "rna", "fb👍" as "fbi").
_END_MAX_COST = 9.0


def _unpicture_end(m: re.Match[str]) -> str:
    word = _vowel_beside(m, m.group(1), before=False)
    usual = word is not None and ((word_cost(word) or 99.0) <= _END_MAX_COST or often_masked(word))
    return word if usual else m.group(0)


def unstyle(text: str) -> str:
    """The characters of `text` as letters: styled letters plain, regional indicators spelling
    words as letters, tag characters as the ASCII they shadow, NFKC, invisible characters
    removed, accents stripped, case folded, pictographs inside a word taken out (or read as the
    letter they stand for), one glued to the front of letters that are no word read as a vowel."""
    if not text.isascii():
        text = _TAGS.sub(_untag, _REGIONAL.sub(_unflag, text.translate(_STYLED)))
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf" or ch in "\n\t")
    text = strip_marks(text).casefold()
    if text.isascii():
        return text
    text = _PICTURED_WORD.sub(_unpicture, text)
    return _PICTURED_END.sub(_unpicture_end, _PICTURED_START.sub(_unpicture_start, text))


def latin_majority(letters: list[str]) -> bool:
    """Whether most of these letters are Latin (ASCII once accents are stripped)."""
    return sum(ch.isascii() for ch in letters) * 2 >= len(letters)


def normalize(text: str) -> str:
    """Return the scoring form of `text`: NFKC, invisible characters removed, case and accents
    folded, homoglyphs and leetspeak undone, spaced-out words joined, masked and stretched words
    read as the word, runs of one character shortened, coined words read as the word they stand
    for ("unalive": `text.slang`)."""
    text = _SPACED.sub(_join_spaced, unstyle(text))
    # (each read only where a quick search finds its sign: most texts have none)
    if "*" in text:
        text = _STARRED.sub(_unmask, text)
    if _MARK_HINT.search(text):
        text = _MARKED.sub(_unmask, text)
    if _RUN_HINT.search(text):
        text = _LETTERS_WORD.sub(_unstretch, text)
    text = unslang(text)
    latin_text = latin_majority([ch for ch in text if ch.isalpha()])
    # coinages again: where leetspeak or look-alike letters hid one ("s3ggs", "unal1ve", "ѕeggs",
    # stretched: "s33ggggs"), or a reading makes one with the next word ("unalive urself": "kill urself")
    folded = _WORD.sub(lambda m: _fold_word(w, latin_text) if len(w := m.group(0)) <= 40 else fold_token(w, latin_text), text)
    text = unslang(folded)
    if text != folded:  # and once more where that reading makes one ("unal1ve urself": "kill urself")
        text = unslang(text)
    text = _REPEAT.sub(r"\1\1", text)
    return _WS.sub(" ", text).strip()
