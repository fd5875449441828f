"""The posts service's handlers of one event run in the order they declare, not registration's."""

from posts.app import create_app
from posts.components import PostsComponents
from posts.handlers import subscriptions
from posts.settings import PostsSettings
from shared.testing import EligibilityStandIn, running_service
from shared.testing import test_settings as isolated_settings


async def test_a_deleted_account_is_recorded_then_its_posts_go_then_its_likes(
    mongo_url: str, amqp_url: str, namespace: str
) -> None:
    settings = isolated_settings(
        PostsSettings, mongo_url=mongo_url, amqp_url=amqp_url, namespace=namespace
    )
    app = create_app(settings, users_transport=EligibilityStandIn([]).transport())
    async with running_service(app):
        components: PostsComponents = app.state.runtime.components

        order = subscriptions(components).handlers_of("user.deleted")

    # The directory's tombstone before the account's posts are looked for (a post created
    # meanwhile sees it), and the posts deleted before their replies stop counting.
    assert order == [
        components.directory.user_deleted,
        components.coauthoring.user_deleted,
        components.engagement.user_deleted,
    ]
