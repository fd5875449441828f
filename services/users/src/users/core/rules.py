"""The account's own rules, free of I/O: handles, countries, collaboration and remix policies."""

import re
from enum import StrEnum

from shared.problems import Conflict, NotFound
from shared.remote_accounts import split_remote_handle
from shared.user_directory import RESERVED_HANDLES

HANDLE_PATTERN = re.compile(r"[a-z0-9_]{3,30}")
# What a search by handle starts from: at least two characters of a handle ("@" dropped).
HANDLE_PREFIX_PATTERN = re.compile(r"[a-z0-9_]{2,30}")


class CollabPolicy(StrEnum):
    """Who may invite an account to co-author a post."""

    EVERYONE = "everyone"
    FOLLOWING = "following"  # only accounts the invitee follows
    NOBODY = "nobody"


DEFAULT_COLLAB_POLICY = CollabPolicy.FOLLOWING


class RemixPolicy(StrEnum):
    """Who may remix an account's posts."""

    EVERYONE = "everyone"  # anyone not blocked either way
    FOLLOWING = "following"  # only accounts the original's author follows
    NOBODY = "nobody"


class RemixApproval(StrEnum):
    """Whether a remix the policy admits shows its original at once or once approved."""

    AUTOMATIC = "automatic"
    MANUAL = "manual"


DEFAULT_REMIX_POLICY = RemixPolicy.EVERYONE
DEFAULT_REMIX_APPROVAL = RemixApproval.AUTOMATIC

# ISO 3166-1 alpha-2: the officially assigned codes.
_ISO_COUNTRY_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK
    DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR
    GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM
    KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP
    MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL
    PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST
    SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG
    VI VN VU WF WS YE YT ZA ZM ZW"""
ISO_COUNTRIES = frozenset(_ISO_COUNTRY_CODES.split())


class HandleTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("This handle is already taken.")


class UnknownUser(NotFound):
    def __init__(self) -> None:
        super().__init__("No account has this handle.")


def normalize_handle(raw: str) -> str:
    """The stored form of a handle (lower case); ValueError when it is not a valid handle."""
    handle = raw.lower()
    if not HANDLE_PATTERN.fullmatch(handle):
        raise ValueError("a handle is 3 to 30 characters of a-z, 0-9 and _")
    return handle


def normalize_new_handle(raw: str) -> str:
    """A handle an account may register: valid, and not one the system reserves."""
    handle = normalize_handle(raw)
    if handle in RESERVED_HANDLES:
        raise ValueError("this handle is reserved")
    return handle


def handle_or_none(raw: str) -> str | None:
    """The stored form of a handle, or None for a string no account can have as handle."""
    try:
        return normalize_handle(raw)
    except ValueError:
        return None


def account_handle_or_none(raw: str) -> str | None:
    """The stored form of a local handle or of a remote one (`user@host`), or None. Signing in
    takes local handles only (`handle_or_none`)."""
    if "@" not in raw.removeprefix("@"):
        return handle_or_none(raw)
    found = split_remote_handle(raw)
    return f"{found[0]}@{found[1]}" if found else None


def normalize_handle_prefix(raw: str) -> str:
    """The start of a handle to search for, lower case, without a leading "@"; ValueError
    when it is shorter than two characters or holds what no handle does."""
    prefix = raw.strip().removeprefix("@").lower()
    if not HANDLE_PREFIX_PATTERN.fullmatch(prefix):
        raise ValueError("search for 2 to 30 characters of a handle (a-z, 0-9 and _)")
    return prefix


def normalize_country(raw: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper case; ValueError for anything else."""
    code = raw.strip().upper()
    if code not in ISO_COUNTRIES:
        raise ValueError("a country is an ISO 3166-1 alpha-2 code, such as FR or US")
    return code
