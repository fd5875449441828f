"""The notifications service against real RabbitMQ and MongoDB: events in, the API out."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from notifications_support import NotificationsHarness, ServedHarness
from redis.asyncio import Redis

from notifications.core.commands import NotificationCommands as Notifier
from notifications.core.repository import NOTIFICATIONS, WITHDRAWN_SUBJECTS, NotificationRepository
from notifications.core.rules import (
    NewNotification,
    NotificationType,
    Reaction,
    SubjectKind,
    Withdrawal,
    notification_id,
)
from notifications.streams.wakeups import LocalWakeups
from shared.events.invitations import (
    InvitationAccepted,
    InvitationCancelled,
    InvitationCreated,
    InvitationDeclined,
    InvitationExpired,
)
from shared.events.posts import PostCoauthorRemoved, PostDeleted, PostPublished
from shared.events.users import UserBlocked, UserDeleted, UserFollowed, UserUnblocked
from shared.idempotency import PROCESSED_EVENTS
from shared.read_cache import CachedSets
from shared.relations import MUTE_REPLICA, RelationReplica
from shared.testing import (
    ALICE,
    BOB,
    CAROL,
    counted_database,
    identity_headers,
    redis_key_prefix,
    wait_until,
)

T = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def invited(invitation_id: str = "i1", post_id: str = "p1", invitee: str = BOB) -> dict[str, str]:
    return {
        "invitation_id": invitation_id,
        "post_id": post_id,
        "inviter_id": ALICE,
        "invitee_id": invitee,
    }


def invitation_created(**kwargs: str) -> InvitationCreated:
    return InvitationCreated(**invited(**kwargs), created_at=T, expires_at=T + timedelta(days=14))


def followed(follower: str, followee: str) -> UserFollowed:
    return UserFollowed(follower_id=follower, followee_id=followee, followed_at=T)


async def test_every_kind_of_event_notifies_its_recipient(
    notifications: NotificationsHarness,
) -> None:
    await notifications.events.publish(
        invitation_created(),
        InvitationAccepted(**invited(), responded_at=T),
        InvitationDeclined(**invited("i2"), responded_at=T),
        InvitationExpired(**invited("i3"), expired_at=T),
        PostCoauthorRemoved(
            post_id="p1", author_id=ALICE, coauthor_id=BOB, reason="left", removed_at=T
        ),
        PostCoauthorRemoved(
            post_id="p2", author_id=ALICE, coauthor_id=CAROL, reason="removed", removed_at=T
        ),
        PostPublished(
            post_id="p3",
            author_id=ALICE,
            text="hi",
            coauthor_ids=(BOB, CAROL),
            created_at=T,
            published_at=T,
            publish_mode="when_accepted",
        ),
        PostDeleted(post_id="p4", author_id=ALICE, coauthor_ids=(CAROL,), deleted_at=T),
        followed(CAROL, ALICE),
    )

    assert sorted(await notifications.types(ALICE)) == sorted(
        [
            "invitation.accepted",
            "invitation.declined",
            "invitation.expired",
            "coauthor.left",
            "follower.new",
        ]
    )
    assert sorted(await notifications.types(BOB)) == ["invitation.received", "post.published"]
    assert sorted(await notifications.types(CAROL)) == [
        "coauthor.removed",
        "post.deleted",
        "post.published",
    ]
    bob_page = await notifications.notifications(BOB)
    received = next(n for n in bob_page["items"] if n["type"] == "invitation.received")
    assert received["actor"]["handle"] == "alice"
    assert (received["post_id"], received["invitation_id"], received["read"]) == ("p1", "i1", False)
    assert bob_page["unread_count"] == 2


async def test_a_redelivered_follow_makes_one_notification_without_the_processed_event_log(
    notifications: NotificationsHarness,
) -> None:
    [event] = await notifications.events.publish(followed(BOB, ALICE))
    # No processed-event record: the redelivery runs the reaction again, and its insert under
    # the same (collapse key's) id fails.
    assert await notifications.db[PROCESSED_EVENTS].find_one({"_id": str(event.id)}) is None
    await notifications.events.deliver(event)
    await notifications.events.publish(followed(CAROL, ALICE))

    page = await notifications.notifications(ALICE)
    assert [(n["type"], n["actor"]["id"]) for n in page["items"]] == [
        ("follower.new", CAROL),
        ("follower.new", BOB),
    ]
    assert page["unread_count"] == 2
    # The redelivery took a number and filled it with a placeholder (read, withdrawn: never
    # listed nor counted), so a stream sees no gap to wait on: 1, 2, 3 without a hole.
    stored = await NotificationRepository(notifications.db).after(ALICE, 0, 10)
    assert [(d["seq"], d.get("placeholder", False)) for d in stored] == [
        (1, False),
        (2, True),
        (3, False),
    ]
    assert (stored[1]["read"], stored[1]["withdrawn"]) == (True, True)


async def test_a_new_follower_costs_four_commands(
    notifications: NotificationsHarness, mongo_url: str, redis_url: str, namespace: str
) -> None:
    redis = Redis.from_url(redis_url, decode_responses=True)
    mutes_of = CachedSets(redis, f"{redis_key_prefix(namespace)}notification-mutes:", 60)
    try:
        async with counted_database(mongo_url, notifications.db.name) as (db, commands):
            mutes = RelationReplica(db, MUTE_REPLICA, mutes_of)
            notifier = Notifier(NotificationRepository(db), LocalWakeups(), mutes)
            # An earlier follower: Alice's mutes copied to Redis, her last number remembered.
            await notifier.apply(uuid4(), follow_of(ALICE, BOB))
            commands.clear()
            await notifier.apply(uuid4(), follow_of(ALICE, CAROL))
    finally:
        await redis.aclose()

    assert dict(commands) == {
        "find blocks": 1,  # a block either way silences it; Alice's mutes: from Redis
        "find withdrawn_subjects": 2,  # withdrawn already? and again after the insert
        "update recipient_sequences": 1,  # Alice's next number, swapped from her last
        "insert notifications": 1,  # no read first: a redelivery fails its insert
    }
    assert await notifications.types(ALICE) == ["follower.new", "follower.new"]


async def test_notifications_to_one_recipient_at_once_take_consecutive_numbers_without_races(
    notifications: NotificationsHarness, mongo_url: str
) -> None:
    await NotificationRepository(notifications.db).next_seq(ALICE)  # Alice's sequence exists
    async with counted_database(mongo_url, notifications.db.name) as (db, commands):
        repository = NotificationRepository(db)
        numbers = await asyncio.gather(*(repository.next_seq(ALICE) for _ in range(8)))

    assert sorted(numbers) == list(range(2, 10))
    # Taken one at a time in this process: no compare-and-swap lost; read once, then each
    # swapped from the number taken before.
    assert dict(commands) == {"find recipient_sequences": 1, "update recipient_sequences": 8}


async def test_a_number_another_replica_took_meanwhile_is_not_taken_again(
    notifications: NotificationsHarness,
) -> None:
    here, there = (NotificationRepository(notifications.db) for _ in range(2))

    taken = [await here.next_seq(ALICE), await there.next_seq(ALICE)]
    # `here` remembers 1: its swap from 1 misses, and it reads the counter again.
    taken += [await here.next_seq(ALICE), await here.next_seq(ALICE), await there.next_seq(ALICE)]

    assert taken == [1, 2, 3, 4, 5]


async def test_a_redelivery_after_a_crash_still_meets_a_withdrawal_it_missed(
    notifications: NotificationsHarness,
) -> None:
    """The first attempt stored the notification and stopped before its second check, while
    Carol's account was deleted: the redelivery withdraws it."""
    repository = NotificationRepository(notifications.db)
    notifier = Notifier(repository, LocalWakeups())
    event_id = uuid4()
    [notification] = follow_of(ALICE, CAROL).notifications
    stored_id = notification_id(event_id, notification)
    await repository.insert(
        stored_id, await repository.next_seq(ALICE), notification, withdrawn=False
    )
    await repository.withdraw(Withdrawal(SubjectKind.USER, CAROL))
    await notifications.db[NOTIFICATIONS].update_one(
        {"_id": stored_id}, {"$set": {"withdrawn": False}}
    )

    await notifier.apply(event_id, follow_of(ALICE, CAROL))

    assert (await notifications.notifications(ALICE))["items"] == []
    stored = notifications.db[NOTIFICATIONS].find({"recipient_id": ALICE}).sort("seq", 1)
    assert [doc["seq"] async for doc in stored] == [1, 2]  # the redelivery's number filled


async def test_concurrent_deliveries_keep_one_notification_per_event_and_an_exact_count(
    notifications: NotificationsHarness,
) -> None:
    notifier = Notifier(NotificationRepository(notifications.db), LocalWakeups())
    duplicated = uuid4()
    writes = [notifier.apply(duplicated, follow_of(ALICE, BOB)) for _ in range(3)]
    writes += [notifier.apply(uuid4(), follow_of(ALICE, f"u-fan{n}")) for n in range(5)]
    reads = [notifications.notifications(ALICE) for _ in range(3)]
    await asyncio.gather(*writes, *reads)

    assert (await notifications.notifications(ALICE))["unread_count"] == 6
    # Sequence numbers stay contiguous (unused ones filled), so live streams never wait.
    stored = notifications.db[NOTIFICATIONS].find({"recipient_id": ALICE}).sort("seq", 1)
    seqs = [doc["seq"] async for doc in stored]
    assert seqs == list(range(1, len(seqs) + 1))


async def test_many_first_notifications_at_once_take_every_sequence_number_once(
    notifications: NotificationsHarness,
) -> None:
    # Every writer races to create the recipient's sequence counter.
    repository = NotificationRepository(notifications.db)
    for _ in range(20):
        recipient = f"u-new-{uuid4().hex}"

        seqs = await asyncio.gather(*(repository.next_seq(recipient) for _ in range(40)))

        assert sorted(seqs) == list(range(1, 41))


def follow_of(followee: str, follower: str) -> Reaction:
    return Reaction(
        notifications=(NewNotification(followee, NotificationType.FOLLOWER_NEW, follower),)
    )


async def test_cancelling_an_invitation_withdraws_its_notification(
    notifications: NotificationsHarness,
) -> None:
    await notifications.events.publish(invitation_created(), followed(ALICE, BOB))
    assert (await notifications.notifications(BOB))["unread_count"] == 2

    await notifications.events.publish(
        InvitationCancelled(**invited(), reason="post_deleted", cancelled_at=T)
    )
    page = await notifications.notifications(BOB)
    assert [n["type"] for n in page["items"]] == ["follower.new"]
    assert page["unread_count"] == 1


async def test_a_post_deleted_before_its_invitation_arrives_leaves_nothing_listed(
    notifications: NotificationsHarness,
) -> None:
    await notifications.events.publish(
        PostDeleted(post_id="p1", author_id=ALICE, coauthor_ids=(), deleted_at=T)
    )
    await notifications.events.publish(invitation_created())
    await notifications.events.publish(
        InvitationCancelled(**invited("i9", "p9"), reason="blocked", cancelled_at=T)
    )
    await notifications.events.publish(invitation_created(invitation_id="i9", post_id="p9"))
    page = await notifications.notifications(BOB)
    assert page == {"items": [], "next_cursor": None, "unread_count": 0}


async def test_a_deleted_post_keeps_only_the_news_of_its_deletion(
    notifications: NotificationsHarness,
) -> None:
    await notifications.events.publish(
        PostCoauthorRemoved(
            post_id="p1", author_id=ALICE, coauthor_id=BOB, reason="left", removed_at=T
        )
    )
    await notifications.events.publish(
        PostDeleted(post_id="p1", author_id=ALICE, coauthor_ids=(CAROL,), deleted_at=T)
    )
    assert await notifications.types(ALICE) == []
    assert await notifications.types(CAROL) == ["post.deleted"]


async def test_a_blocked_user_notifies_nobody_whatever_order_the_block_events_come_in(
    notifications: NotificationsHarness,
) -> None:
    await notifications.events.publish(UserBlocked(blocker_id=BOB, blocked_id=ALICE, blocked_at=T))
    # An older unblock delivered late does not lift the newer block.
    await notifications.events.publish(
        UserUnblocked(blocker_id=BOB, blocked_id=ALICE, unblocked_at=T - timedelta(minutes=1))
    )
    await notifications.events.publish(invitation_created(), followed(BOB, ALICE))
    assert await notifications.types(BOB) == []
    assert await notifications.types(ALICE) == []

    await notifications.events.publish(
        UserUnblocked(blocker_id=BOB, blocked_id=ALICE, unblocked_at=T + timedelta(minutes=1))
    )
    await notifications.events.publish(followed(ALICE, BOB))
    assert await notifications.types(BOB) == ["follower.new"]


async def test_a_deleted_account_takes_its_notifications_but_not_the_news_of_its_posts(
    notifications: NotificationsHarness,
) -> None:
    await notifications.events.publish(followed(ALICE, BOB), followed(ALICE, CAROL))
    await notifications.events.publish(UserDeleted(user_id=ALICE, deleted_at=datetime.now(UTC)))
    await notifications.events.publish(
        PostDeleted(post_id="p1", author_id=ALICE, coauthor_ids=(BOB,), deleted_at=T)
    )
    page = await notifications.notifications(BOB)
    assert [(n["type"], n["actor"]) for n in page["items"]] == [("post.deleted", None)]
    assert await notifications.types(CAROL) == []


async def test_marking_read_by_ids_changes_only_the_callers_notifications(
    notifications: NotificationsHarness,
) -> None:
    await notifications.events.publish(
        followed(BOB, ALICE), followed(CAROL, ALICE), followed(ALICE, BOB)
    )
    alice_ids = [n["id"] for n in (await notifications.notifications(ALICE))["items"]]
    [bob_id] = [n["id"] for n in (await notifications.notifications(BOB))["items"]]

    response = await notifications.mark_read(ALICE, {"ids": [alice_ids[0], bob_id]})
    assert response.status_code == 200
    assert response.json() == {"unread_count": 1}
    bob_page = await notifications.notifications(BOB)
    assert (bob_page["unread_count"], bob_page["items"][0]["read"]) == (1, False)
    unread = await notifications.notifications(ALICE, unread_only="true")
    assert [n["id"] for n in unread["items"]] == [alice_ids[1]]


async def test_marking_all_read_clears_the_unread_count(
    notifications: NotificationsHarness,
) -> None:
    await notifications.events.publish(followed(BOB, ALICE), followed(CAROL, ALICE))
    response = await notifications.mark_read(ALICE, {"all": True})
    assert response.json() == {"unread_count": 0}
    page = await notifications.notifications(ALICE)
    assert [n["read"] for n in page["items"]] == [True, True]


async def test_marking_read_needs_ids_or_all_and_at_most_a_hundred_ids(
    notifications: NotificationsHarness,
) -> None:
    bodies: list[dict[str, Any]] = [
        {},
        {"ids": []},
        {"all": False},
        {"ids": ["x"] * 101},
        {"ids": "x"},
        {"ids": ["x"], "owner": BOB},
    ]
    for body in bodies:
        response = await notifications.mark_read(ALICE, body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"


async def test_the_list_is_newest_first_and_paged_with_a_cursor(
    notifications: NotificationsHarness,
) -> None:
    followers = [BOB, CAROL, "u-dave"]
    for follower in followers:  # one by one, so the order of storing is known
        await notifications.events.publish(followed(follower, ALICE))

    first = await notifications.notifications(ALICE, limit=2)
    second = await notifications.notifications(ALICE, limit=2, cursor=first["next_cursor"])
    actors = [n["actor"]["id"] if n["actor"] else None for n in first["items"] + second["items"]]
    # Dave never registered here: his notification shows with a null actor.
    assert actors == [None, CAROL, BOB]
    assert second["next_cursor"] is None
    assert first["unread_count"] == second["unread_count"] == 3


async def test_bad_requests_are_problems_not_errors(notifications: NotificationsHarness) -> None:
    client = notifications.client
    assert (await client.get("/v1/notifications")).status_code == 401
    bad_cursor = await client.get(
        "/v1/notifications",
        params={"cursor": "not-a-cursor"},
        headers=identity_headers(ALICE, "notifications"),
    )
    assert bad_cursor.status_code == 400
    too_many = await client.get(
        "/v1/notifications", params={"limit": 101}, headers=identity_headers(ALICE, "notifications")
    )
    assert too_many.status_code == 422


async def test_toggling_a_follow_notifies_the_followee_once(
    notifications: NotificationsHarness,
) -> None:
    """The review's attack: 20 follow/unfollow toggles made 20 "new follower" notifications
    (each toggle's `user.followed` is a new event; the unfollows do not reach this service)."""
    await notifications.events.publish(
        *(
            UserFollowed(follower_id=BOB, followee_id=ALICE, followed_at=T + timedelta(minutes=m))
            for m in range(20)
        )
    )
    await notifications.events.publish(followed(CAROL, ALICE))

    listed = await notifications.notifications(ALICE)
    assert [(n["type"], n["actor"]["id"]) for n in listed["items"]] == [
        ("follower.new", CAROL),
        ("follower.new", BOB),
    ]
    assert listed["unread_count"] == 2


async def test_notifications_and_withdrawal_markers_expire_after_their_retention(
    served_harness: ServedHarness,
) -> None:
    retention = {"notification_retention_seconds": 1, "withdrawal_marker_retention_seconds": 1}
    async with served_harness(**retention) as (harness, _):
        cancelled = InvitationCancelled(**invited(), reason="ineligible", cancelled_at=T)
        await harness.events.publish(followed(BOB, ALICE), cancelled)
        assert await harness.types(ALICE) == ["follower.new"]
        markers = harness.db[WITHDRAWN_SUBJECTS]
        assert await markers.count_documents({}) == 1

        async def all_expired() -> bool:
            listed = await harness.notifications(ALICE)
            return not listed["items"] and await markers.count_documents({}) == 0

        # MongoDB's TTL monitor runs every minute, and so does SecantusDB's sweeper (its command
        # line has no setting for it: this test takes about a minute there); mongoeco expires
        # on read.
        await wait_until(all_expired, timeout=120)
