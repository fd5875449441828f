"""What the media service's events do to the posts carrying them: an alt text edited after
posting reaches the copy the post keeps (and a proposed edit's)."""

from dataclasses import dataclass, replace

from posts.core.commands import PostCommands
from posts.core.rules import Change, Post
from shared.events.media import MediaAltTextChanged
from shared.public_media import newest_media
from shared.subscriptions import Delivery


@dataclass(frozen=True, slots=True)
class MediaEdits:
    core: PostCommands

    async def alt_text_changed(self, delivery: Delivery[MediaAltTextChanged]) -> None:
        """Idempotent and order-proof: the copy with the higher alt-text version wins."""
        edited = delivery.event.medium

        def take_edit(post: Post) -> Change:
            # An upload reserved for a proposed edit is on the proposal, not yet on the post.
            proposal = post.edit
            if proposal is not None and proposal.media is not None:
                proposal = replace(proposal, media=newest_media(proposal.media, [edited]))
            return Change(replace(post, media=newest_media(post.media, [edited]), edit=proposal))

        await self.core.apply_if_present(delivery.event.post_id, take_edit)
