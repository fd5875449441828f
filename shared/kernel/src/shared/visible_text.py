"""What users see of a name or a text, by Unicode's own rules.

Display names go through the PRECIS Nickname profile (RFC 8266, case preserved), with the
`precis-i18n` implementation: it refuses control, default-ignorable (zero-width, bidi
overrides, U+034F), old Hangul jamo (the fillers U+115F, U+1160 and, once width-mapped,
U+3164) and unassigned code points, and folds spaces. Names and posts must also show
something: at least one character that is not a space, a mark alone, an ignorable or a
filler by those same rules, nor the Braille blank U+2800 (a symbol that draws nothing,
which no Unicode property marks as such).
"""

import unicodedata

from precis_i18n import get_profile
from precis_i18n.unicode import UnicodeData

_NICKNAME = get_profile("NicknameCasePreserved")
_UCD = UnicodeData()
BRAILLE_BLANK = "\u2800"


def enforce_display_name(raw: str) -> str:
    """The name as RFC 8266 makes it (NFKC, spaces folded and trimmed); ValueError when it
    carries what the profile disallows."""
    try:
        name: str = _NICKNAME.enforce(raw)
    except UnicodeEncodeError as exc:
        # The reason, e.g. DISALLOWED/empty, DISALLOWED/precis_ignorable_properties.
        raise ValueError(f"a display name cannot be like that ({exc.reason})") from None
    return name


def shows_something(text: str) -> bool:
    return any(_draws(char) for char in unicodedata.normalize("NFKC", text))


def _draws(char: str) -> bool:
    cp = ord(char)
    if char == BRAILLE_BLANK or char.isspace():
        return False
    if _UCD.default_ignorable(cp) or _UCD.old_hangul_jamo(cp):
        return False
    return unicodedata.category(char)[0] in "LNPS"
