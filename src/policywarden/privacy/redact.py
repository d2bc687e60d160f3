"""Mask personal data in text kept as evidence.

Candidates are found by pattern and then validated: phone numbers by `phonenumbers`, payment
cards by the Luhn check and a card-network prefix, national ids and IBANs by `python-stdnum`'s
check digits, IP addresses by `ipaddress`. Emails, street addresses and postcodes are patterns.
Masking errs towards masking: a number that merely passes a checksum is masked too.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterator

import phonenumbers
from stdnum import iban, luhn
from stdnum.br import cpf
from stdnum.ca import sin
from stdnum.es import dni
from stdnum.fr import nir
from stdnum.gb import nhs
from stdnum.in_ import aadhaar
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.pl import pesel
from stdnum.us import ssn

Span = tuple[int, int, str]

PHONE_REGIONS = ("US", "GB", "IN", "DE", "FR", "ES", "IT", "BR", "AU", "NL")

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b")
_DIGIT_RUN = re.compile(r"(?<![\w])\d(?:[ .-]?\d){7,18}(?![\w])")
_SSN = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_ALNUM_ID = re.compile(r"\b(?:\d{8}-?[A-Z]|[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z])\b")  # Spanish DNI, Italian codice fiscale
_NINO = re.compile(r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_STREET = re.compile(
    r"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][\w'.-]*\s+){1,4}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Close|"
    r"Crescent|Square|Sq|Highway|Hwy|Parkway|Pkwy|Circle|Cir|Strasse|Straße)\b\.?",
)
_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}|[A-Z]{2} \d{5}(?:-\d{4})?)\b")

_CARD_PREFIX = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|3[0689]|6[05]|35)")
_NATIONAL_IDS: tuple[tuple[int, Callable[[str], bool]], ...] = (
    (9, ssn.is_valid), (9, sin.is_valid), (9, bsn.is_valid), (10, nhs.is_valid), (11, cpf.is_valid),
    (11, pesel.is_valid), (12, aadhaar.is_valid), (15, nir.is_valid),
)


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _emails(text: str) -> Iterator[Span]:
    for m in _EMAIL.finditer(text):
        yield m.start(), m.end(), "email"


def _ids_and_cards(text: str) -> Iterator[Span]:
    for m in _SSN.finditer(text):
        if ssn.is_valid(m.group()):
            yield m.start(), m.end(), "national_id"
    for m in _IBAN.finditer(text):
        if iban.is_valid(m.group()):
            yield m.start(), m.end(), "iban"
    for m in _ALNUM_ID.finditer(text):
        if dni.is_valid(m.group()) or codicefiscale.is_valid(m.group()):
            yield m.start(), m.end(), "national_id"
    for m in _NINO.finditer(text):
        yield m.start(), m.end(), "national_id"
    for m in _DIGIT_RUN.finditer(text):
        d = _digits(m.group())
        if 13 <= len(d) <= 19 and _CARD_PREFIX.match(d) and luhn.is_valid(d):
            yield m.start(), m.end(), "card"
        elif any(len(d) == n and valid(d) for n, valid in _NATIONAL_IDS):
            yield m.start(), m.end(), "national_id"


def _phones(text: str) -> Iterator[Span]:
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            yield match.start, match.end, "phone"


def _ips(text: str) -> Iterator[Span]:
    for pattern in (_IPV4, _IPV6):
        for m in pattern.finditer(text):
            try:
                ipaddress.ip_address(m.group())
            except ValueError:
                continue
            yield m.start(), m.end(), "ip_address"


def _addresses(text: str) -> Iterator[Span]:
    for m in _STREET.finditer(text):
        yield m.start(), m.end(), "address"
    for m in _POSTCODE.finditer(text):
        yield m.start(), m.end(), "postcode"


# Earlier detectors win where spans overlap: an email's digits are not a phone number.
_DETECTORS = (_emails, _ips, _ids_and_cards, _phones, _addresses)


def find(text: str) -> list[Span]:
    """Non-overlapping spans of personal data, in text order."""
    taken: list[Span] = []
    numeric = sum(c.isdigit() for c in text) >= 7  # phones and ids need digits; skip the slow matchers
    for detect in _DETECTORS:
        if not numeric and detect in (_ids_and_cards, _phones):
            continue
        for start, end, kind in detect(text):
            if not any(start < e and s < end for s, e, _ in taken):
                taken.append((start, end, kind))
    return sorted(taken)


def mask(text: str) -> tuple[str, dict[str, int]]:
    """The text with each piece of personal data replaced by `[kind]`, and counts by kind."""
    spans = find(text)
    out, last = [], 0
    for start, end, kind in spans:
        out.append(text[last:start])
        out.append(f"[{kind}]")
        last = end
    out.append(text[last:])
    return "".join(out), dict(Counter(kind for _, _, kind in spans))


def excerpt(text: str, max_chars: int) -> tuple[str, dict[str, int]]:
    """A masked excerpt of at most `max_chars` characters (plus an ellipsis when cut).

    Masking runs on a margin beyond the cut, so personal data straddling it is still found."""
    head = text[: max_chars + 64]
    masked, counts = mask(head)
    if len(masked) > max_chars or len(text) > len(head):
        masked = masked[:max_chars].rstrip() + "…"
    return masked, counts
