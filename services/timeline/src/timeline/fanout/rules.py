"""The fan-out rules, pure: which authors are fanned out on write and which merged at read
time (hybrid fan-out, by follower count)."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal


def is_celebrity(follower_count: int, threshold: int) -> bool:
    """Authors over the threshold are read from their profile instead of fanned out."""
    return follower_count > threshold


# How far a follower count kept by increments may be off: only a recount racing an increment
# for the same author moves it (one each time), and every recount puts it right again.
COUNT_DRIFT_SLACK = 100


@dataclass(frozen=True, slots=True)
class CelebrityFlags:
    """Where an author stands on the two sides of the hybrid fan-out.

    `skips_fan_out`: its new posts are not written to followers' home timelines.
    `merged_at_read`: its follow edges are flagged, so readers merge its profile in.
    Both agree at rest; a change of status moves them one at a time, in an order that
    keeps every post either fanned out or merged (see `celebrity_change`).
    """

    skips_fan_out: bool
    merged_at_read: bool


type CelebrityChange = Literal["promote", "demote"]


def celebrity_change(
    flags: CelebrityFlags, follower_count: int, threshold: int, demotion_margin: int = 0
) -> CelebrityChange | None:
    """What to do so the flags match the follower count; a half-done change is finished.

    Promotion above `threshold`, demotion only at `threshold - demotion_margin` or below:
    one follow toggled at the threshold would otherwise promote and demote the author each
    time, copying its posts to every follower on each demotion. Within the margin the
    status stays as it is (a half-done change finishes the way its fan-out flag points).

    A promotion turns the read-side merge on before it stops the fan-out; a demotion
    resumes the fan-out, back-fills the followers, and only then stops the merge.
    """
    if is_celebrity(follower_count, threshold):
        celebrity = True
    elif follower_count <= threshold - demotion_margin:
        celebrity = False
    else:
        celebrity = flags.skips_fan_out
    if flags.skips_fan_out == celebrity and flags.merged_at_read == celebrity:
        return None
    return "promote" if celebrity else "demote"


@dataclass(frozen=True, slots=True)
class AudiencePlan:
    """Which reaching authors are fanned out on write and which are merged at read time."""

    fan_out_authors: tuple[str, ...]
    celebrity_authors: tuple[str, ...]


def plan_audiences(authors: Sequence[str], celebrities: Collection[str]) -> AudiencePlan:
    return AudiencePlan(
        fan_out_authors=tuple(a for a in authors if a not in celebrities),
        celebrity_authors=tuple(a for a in authors if a in celebrities),
    )


def recount_limit(threshold: int, demotion_margin: int = 0) -> int:
    """Counts at or above this (kept by increments) are near enough the threshold to be
    counted exactly (`needs_recount`)."""
    return threshold - demotion_margin - COUNT_DRIFT_SLACK


def needs_recount(
    counted: int, flags: CelebrityFlags, threshold: int, demotion_margin: int = 0
) -> bool:
    """Whether an author's follower count, kept by increments, must be counted exactly.

    Only a count near the threshold (within the demotion margin and the drift slack) can
    change the author's status, and only exact counts decide it; an author with either flag
    set is always recounted, so a demotion (or a half-done change) is never missed.
    """
    if flags.skips_fan_out or flags.merged_at_read or counted < 0:
        return True
    return counted >= recount_limit(threshold, demotion_margin)
