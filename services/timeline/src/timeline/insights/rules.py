"""The insights rules, pure: what a post did for each of its credited authors."""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from shared.problems import NotFound


class InsightsNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such post among yours.")


@dataclass(frozen=True, slots=True)
class AuthorInsights:
    author_id: str
    audience: int
    exclusive_audience: int
    likes_from_audience: int
    new_followers: int


@dataclass(frozen=True, slots=True)
class PostInsights:
    reached: int
    authors: tuple[AuthorInsights, ...]


def compute_insights(
    authors: Sequence[str],
    reach: Mapping[str, Collection[str]],
    likers: Collection[str],
    follows_from_post: Iterable[tuple[str, str]],
) -> PostInsights:
    """The figures of API.md's insights, from what the post's deliveries recorded.

    `reach` maps each account the post was delivered to onto the credited authors it was
    reached through (the ones it followed at that delivery); `authors` are those credited
    now. The credited authors themselves are never counted as reached or as audience.
    """
    credited = set(authors)
    reached = {account: set(via) for account, via in reach.items() if account not in credited}
    follows = list(follows_from_post)
    figures = []
    for author_id in authors:
        audience = [account for account, via in reached.items() if author_id in via]
        others = credited - {author_id}
        figures.append(
            AuthorInsights(
                author_id=author_id,
                audience=len(audience),
                exclusive_audience=sum(1 for a in audience if not reached[a] & others),
                likes_from_audience=sum(1 for a in audience if a in likers),
                new_followers=len(
                    {f for f, followee in follows if followee == author_id and f not in credited}
                ),
            )
        )
    return PostInsights(reached=len(reached), authors=tuple(figures))
