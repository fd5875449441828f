"""Which events the federation service handles: the local users' profiles (who can be found
from the fediverse), a deleted account's keys and followers, its own deliveries, and local
posts sent to remote followers (each post once: a repeat finds it sent).

Every handler is idempotent: profiles apply only when newer, deletions delete again, and a
repeated delivery posts an activity the remote recognises by its id.
"""

from federation.components import FederationComponents
from shared.events.federation import ActivityDeliveryRequested
from shared.events.posts import PostPublished
from shared.events.users import UserDeleted
from shared.subscriptions import Delivery, Subscriptions


def subscriptions(components: FederationComponents) -> Subscriptions:
    subscriptions = Subscriptions()
    subscriptions.include(components.directory.subscriptions())

    async def user_deleted(delivery: Delivery[UserDeleted]) -> None:
        await components.keys.forget(delivery.event.user_id)
        await components.followers.forget_user(delivery.event.user_id)

    subscriptions.on(UserDeleted, user_deleted)
    subscriptions.on(ActivityDeliveryRequested, components.deliveries.deliver)
    subscriptions.on(PostPublished, components.publishing.post_published)
    return subscriptions
