"""What users see of a name or a text, by Unicode's own rules.

Display names and co-authors' credits go through the PRECIS Nickname profile (RFC 8266, case
preserved), with the `precis-i18n` implementation: it refuses control, default-ignorable
(zero-width, bidi overrides, U+034F), old Hangul jamo (the fillers U+115F, U+1160 and, once
width-mapped, U+3164) and unassigned code points, and folds spaces. Names and posts must also
show something: at least one character that is not a space, a mark alone, an ignorable or a
filler by those same rules, nor the Braille blank U+2800 (a symbol that draws nothing,
which no Unicode property marks as such).
"""

import unicodedata

from precis_i18n import get_profile
from precis_i18n.unicode import UnicodeData

_NICKNAME = get_profile("NicknameCasePreserved")
_UCD = UnicodeData()
BRAILLE_BLANK = "\u2800"


def enforce_visible_label(raw: str, *, what: str, max_length: int) -> str:
    """A short label people read (a display name, a co-author's credit) as RFC 8266 makes it
    (NFKC, spaces folded and trimmed), 1 to `max_length` characters, showing something;
    ValueError saying what is wrong otherwise (e.g. DISALLOWED/precis_ignorable_properties)."""
    try:
        label: str = _NICKNAME.enforce(raw)
    except UnicodeEncodeError as exc:
        raise ValueError(f"{what} cannot be like that ({exc.reason})") from None
    if not 1 <= len(label) <= max_length:
        raise ValueError(f"{what} is 1 to {max_length} characters")
    if not shows_something(label):
        raise ValueError(f"{what} must show something: it is only blanks or fillers")
    return label


def shows_something(text: str) -> bool:
    return any(_draws(char) for char in unicodedata.normalize("NFKC", text))


def _draws(char: str) -> bool:
    cp = ord(char)
    if char == BRAILLE_BLANK or char.isspace():
        return False
    if _UCD.default_ignorable(cp) or _UCD.old_hangul_jamo(cp):
        return False
    return unicodedata.category(char)[0] in "LNPS"
