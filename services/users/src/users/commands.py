"""The users use cases that change state: accounts, tokens, follows, blocks and mutes.

Each change and the events announcing it are one write (the outbox); the reads they need
come from users.queries.
"""

import math
from uuid import uuid4

from shared.clock import utc_now
from shared.events.users import (
    UserBlocked,
    UserDeleted,
    UserFollowed,
    UserMuted,
    UserRegistered,
    UserUnblocked,
    UserUnfollowed,
    UserUnmuted,
    UserUpdated,
)
from shared.outbox import Outbox
from shared.problems import AccountGone
from users.domain import (
    DEFAULT_COLLAB_POLICY,
    FollowBlocked,
    LoginBackoff,
    LoginThrottled,
    WrongCredentials,
    ensure_may_block,
    ensure_may_follow,
    ensure_may_mute,
    handle_or_none,
)
from users.passwords import PasswordHasher
from users.queries import account_by_handle, own_account, public_user
from users.repository import Account, UsersRepository
from users.schemas import RegisterRequest, TokenRequest, TokenResponse, UpdateMeRequest, User
from users.tokens import TokenIssuer


class UserCommands:
    def __init__(
        self,
        repository: UsersRepository,
        outbox: Outbox,
        passwords: PasswordHasher,
        tokens: TokenIssuer,
        login_backoff: LoginBackoff,
    ) -> None:
        self._repository = repository
        self._outbox = outbox
        self._passwords = passwords
        self._tokens = tokens
        self._login_backoff = login_backoff

    # Accounts and tokens

    async def register(self, request: RegisterRequest) -> User:
        account = Account(
            id=uuid4().hex,
            handle=request.handle,
            display_name=request.display_name,
            created_at=utc_now(),
            collab_policy=DEFAULT_COLLAB_POLICY,
            password_hash=await self._passwords.hash(request.password),
            country=request.country,
        )
        registered = UserRegistered(
            user_id=account.id,
            handle=account.handle,
            display_name=account.display_name,
            created_at=account.created_at,
        )
        with self._outbox.publishing(registered) as events:
            await self._repository.insert_account(account, events)
        return public_user(account)

    async def issue_token(self, request: TokenRequest) -> TokenResponse:
        handle = handle_or_none(request.handle)
        account = await self._repository.account_by_handle(handle) if handle else None
        if account is not None and account.login_blocked_until is not None:
            # Refused before hashing: guessing an account's password gets slower, not cheaper.
            wait = (account.login_blocked_until - utc_now()).total_seconds()
            if wait > 0:
                raise LoginThrottled(math.ceil(wait))
        stored_hash = account.password_hash if account else None
        if not await self._passwords.verify(stored_hash, request.password) or account is None:
            if account is not None:
                await self._repository.record_login_failure(
                    account.id, utc_now(), self._login_backoff.wait_after
                )
            raise WrongCredentials()
        if account.login_blocked_until is not None:
            await self._repository.clear_login_failures(account.id)
        if self._passwords.needs_rehash(account.password_hash):
            new_hash = await self._passwords.hash(request.password)
            await self._repository.replace_password_hash(account.id, new_hash)
        issued = self._tokens.issue(account.id, utc_now())
        return TokenResponse(access_token=issued.access_token, expires_in=issued.expires_in)

    async def update_me(self, user_id: str, request: UpdateMeRequest) -> None:
        account = await own_account(self._repository, user_id)
        changes: dict[str, str | None] = {}
        updates = []
        for setting in ("collab_policy", "remix_policy", "remix_approval"):
            value = getattr(request, setting)
            if value is not None and value != getattr(account, setting):
                changes[setting] = value.value
        if "country" in request.model_fields_set and request.country != account.country:
            changes["country"] = request.country
        if request.display_name is not None and request.display_name != account.display_name:
            changes["display_name"] = request.display_name
            updated = UserUpdated(
                user_id=account.id,
                handle=account.handle,
                display_name=request.display_name,
                updated_at=utc_now(),
            )
            updates.append(updated)
        with self._outbox.publishing(*updates) as events:
            if not await self._repository.update_profile(user_id, changes, events):
                raise AccountGone()

    async def delete_me(self, user_id: str) -> None:
        """Idempotent: a repeated call finishes the clean-up a failed one may have left."""
        if not await self._repository.ever_existed(user_id):
            raise AccountGone()
        deleted_at = utc_now()
        with self._outbox.publishing(UserDeleted(user_id=user_id, deleted_at=deleted_at)) as events:
            await self._repository.tombstone(user_id, deleted_at, events)
        await self._repository.deactivate_relations_of(user_id, deleted_at)

    # Follows and blocks

    async def follow(self, follower_id: str, handle: str, via_post: str | None = None) -> None:
        follower = await own_account(self._repository, follower_id)
        followee = await account_by_handle(self._repository, handle)
        await self._ensure_may_follow(follower, followee)
        at = utc_now()
        followed = UserFollowed(
            follower_id=follower.id, followee_id=followee.id, followed_at=at, via_post=via_post
        )
        with self._outbox.publishing(followed) as events:
            activated = await self._repository.activate_follow(follower.id, followee.id, at, events)
        if not activated:
            return
        # A block written between the check and the follow must win: look again, undo if so.
        if await self._repository.blocked_either_way(follower.id, followee.id):
            await self._remove_follow(follower.id, followee.id)
            raise FollowBlocked()

    async def unfollow(self, follower_id: str, handle: str) -> None:
        follower = await own_account(self._repository, follower_id)
        followee = await account_by_handle(self._repository, handle)
        await self._remove_follow(follower.id, followee.id)

    async def block(self, blocker_id: str, handle: str) -> None:
        blocker = await own_account(self._repository, blocker_id)
        blocked = await account_by_handle(self._repository, handle)
        ensure_may_block(is_self=blocker.id == blocked.id)
        at = utc_now()
        event = UserBlocked(blocker_id=blocker.id, blocked_id=blocked.id, blocked_at=at)
        with self._outbox.publishing(event) as events:
            await self._repository.activate_block(blocker.id, blocked.id, at, events)
        # Also on a repeated block: it finishes what an interrupted one left undone.
        await self._remove_follow(blocker.id, blocked.id)
        await self._remove_follow(blocked.id, blocker.id)

    async def unblock(self, blocker_id: str, handle: str) -> None:
        blocker = await own_account(self._repository, blocker_id)
        blocked = await account_by_handle(self._repository, handle)
        at = utc_now()
        event = UserUnblocked(blocker_id=blocker.id, blocked_id=blocked.id, unblocked_at=at)
        with self._outbox.publishing(event) as events:
            await self._repository.deactivate_block(blocker.id, blocked.id, at, events)

    # Mutes (issue 12)

    async def mute(self, muter_id: str, handle: str) -> None:
        muter = await own_account(self._repository, muter_id)
        muted = await account_by_handle(self._repository, handle)
        ensure_may_mute(is_self=muter.id == muted.id)
        event = UserMuted(muter_id=muter.id, muted_id=muted.id, muted_at=utc_now())
        with self._outbox.publishing(event) as events:
            await self._repository.activate_mute(muter.id, muted.id, event.muted_at, events)

    async def unmute(self, muter_id: str, handle: str) -> None:
        muter = await own_account(self._repository, muter_id)
        muted = await account_by_handle(self._repository, handle)
        event = UserUnmuted(muter_id=muter.id, muted_id=muted.id, unmuted_at=utc_now())
        with self._outbox.publishing(event) as events:
            await self._repository.deactivate_mute(muter.id, muted.id, event.unmuted_at, events)

    # Shared steps

    async def _ensure_may_follow(self, follower: Account, followee: Account) -> None:
        ensure_may_follow(
            is_self=follower.id == followee.id,
            blocked_either_way=await self._repository.blocked_either_way(follower.id, followee.id),
        )

    async def _remove_follow(self, follower_id: str, followee_id: str) -> None:
        at = utc_now()
        event = UserUnfollowed(follower_id=follower_id, followee_id=followee_id, unfollowed_at=at)
        with self._outbox.publishing(event) as events:
            await self._repository.deactivate_follow(follower_id, followee_id, at, events)
