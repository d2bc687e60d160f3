"""Text written as codes a chat model reads back: character codes in binary (8 or 7 bits),
decimal or `0x` hex, percent-encoding and quoted-printable, HTML entities, `\\u` escapes, base32,
Ascii85, base85 and uuencode, Braille and the NATO spelling alphabet.

`codes_in(text)` gives the codes a text may hold, each as a pattern that finds a run of it and a
function that reads a run, or returns None where it is not that code (a list of prices, a link,
Braille art). What a run reads is judged by the caller (`encodings.reveal`): only English is
taken for a message.
These are the encodings red-teaming tools send (garak's encoding probes among them) besides
base64, hex, ROT13 and Morse code, which `encodings` reads itself. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import html
import quopri
import re
import string
import urllib.parse
from collections.abc import Callable

from .segment import known, known_words, segment

Reader = Callable[[str], "str | None"]


def readable(raw: bytes) -> str | None:
    """UTF-8 text, allowing a stray control character or bad byte; None for binary."""
    decoded = raw.decode("utf-8", "replace")
    return _printable(decoded)


def _strict(raw: bytes) -> str | None:
    """UTF-8 text with no bad byte: escapes written by an encoder never make one, and a link's
    "=DE&" or "%E9" (Latin-1) is not one of them."""
    try:
        return _printable(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None


def _printable(decoded: str) -> str | None:
    kept = "".join(ch for ch in decoded if (ch.isprintable() and ch != "\ufffd") or ch in "\n\t")
    return kept if len(kept) >= 0.95 * len(decoded) else None


# Eight bits a character, grouped or not: "01101000 01101111", "01101000, 01101111", a line each.
_BINARY = re.compile(r"(?<![01])(?:[01]{8}(?:,[ \t]?|[ \t]|\r?\n)?){4,}(?![01])")


# Seven bits a character, as `format(b, "07b")` writes ASCII: spaced, since unspaced it would be
# the eight-bit code's.
_BINARY7 = re.compile(r"(?<![01])(?:[01]{7}(?:,[ \t]?|[ \t]|\r?\n)){4,}[01]{7}(?![01])")


def _binary7(run: str) -> str | None:
    return _printable("".join(chr(int(group, 2)) for group in re.findall(r"[01]{7}", run)))


def _binary(run: str) -> str | None:
    bits = re.sub(r"[^01]", "", run)
    if len(bits) % 8:
        return None
    return readable(int(bits, 2).to_bytes(len(bits) // 8, "big"))


# Character codes in decimal, at least six, by spaces or commas: "104 111 119", "104,111,119".
_DECIMAL = re.compile(r"(?<![\w.,+-])(?:\d{1,7}(?:,[ \t]?|[ \t]))(?:\d{1,7}(?:,[ \t]?|[ \t])){4,}\d{1,7}(?![\w]|\.\d)")
# Character codes as `0x` hex: "0x68 0x6f 0x77".
_HEX_CODES = re.compile(r"(?<!\w)(?:0[xX][0-9a-fA-F]{2}(?:,[ \t]?|[ \t])?){4,}(?!\w)")


def _numbers(values: list[int]) -> str | None:
    if all(v < 256 for v in values):
        return readable(bytes(values))  # bytes of UTF-8 ("195 169" is "é") or ASCII codes
    if any(v > 0x10FFFF for v in values):
        return None
    return _printable("".join(map(chr, values)))  # Unicode code points ("1087 1088")


def _decimal(run: str) -> str | None:
    return _numbers([int(v) for v in re.findall(r"\d+", run)])


def _hex_codes(run: str) -> str | None:
    return _numbers([int(v, 16) for v in re.findall(r"0[xX]([0-9a-fA-F]{2})", run)])


# A token with four percent-escapes or more: a whole message escaped ("%68%6F%77%20%74%6F"), or a
# link's query ("?q=how%20to%20make").
_PERCENT = re.compile(r"(?<!\S)(?:[^\s%]|%(?![0-9A-Fa-f]{2}))*(?:%[0-9A-Fa-f]{2}(?:[^\s%]|%(?![0-9A-Fa-f]{2}))*){4,}")
# Quoted-printable: four escapes or more ("=68=6F=77"). Both are read a whole token at a time.
_QUOTED = re.compile(r"(?<!\S)(?:[^\s=]|=(?![0-9A-F]{2}))*(?:=[0-9A-F]{2}(?:[^\s=]|=(?![0-9A-F]{2}))*){4,}")


def _percent(run: str) -> str | None:
    return _strict(urllib.parse.unquote_to_bytes(run.encode("utf-8", "replace")))


def _quoted(run: str) -> str | None:
    if "://" in run or "&" in run or "?" in run:  # a link's query ("?lang=DE&region=EE")
        return None
    return _strict(quopri.decodestring(run.encode("ascii", "replace")))


# HTML character references ("&#104;&#x6f;"), four in a row or more, a space apart at most.
_ENTITIES = re.compile(r"(?:&#(?:\d{1,7}|[xX][0-9a-fA-F]{1,6});?[ \t]?){4,}")
# Escapes as in JSON, Python or JavaScript source: "\u0068\u006f", "\U0001F600".
_ESCAPES = re.compile(r"(?:\\u[0-9a-fA-F]{4}[ \t]?|\\U[0-9a-fA-F]{8}[ \t]?){4,}")


_ENCODED_SPACE = re.compile(r"&#(?:0*32|[xX]0*20);?|\\u0020")


def _entities(run: str) -> str | None:
    return _printable(html.unescape(_apart(run)))


def _apart(run: str) -> str:
    """Escapes written a space apart: where the spaces between words are escaped too, the
    spaces written between escapes only part them."""
    return re.sub(r"[ \t]", "", run) if _ENCODED_SPACE.search(run) else run


def _escapes(run: str) -> str | None:
    run = _apart(run)
    chars = re.sub(r"\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})", lambda m: chr(int(m.group(1) or m.group(2), 16))
                   if int(m.group(1) or m.group(2), 16) <= 0x10FFFF else "\ufffd", run)
    # A character beyond the first plane is written in JSON as two surrogate escapes.
    return _printable(chars.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))


# Base32, upper or lower case, padded or not: 16 characters or more (10 bytes).
_BASE32 = re.compile(r"(?:[A-Z2-7]{16,}|[a-z2-7]{16,})={0,6}")


def _base32(run: str) -> str | None:
    body = run.rstrip("=")
    if len(body) % 8 in (1, 3, 6):  # no whole number of bytes ends there
        return None
    try:
        return readable(base64.b32decode(body + "=" * (-len(body) % 8), casefold=True))
    except (binascii.Error, ValueError):
        return None


# Ascii85 (Adobe's, "<~...~>" or bare) and base85 (RFC 1924, git's): 20 characters or more with
# no space. Most long unspaced tokens are links or code, which do not decode to English.
_ASCII85 = re.compile(r"(?:<~)?[!-uz]{20,}(?:~>)?")
_BASE85 = re.compile(r"[0-9A-Za-z!#$%&()*+;<=>?@^_`{|}~-]{20,}")
# A token of 16 characters or more, where base32, Ascii85 and base85 are looked for: each reads
# a whole token (with the quotes or brackets around it, or without), where it reads at all.
_LONG = re.compile(r"(?<!\S)\S{16,}")
_AROUND = "\"'`()[]{}<>.,;:!?"


def _long(token: str) -> str | None:
    for run in dict.fromkeys((token, token.strip(_AROUND))):
        for pattern, read in ((_BASE32, _base32), (_ASCII85, _ascii85), (_BASE85, _base85)):
            if pattern.fullmatch(run) and (plain := read(run)) is not None:
                return plain
    return None


def _ascii85(run: str) -> str | None:
    try:
        return readable(base64.a85decode(run, adobe=run.startswith("<~")))
    except (ValueError, binascii.Error):
        return None


def _base85(run: str) -> str | None:
    try:
        return readable(base64.b85decode(run))
    except (ValueError, binascii.Error):
        return None


# Uuencoded lines (the `uuencode` command, Python's `binascii.b2a_uu`): each a length character,
# then four characters for every three bytes; the first on a line of its own or after a space.
_UU = re.compile(r"(?m)(?:^|(?<=[ \t]))[!-M][ -`]{4,60}(?:\r?\n[!-M][ -`]{4,60})*(?=\r?$)")


def _uu(run: str) -> str | None:
    lines = run.splitlines(keepends=True)
    # A heading run into the block ("DECODE THIS:", a rule) is not one of its lines: kept as written.
    heading = ""
    while lines and _uu_line(lines[0].rstrip("\r\n")) is None:
        heading += lines.pop(0)
    raw = [_uu_line(line.rstrip("\r\n")) for line in lines]
    plain = readable(b"".join(raw)) if raw and None not in raw else None  # type: ignore[arg-type]
    return None if plain is None else heading + plain


def _uu_line(line: str) -> bytes | None:
    body = line[1:]
    need = (ord(line[0]) - 32 + 2) // 3 * 4
    if not need - 3 <= len(body) <= need:  # trailing spaces may be trimmed; else not this code
        return None
    try:
        return binascii.a2b_uu(line[0] + body.ljust(need))
    except binascii.Error:
        return None


# Six-dot Braille, letters and numbers (uncontracted, "grade 1"): U+2801-U+283F. A blank cell or a
# space parts words; the capital sign is dropped; the number sign reads a-j as digits.
_BRAILLE_LETTERS = dict(zip("⠁⠃⠉⠙⠑⠋⠛⠓⠊⠚⠅⠇⠍⠝⠕⠏⠟⠗⠎⠞⠥⠧⠺⠭⠽⠵", string.ascii_lowercase))
_BRAILLE_MARKS = {"⠂": ",", "⠆": ";", "⠒": ":", "⠲": ".", "⠖": "!", "⠦": "?", "⠴": '"', "⠄": "'", "⠤": "-", "⠀": " ", "⠠": ""}
_BRAILLE_TABLE = str.maketrans({**_BRAILLE_LETTERS, **_BRAILLE_MARKS})
_BRAILLE_DIGITS = str.maketrans(dict(zip("⠁⠃⠉⠙⠑⠋⠛⠓⠊⠚", "1234567890")))
# A run: cells, and the spaces, digits and signs between them ("#⠎⠑⠝⠙ @⠥⠎⠑⠗"), up to a letter.
_BRAILLE = re.compile(r"[\u2800-\u28ff](?:[^\w\n\u2800-\u28ff]*[\u2800-\u28ff]|\d)*")
_BRAILLE_NUMBER = re.compile(r"⠼([⠁⠃⠉⠙⠑⠋⠛⠓⠊⠚]+)")


def _braille(run: str) -> str | None:
    run = _BRAILLE_NUMBER.sub(lambda m: m.group(1).translate(_BRAILLE_DIGITS), run)
    cells = [ch for ch in run if "\u2800" <= ch <= "\u28ff"]
    unread = sum(ch not in _BRAILLE_LETTERS and ch not in _BRAILLE_MARKS for ch in cells)
    if unread * 10 > len(cells):  # Braille art, or Braille beyond six dots
        return None
    read = run.translate(_BRAILLE_TABLE)
    return "".join(ch for ch in read if not "\u2800" <= ch <= "\u28ff")


def split_words(text: str) -> str:
    """Run-together words split into listed words, as spaced-out letters are. Spelt letter by
    letter, hashtags lose their capitals and read as unknown words ("sendthemback"): a reading of
    Braille or the NATO alphabet is judged with them split, and kept as spelt (a split can
    break a word the list lacks: "com place nt")."""
    return re.sub(r"[a-z]{6,}", lambda m: known(m.group(0)) and m.group(0) or known_words(m.group(0)) or m.group(0), text)


# The NATO spelling alphabet (with its common variants), one word a letter: "Hotel Oscar
# Whiskey". Letters are parted by spaces or commas, words by "/", "|", a line break or two spaces;
# a run with no word breaks is split into words as spaced-out letters are.
_NATO_WORDS = {
    "alfa": "a", "alpha": "a", "bravo": "b", "charlie": "c", "delta": "d", "echo": "e", "foxtrot": "f",
    "golf": "g", "hotel": "h", "india": "i", "juliett": "j", "juliet": "j", "kilo": "k", "lima": "l",
    "mike": "m", "november": "n", "oscar": "o", "papa": "p", "quebec": "q", "romeo": "r", "sierra": "s",
    "tango": "t", "uniform": "u", "victor": "v", "whiskey": "w", "whisky": "w", "x-ray": "x", "xray": "x",
    "yankee": "y", "zulu": "z",
}
_NATO_WORD = "(?:" + "|".join(sorted(map(re.escape, _NATO_WORDS), key=len, reverse=True)) + ")"
_NATO_BREAK = r"[ \t]*(?:[/|\n]|[ \t]{2})[ \t]*"
_NATO = re.compile(rf"(?ai)\b{_NATO_WORD}(?:(?:{_NATO_BREAK}|,[ \t]*|[ \t]){_NATO_WORD}){{3,}}\b")


def _nato(run: str) -> str | None:
    words = ["".join(_NATO_WORDS.get(w.lower(), "") for w in re.findall(r"[A-Za-z-]+", word)) for word in re.split(_NATO_BREAK, run)]
    if string.ascii_lowercase.find("".join(words)) >= 0:  # the alphabet recited: "Alpha Bravo Charlie Delta"
        return None
    return segment(words[0]) if len(words) == 1 else " ".join(words)


# Each code with the name of the mark `codes_in` looks for first, in the order they are read.
_CODES: list[tuple[str, re.Pattern[str], Reader]] = [
    ("binary", _BINARY, _binary),
    ("binary7", _BINARY7, _binary7),
    ("0x", _HEX_CODES, _hex_codes),
    ("decimal", _DECIMAL, _decimal),
    ("percent", _PERCENT, _percent),
    ("quoted", _QUOTED, _quoted),
    ("entities", _ENTITIES, _entities),
    ("escapes", _ESCAPES, _escapes),
    ("long", _LONG, _long),
    ("uu", _UU, _uu),
    ("braille", _BRAILLE, _braille),
    ("nato", _NATO, _nato),
]
# Marks cheaper to test than the patterns: most texts hold no run of any code, and each pattern
# scanned costs microseconds. Each mark is found in every run of its code, but uuencode's: a
# short line of it can hold spaces ("*22!H96QP(')U;@" is "I help run"), and is missed.
_NUMBERS = re.compile(r"\d[ ,]{1,2}\d")
_TWO_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}[^\s%]*%[0-9A-Fa-f]{2}")
_TWO_QUOTED = re.compile(r"=[0-9A-F]{2}[^\s=]*=[0-9A-F]{2}")
_LONG_TOKEN = 16  # base32, Ascii85, base85 and a line of uuencode hold a token this long
_NATO_SET = frozenset(_NATO_WORDS)
_NATO_APART = str.maketrans(",/|", "   ")  # "Hotel, Oscar/Whiskey": the words alone


SPELLED = frozenset((_BRAILLE, _NATO))  # spelt letter by letter: see `split_words`


def codes_in(text: str) -> list[tuple[re.Pattern[str], Reader]]:
    """The codes `text` may hold a run of, in the order they are read."""
    low = text.lower()
    long = [w for w in text.split() if len(w) >= _LONG_TOKEN]
    words = low.translate(_NATO_APART).split()
    marks = {
        "binary": "0000" in text or "01" in text and "10" in text,
        "binary7": "01" in text and "10" in text,
        "0x": "0x" in low,
        "decimal": _NUMBERS.search(text) is not None,
        "percent": "%" in text and _TWO_PERCENT.search(text) is not None,
        "quoted": "=" in text and _TWO_QUOTED.search(text) is not None,
        "entities": "&#" in text,
        "escapes": "\\u" in low,
        "long": bool(long),  # base32, Ascii85, base85
        "uu": any(w.upper() == w for w in long),  # no lower-case letter
        "braille": not text.isascii(),
        # Two distinct words of the alphabet at least (a run has four); most texts have none.
        "nato": len(_NATO_SET.intersection(words)) >= 2 and sum(w in _NATO_SET for w in words) >= 4,
    }
    return [(pattern, read) for mark, pattern, read in _CODES if marks[mark]]
