"""The Post object of the public API (API.md), as posts and timeline both return it."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.config import JsonDict

from shared.events.posts import PublishMode, RemixStatus
from shared.public_media import MediaOut
from shared.public_user import USER_EXAMPLE, PublicUser

POST_EXAMPLE: JsonDict = {
    "id": "6756f1d3b2c3d4e5f6071829",
    "text": "Written together.",
    "author": USER_EXAMPLE,
    "coauthors": [
        {
            "user": USER_EXAMPLE | {"id": "6756f0c2a1b2c3d4e5f60719", "handle": "grace"},
            "status": "accepted",
            "credit": "photo",
        }
    ],
    "status": "published",
    "publish_mode": "when_accepted",
    "created_at": "2026-12-06T09:31:00Z",
    "published_at": "2026-12-06T09:32:00Z",
    "like_count": 0,
    "reply_count": 0,
    "liked_by_me": False,
    "reply_to": None,
    "remix_count": 0,
    "remix_of": None,
    "media": [],
    "version": 1,
    "edited_at": None,
    "content_warning": None,
    "remote_media": [],
}

type CoauthorStatus = Literal["invited", "accepted"]
type PostStatus = Literal["pending", "published"]


class CoauthorOut(BaseModel):
    user: PublicUser
    status: CoauthorStatus
    # What the co-author is credited for ("photo"), or None.
    credit: str | None = None


class PostOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [POST_EXAMPLE]})

    id: str
    text: str
    author: PublicUser
    coauthors: list[CoauthorOut]
    status: PostStatus
    publish_mode: PublishMode
    created_at: datetime
    published_at: datetime | None
    # Engagement: one count per post, shared by all its co-authors.
    like_count: int = 0
    reply_count: int = 0
    liked_by_me: bool = False
    reply_to: str | None = None

    # Remixes.
    remix_count: int = 0
    remix_of: "RemixOfOut | None" = None

    # Pictures or a video, in the order given; empty when none. Public paths once published;
    # while pending, signed short-lived URLs for those who may see the post (docs/media.md).
    media: list[MediaOut] = []

    # Edits: the content's version (1 at creation, one more per applied edit) and the last
    # edit's time ("edited" on cards); earlier versions are in the post's history.
    version: int = 1
    edited_at: datetime | None = None

    # A remote account's post (federation): its content warning, and its media where its own
    # server serves them (http(s) URLs, never fetched or proxied here). None and empty for
    # local posts, which have neither.
    content_warning: str | None = None
    remote_media: list["RemoteMediaOut"] = []


class RemoteMediaOut(BaseModel):
    """A medium of a remote post, as its Note gave it: `description` its alt text."""

    url: str
    media_type: str | None = None
    description: str | None = None

    @classmethod
    def shown(
        cls, url: object, media_type: str | None, description: str | None
    ) -> "RemoteMediaOut | None":
        """The medium as shown, or None for a URL that is not a web one (http(s))."""
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            return None
        return cls(url=url, media_type=media_type, description=description)


class RemixOfOut(BaseModel):
    """`post` is the original, shown only while the remix is approved."""

    post_id: str
    status: RemixStatus
    post: PostOut | None


PostOut.model_rebuild()
