"""The user directory projection: newest wins, whatever order the events arrive in."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from shared.events.users import UserDeleted, UserRegistered, UserUpdated
from shared.testing import own_database
from shared.user_directory import UserDirectory

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
async def directory(mongo_url: str, namespace: str) -> AsyncIterator[UserDirectory]:
    async with own_database(mongo_url, namespace, "directory") as db:
        yield UserDirectory(db)


def registered() -> UserRegistered:
    return UserRegistered(user_id="u1", handle="ada", display_name="Ada", created_at=T0)


def renamed(name: str, minutes: int) -> UserUpdated:
    return UserUpdated(
        user_id="u1", handle="ada", display_name=name, updated_at=T0 + timedelta(minutes=minutes)
    )


async def test_a_registered_user_is_found_by_id_and_handle(directory: UserDirectory) -> None:
    await directory.apply_registered(registered())
    user = await directory.get("u1")
    assert user is not None
    assert (user.handle, user.display_name, user.created_at) == ("ada", "Ada", T0)
    assert await directory.by_handle("ADA") == user


async def test_an_update_arriving_before_the_registration_is_kept(
    directory: UserDirectory,
) -> None:
    await directory.apply_updated(renamed("Ada L.", 5))
    await directory.apply_registered(registered())
    user = await directory.get("u1")
    assert user is not None
    assert (user.display_name, user.created_at) == ("Ada L.", T0)


async def test_an_older_update_does_not_overwrite_a_newer_one(directory: UserDirectory) -> None:
    await directory.apply_registered(registered())
    await directory.apply_updated(renamed("Newest", 10))
    await directory.apply_updated(renamed("Older", 5))
    await directory.apply_updated(renamed("Newest", 10))
    user = await directory.get("u1")
    assert user is not None
    assert user.display_name == "Newest"


async def test_a_deleted_user_stays_deleted_whatever_arrives_later(
    directory: UserDirectory,
) -> None:
    await directory.apply_registered(registered())
    await directory.apply_deleted(UserDeleted(user_id="u1", deleted_at=T0 + timedelta(minutes=1)))
    await directory.apply_updated(renamed("Ghost", 30))
    assert await directory.get("u1") is None
    assert await directory.get_many(["u1", "nobody"]) == {}


async def test_a_local_only_directory_keeps_no_remote_account(
    mongo_url: str, namespace: str
) -> None:
    async with own_database(mongo_url, namespace, "local-directory") as db:
        directory = UserDirectory(db, local_only=True)
        await directory.apply_registered(registered())
        remote = UserRegistered(
            user_id="r1",
            handle="ada@social.example",
            display_name="Ada",
            created_at=T0,
            domain="social.example",
        )
        await directory.apply_registered(remote)
        await directory.apply_updated(
            UserUpdated(
                user_id="r1",
                handle="ada@social.example",
                display_name="Ada L.",
                updated_at=T0 + timedelta(minutes=1),
                domain="social.example",
            )
        )

        assert await directory.get("u1") is not None
        assert await directory.get("r1") is None
        assert await directory.by_handle("ada@social.example") is None
