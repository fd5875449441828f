"""Who may follow, block or mute whom, free of I/O, and the errors when one may not."""

from shared.problems import Forbidden, Unprocessable


class CannotFollowSelf(Unprocessable):
    def __init__(self) -> None:
        super().__init__("You cannot follow yourself.")


class CannotBlockSelf(Unprocessable):
    def __init__(self) -> None:
        super().__init__("You cannot block yourself.")


class CannotMuteSelf(Unprocessable):
    def __init__(self) -> None:
        super().__init__("You cannot mute yourself.")


class FollowBlocked(Forbidden):
    def __init__(self) -> None:
        super().__init__("A block between you and this account forbids following it.")


class RemoteAccountNotYetKnown(Exception):
    """A fact about a remote account whose `federation.remote_account_seen` was not handled
    yet (both come from the federation service, not always in order): the event is retried."""


def ensure_may_follow(*, is_self: bool, blocked_either_way: bool) -> None:
    if is_self:
        raise CannotFollowSelf()
    if blocked_either_way:
        raise FollowBlocked()


def ensure_may_block(*, is_self: bool) -> None:
    if is_self:
        raise CannotBlockSelf()


def ensure_may_mute(*, is_self: bool) -> None:
    if is_self:
        raise CannotMuteSelf()
