"""The rules of accounts and signing in, free of I/O: display names, login back-off, the errors."""

import unicodedata
from dataclasses import dataclass

from shared.problems import ServiceUnavailable, TooManyRequests, Unauthorized

DISPLAY_NAME_MAX_LENGTH = 50
# How long a sign-in refused for want of a hashing slot should wait: about one hash's time.
BUSY_RETRY_AFTER_SECONDS = 1


class WrongCredentials(Unauthorized):
    def __init__(self) -> None:
        super().__init__("The handle or the password is wrong.")


class LoginThrottled(TooManyRequests):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            "Too many wrong passwords for this account; wait before trying again.",
            retry_after_seconds=retry_after_seconds,
        )


class HashingBusy(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__(
            "Too many sign-ins at once; try again shortly.",
            headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
        )


# Control (Cc), format (Cf: zero-width, bidirectional overrides and isolates), line and
# paragraph separators, surrogates, private-use and unassigned characters: a name carrying
# them can look like another account's ("Ali\u200bce", "\u202eecilA").
_REFUSED_IN_NAMES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def normalize_display_name(raw: str) -> str:
    """NFC, trimmed, 1 to 50 characters, nothing invisible or reordering; ValueError otherwise."""
    name = unicodedata.normalize("NFC", raw).strip()
    if not 1 <= len(name) <= DISPLAY_NAME_MAX_LENGTH:
        raise ValueError(f"a display name is 1 to {DISPLAY_NAME_MAX_LENGTH} characters")
    if any(unicodedata.category(char) in _REFUSED_IN_NAMES for char in name):
        raise ValueError(
            "a display name cannot contain control, zero-width or bidirectional-override characters"
        )
    return name


@dataclass(frozen=True, slots=True)
class LoginBackoff:
    """Wrong passwords in a row on one account make each further attempt wait, doubling."""

    free_failures: int = 5
    base_seconds: float = 1.0
    max_seconds: float = 900.0

    def wait_after(self, failures: int) -> float:
        """How long the account refuses sign-ins after its `failures`-th wrong password."""
        if failures < self.free_failures:
            return 0.0
        doubled = self.base_seconds * 2.0 ** (failures - self.free_failures)
        return min(self.max_seconds, doubled)
