"""The accounts use cases that change state: registering, signing in, changing and deleting
one's account. Each change and the events announcing it are one write (the outbox)."""

from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from shared.clock import utc_now
from shared.events.federation import RemoteAccountDeleted
from shared.events.users import (
    UserDeleted,
    UserRegistered,
    UserRemixSettingsChanged,
    UserUpdated,
)
from shared.media_client import MediaClient
from shared.outbox import Outbox
from shared.problems import AccountGone, NotFound, Unprocessable
from shared.public_user import Avatar
from shared.subscriptions import Delivery
from users.accounts.passwords import Hashing, PasswordHasher
from users.accounts.repository import SignInBudgetRepository
from users.accounts.rules import UNKNOWN_DEVICE, LoginThrottled, WrongCredentials
from users.accounts.schemas import RegisterRequest, TokenRequest, TokenResponse, UpdateMeRequest
from users.accounts.tokens import IssuedToken, TokenIssuer
from users.core.queries import own_account, public_user
from users.core.repository import REMIX_SETTINGS_ANNOUNCED, Account, AccountRepository
from users.core.rules import DEFAULT_COLLAB_POLICY, handle_or_none
from users.core.schemas import User
from users.relations.repository import RelationRepository
from users.sessions.commands import SessionCommands, token_response
from users.sessions.rules import RefreshToken

# Accounts read per query by the start-up pass that announces remix settings.
ANNOUNCE_BATCH = 500


@dataclass(frozen=True, slots=True)
class SignInClient:
    """Where a sign-in comes from: the client's address and the device cookie it sent."""

    address: str | None = None
    device_token: str | None = None


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: TokenResponse
    # The session's first refresh token (also the client's cookie).
    refresh: RefreshToken
    # Renewed on every success: the client's device cookie for this account.
    device_token: IssuedToken


@dataclass(frozen=True, slots=True)
class AccountCommands:
    accounts: AccountRepository
    relations: RelationRepository
    outbox: Outbox
    passwords: PasswordHasher
    tokens: TokenIssuer
    sign_in_budgets: SignInBudgetRepository
    sessions: SessionCommands
    media: MediaClient

    async def register(self, request: RegisterRequest, client: SignInClient) -> User:
        account = Account(
            id=uuid4().hex,
            handle=request.handle,
            display_name=request.display_name,
            created_at=utc_now(),
            collab_policy=DEFAULT_COLLAB_POLICY,
            password_hash=await self.passwords.hash(request.password, Hashing.of(client.address)),
            country=request.country,
        )
        registered = UserRegistered(
            user_id=account.id,
            handle=account.handle,
            display_name=account.display_name,
            created_at=account.created_at,
        )
        with self.outbox.publishing(registered) as events:
            # user.registered tells the federation service the (default) remix settings.
            await self.accounts.insert_account(account, events, **{REMIX_SETTINGS_ANNOUNCED: True})
        return public_user(account)

    async def issue_token(self, request: TokenRequest, client: SignInClient) -> SignedIn:
        handle = handle_or_none(request.handle)
        account = await self.accounts.account_by_handle(handle) if handle else None
        device = self.tokens.device_of(client.device_token, account.id) if account else None
        budget = device or UNKNOWN_DEVICE
        # Counted before hashing, atomically: guessing gets slower, not cheaper, and
        # concurrent guesses cannot share one unit of room.
        if account is not None and not await self.sign_in_budgets.admit(
            account.id, budget, utc_now()
        ):
            raise LoginThrottled()
        who = Hashing.of(client.address, known_device=device is not None)
        stored_hash = account.password_hash if account else None
        if not await self.passwords.verify(stored_hash, request.password, who) or account is None:
            raise WrongCredentials()
        await self.sign_in_budgets.refund(account.id, budget)
        if stored_hash is not None and self.passwords.needs_rehash(stored_hash):
            new_hash = await self.passwords.hash(request.password, who)
            await self.accounts.replace_password_hash(account.id, new_hash)
        now = utc_now()
        issued = self.tokens.issue(account.id, now)
        refresh = await self.sessions.start(account.id, now)
        return SignedIn(
            token=token_response(issued, refresh, now),
            refresh=refresh,
            device_token=self.tokens.issue_device(account.id, device or uuid4().hex, now),
        )

    async def update_me(self, user_id: str, request: UpdateMeRequest) -> None:
        account = await own_account(self.accounts, user_id)
        changes: dict[str, Any] = {}
        updates: list[UserUpdated | UserRemixSettingsChanged] = []
        for setting in ("collab_policy", "remix_policy", "remix_approval"):
            value = getattr(request, setting)
            if value is not None and value != getattr(account, setting):
                changes[setting] = value.value
        keep = request.keep_coauthored_posts
        if keep is not None and keep != account.keep_coauthored_posts:
            changes["keep_coauthored_posts"] = keep
        if "country" in request.model_fields_set and request.country != account.country:
            changes["country"] = request.country
        display_name = account.display_name
        if request.display_name is not None and request.display_name != account.display_name:
            changes["display_name"] = display_name = request.display_name
        avatar = account.avatar
        if "avatar_media_id" in request.model_fields_set:
            avatar = await self._avatar(user_id, request.avatar_media_id)
            if avatar != account.avatar:
                changes["avatar"] = avatar.model_dump() if avatar else None
        if "display_name" in changes or "avatar" in changes:
            # Every user.updated carries the whole public profile, the avatar included.
            updated = UserUpdated(
                user_id=account.id,
                handle=account.handle,
                display_name=display_name,
                updated_at=utc_now(),
                avatar=avatar,
            )
            updates.append(updated)
        if "remix_policy" in changes or "remix_approval" in changes:
            updates.append(_remix_settings_changed(account, request))
            # Every write that announces the settings marks them, so the mark means just that.
            changes[REMIX_SETTINGS_ANNOUNCED] = True
        with self.outbox.publishing(*updates) as events:
            if not await self.accounts.update_profile(user_id, changes, events):
                raise AccountGone()

    async def announce_remix_settings(self) -> None:
        """Announce the remix settings of every account older than their announcements (a
        start-up migration): the federation service takes an account never heard of as one
        needing approval. Each account is marked in the write that carries its event, so
        replicas running it together announce it once."""
        after = None
        while batch := await self.accounts.settings_unannounced(after, ANNOUNCE_BATCH):
            for account in batch:
                announced = UserRemixSettingsChanged(
                    user_id=account.id,
                    remix_policy=account.remix_policy.value,
                    remix_approval=account.remix_approval.value,
                    # Older than any change update_me announced: one kept is kept.
                    changed_at=account.created_at,
                )
                with self.outbox.publishing(announced) as events:
                    await self.accounts.mark_settings_announced(account, events)
            after = batch[-1].id

    async def _avatar(self, user_id: str, media_id: str | None) -> Avatar | None:
        """The media service crops it (and deletes the previous one); 404 someone else's."""
        answer = await self.media.set_avatar(user_id, media_id)
        match answer.refusal:
            case "unknown":
                raise NotFound(f"No such picture: {media_id}.")
            case "not_a_picture":
                raise Unprocessable("A profile picture must be a ready picture.")
        return answer.avatar

    async def remote_account_deleted(self, delivery: Delivery[RemoteAccountDeleted]) -> None:
        """A remote actor deleted itself: its account goes the way a local one deletes itself
        (`user.deleted`, its follows, blocks and mutes ended)."""
        account = await self.accounts.account(delivery.event.user_id)
        if account is not None and account.domain is not None:
            await self.delete_me(account.id)

    async def delete_me(self, user_id: str) -> None:
        """Idempotent: a repeated call finishes the clean-up a failed one may have left."""
        if not await self.accounts.ever_existed(user_id):
            raise AccountGone()
        deleted_at = utc_now()
        keep = await self.accounts.keep_coauthored_posts_of(user_id)
        deleted = UserDeleted(user_id=user_id, deleted_at=deleted_at, keep_coauthored_posts=keep)
        with self.outbox.publishing(deleted) as events:
            await self.accounts.tombstone(user_id, deleted_at, events)
        await self.relations.deactivate_relations_of(user_id, deleted_at)


def _remix_settings_changed(account: Account, request: UpdateMeRequest) -> UserRemixSettingsChanged:
    """Both settings as they are after `request` (so a reader needs no earlier event)."""
    return UserRemixSettingsChanged(
        user_id=account.id,
        remix_policy=(request.remix_policy or account.remix_policy).value,
        remix_approval=(request.remix_approval or account.remix_approval).value,
        changed_at=utc_now(),
    )
