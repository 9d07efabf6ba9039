"""Scrub training text before it leaves the machine: secrets (the shapes `observe.logging`
masks, every registered secret setting, and a few more key shapes), email addresses and phone
numbers become placeholders. Pure.

    text, found = scrub("write to ada@example.com or +44 20 7946 0958")
    # "write to [email] or [phone]", {"email": 1, "phone": 1}
"""

from __future__ import annotations

import re
from collections import Counter

from marketloop.observe.logging import MASK, mask_secrets

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
#: international (+CC …) or grouped national numbers with at least 9 digits in all
PHONE = re.compile(
    r"(?<![\w/.#=-])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,4}\)[ .\-]?)?"
    r"\d{2,4}(?:[ .\-]\d{2,4}){1,4}(?![\w/-])"
)
KEYS = re.compile(
    r"\b(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abprs]-[A-Za-z0-9\-]{10,}"
    r"|whsec_[A-Za-z0-9]{10,}|AIza[0-9A-Za-z_\-]{30,}|eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}"
    r"\.[A-Za-z0-9_\-]{10,})"
)
SECRET = "[secret]"  # noqa: S105 (a placeholder, not a password)


def scrub(text: str) -> tuple[str, Counter[str]]:
    """`text` without secrets, emails and phone numbers, and how many of each were replaced."""
    found: Counter[str] = Counter()
    masked = mask_secrets(text)
    found["secret"] += masked.count(MASK) - text.count(MASK)
    text = masked.replace(MASK, SECRET) if found["secret"] else masked
    text, n = KEYS.subn(SECRET, text)
    found["secret"] += n
    text, n = EMAIL.subn("[email]", text)
    found["email"] += n

    def phone(match: re.Match[str]) -> str:
        digits = sum(c.isdigit() for c in match.group())
        if 9 <= digits <= 15 and not _is_date(match.group()):
            found["phone"] += 1
            return "[phone]"
        return match.group()

    return PHONE.sub(phone, text), +found


def _is_date(text: str) -> bool:
    """2026-12-06 and 2024 07 18 look like grouped digits but are dates."""
    return re.fullmatch(r"(?:19|20)\d{2}[ .\-]\d{2}[ .\-]\d{2}", text.strip()) is not None
