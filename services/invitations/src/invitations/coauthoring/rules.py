"""What the posts service's removal of a co-author entry means for that entry's invitation."""

from dataclasses import dataclass
from datetime import datetime

from invitations.core.rules import Transition
from shared.events.invitations import CancellationReason


@dataclass(frozen=True, slots=True)
class InvitationRemoval:
    """How posts' removal of an invitation's entry closes it, kept under the invitation id."""

    invitation_id: str
    transition: Transition
    cancel_reason: CancellationReason | None
    removed_at: datetime


def transition_for_removal(reason: str) -> tuple[Transition, CancellationReason | None]:
    """What a post.coauthor_removed means for the invitation of that co-author.

    The reason is compared as a string: the posts service may add reasons this code predates.
    """
    match reason:
        case "revoked":
            return Transition.REVOKE, None
        case "declined":
            return Transition.DECLINE, None
        case "blocked" | "account_deleted":
            return Transition.CANCEL, reason
        case _:
            return Transition.CANCEL, "coauthor_removed"
