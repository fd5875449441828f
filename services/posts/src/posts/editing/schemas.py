"""The request to propose an edit, the Edit object and a version in a post's history."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from posts.core.rules import ApprovalState
from shared.events.posts import EditStatus
from shared.public_media import MAX_MEDIA_PER_POST, MediaOut
from shared.public_user import PublicUser
from shared.request_body import RequestBody


class EditRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"text": "Written together, typo fixed.", "base_version": 1}]
        }
    )

    text: str | None = Field(default=None, max_length=10_000)
    # The post's media after the edit, in order (absent: as they are): its own, or the
    # proposer's ready uploads; and new alt texts by media id (null or blank removes one).
    media_ids: list[str] | None = Field(default=None, max_length=MAX_MEDIA_PER_POST)
    alt_texts: dict[str, str | None] | None = Field(default=None, max_length=MAX_MEDIA_PER_POST)
    # The version the proposer saw: when the post has moved on since, 409.
    base_version: int | None = Field(default=None, ge=1)


class ApprovalOut(BaseModel):
    user: PublicUser
    state: ApprovalState


class EditOut(BaseModel):
    id: str
    post_id: str
    proposer: PublicUser
    text: str
    media: list[MediaOut]
    status: EditStatus
    approvals: list[ApprovalOut]
    created_at: datetime
    expires_at: datetime
    # The version it was proposed against and that version's text, for reviewing the change.
    base_version: int
    previous_text: str | None


class RevisionOut(BaseModel):
    version: int
    text: str
    media: list[MediaOut]
    edited_at: datetime | None
