"""The rules of accounts and signing in, free of I/O: display names, login back-off, the errors."""

from dataclasses import dataclass

from shared.problems import ServiceUnavailable, TooManyRequests, Unauthorized
from shared.visible_text import enforce_visible_label

DISPLAY_NAME_MAX_LENGTH = 50
# How long a sign-in refused for want of a hashing slot should wait: about one hash's time.
BUSY_RETRY_AFTER_SECONDS = 1


class WrongCredentials(Unauthorized):
    def __init__(self) -> None:
        super().__init__("The handle or the password is wrong.")


class LoginThrottled(TooManyRequests):
    def __init__(self) -> None:
        # No Retry-After: it would tell whoever is guessing when the next guess is counted.
        super().__init__(
            "Too many wrong passwords for this account lately; try again in a minute, or "
            "from a device you signed in with before.",
            retry_after_seconds=None,
        )


class HashingBusy(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__(
            "Too many sign-ins at once; try again shortly.",
            headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
        )


def normalize_display_name(raw: str) -> str:
    """RFC 8266's Nickname profile (case preserved), 1 to 50 characters, showing something;
    ValueError otherwise (shared.visible_text)."""
    return enforce_visible_label(raw, what="a display name", max_length=DISPLAY_NAME_MAX_LENGTH)


# Whose sign-in failures are counted together: a device cookie from a past success of this
# account (its own budget), or everyone else (the account's shared budget).
UNKNOWN_DEVICE = "*"


@dataclass(frozen=True, slots=True)
class SignInBudget:
    """Wrong passwords an account accepts from one kind of client before it waits: a leaky
    bucket of `capacity` failures, one of which leaks away every `decay_seconds`.

    Guessing stays bounded per account across all addresses (`capacity` at once, then one
    every `decay_seconds`), the wait is never longer than `decay_seconds`, and a device that
    signed in before has a bucket of its own that guesses from elsewhere cannot fill.
    """

    capacity: int = 5
    decay_seconds: float = 60.0
