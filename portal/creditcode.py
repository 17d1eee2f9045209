"""The unified social credit code (统一社会信用代码, GB 32100-2015).

18 characters from the alphabet 0-9 A-H J-N P Q R T U W X Y (no I, O, Z, S, V).
The 18th character is a check character: with the characters' values c_i and weights
w_i = 3^(i-1) mod 31 for i = 1..17, check = (31 - sum(c_i * w_i) mod 31) mod 31.

`check_credit_code` returns the first rule a code breaks, as a translatable message, or
None when the code is valid. Plain Python apart from the lazy translation strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, ...
FORBIDDEN = set("IOZSV")
LENGTH = 18


@dataclass(frozen=True)
class CreditCodeProblem:
    rule: str  # machine-readable: length, lowercase, forbidden, alphabet, check
    message: str


def check_character(first17: str) -> str:
    total = sum(VALUES[ch] * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def check_credit_code(code: str) -> CreditCodeProblem | None:
    """Return the rule the code breaks (the first one found), or None if it is valid."""
    if code is None:
        code = ""
    if len(code) != LENGTH:
        return CreditCodeProblem(
            "length",
            str(_("A unified social credit code has 18 characters; this one has %(n)d.") % {"n": len(code)}),
        )
    lowered = [ch for ch in code if ch.isalpha() and ch.islower()]
    if lowered:
        return CreditCodeProblem(
            "lowercase",
            str(
                _("Letters must be upper case (found “%(chars)s”).")
                % {"chars": "".join(dict.fromkeys(lowered))}
            ),
        )
    bad_letters = [ch for ch in code if ch in FORBIDDEN]
    if bad_letters:
        return CreditCodeProblem(
            "forbidden",
            str(
                _("The letters I, O, Z, S and V are never used in a credit code (found “%(chars)s”).")
                % {"chars": "".join(dict.fromkeys(bad_letters))}
            ),
        )
    others = [ch for ch in code if ch not in VALUES]
    if others:
        return CreditCodeProblem(
            "alphabet",
            str(
                _("Only digits and the letters A-H J-N P Q R T U W X Y are allowed (found “%(chars)s”).")
                % {"chars": "".join(dict.fromkeys(others))}
            ),
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        return CreditCodeProblem(
            "check",
            str(
                _(
                    "The check character (the 18th) does not match the first 17 characters: "
                    "it should be “%(expected)s”, not “%(given)s”. Please check for a typing error."
                )
                % {"expected": expected, "given": code[17]}
            ),
        )
    return None


def division_code(code: str) -> str | None:
    """Characters 3-8 of a credit code: the administrative division code (GB/T 2260) of the
    authority that registered the organization; None when they are not six digits."""
    digits = re.sub(r"\s+", "", code or "")[2:8]
    return digits if len(digits) == 6 and digits.isdigit() else None


def is_valid_credit_code(code: str) -> bool:
    return check_credit_code(code) is None


def make_credit_code(first17: str) -> str:
    """Complete 17 characters with their check character (used by fixtures and tests)."""
    if len(first17) != 17 or any(ch not in VALUES for ch in first17):
        raise ValueError("need 17 characters of the credit-code alphabet")
    return first17 + check_character(first17)
