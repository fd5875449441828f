"""The users use cases: the domain rules applied to the repository, events handed to the relay."""

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from uuid import uuid4

from shared.eligibility import (
    EligibilityRequest,
    EligibilityResult,
    Features,
    RemixConsent,
    RemixConsentRequest,
)
from shared.events import EventData, EventEnvelope, make_event
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
from shared.logging import correlation_id_var
from shared.outbox import OutboxRelay
from shared.pagination import Page, time_and_id_cursor, time_and_id_position
from shared.problems import NotFound, TooManyRequests, Unauthorized
from users.availability import AccountFacts, Feature, FeatureAvailability, is_available
from users.domain import (
    DEFAULT_COLLAB_POLICY,
    DEFAULT_REMIX_APPROVAL,
    DEFAULT_REMIX_POLICY,
    EligibilityDecision,
    EligibilityFacts,
    FollowBlocked,
    LoginBackoff,
    RemixFacts,
    decide_eligibility,
    decide_remix_consent,
    ensure_may_block,
    ensure_may_follow,
    ensure_may_mute,
    handle_or_none,
)
from users.passwords import PasswordHasher
from users.repository import Account, UsersRepository, relation_id
from users.schemas import (
    MyProfile,
    Profile,
    RegisterRequest,
    TokenRequest,
    TokenResponse,
    UpdateMeRequest,
    User,
)
from users.tokens import TokenIssuer


class AccountGone(Unauthorized):
    """The token's account was deleted (or never existed): the token is no longer good."""

    def __init__(self) -> None:
        super().__init__("The account of this token no longer exists.")


class WrongCredentials(Unauthorized):
    def __init__(self) -> None:
        super().__init__("The handle or the password is wrong.")


class LoginThrottled(TooManyRequests):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            "Too many wrong passwords for this account; wait before trying again.",
            retry_after_seconds=retry_after_seconds,
        )


class UnknownUser(NotFound):
    def __init__(self) -> None:
        super().__init__("No account has this handle.")


def utc_now() -> datetime:
    """Now, at the millisecond precision MongoDB stores, so events and documents agree."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def public_user(account: Account) -> User:
    return User(
        id=account.id,
        handle=account.handle,
        display_name=account.display_name,
        created_at=account.created_at,
    )


class UsersService:
    def __init__(
        self,
        repository: UsersRepository,
        relay: OutboxRelay,
        passwords: PasswordHasher,
        tokens: TokenIssuer,
        login_backoff: LoginBackoff,
        *,
        producer: str,
        availability: Mapping[Feature, FeatureAvailability] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._availability = availability or {}
        self._clock = clock
        self._login_backoff = login_backoff
        self._repository = repository
        self._relay = relay
        self._passwords = passwords
        self._tokens = tokens
        self._producer = producer

    def _event(self, data: EventData) -> EventEnvelope:
        return make_event(data, producer=self._producer, correlation_id=correlation_id_var.get())

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
        await self._repository.insert_account(account, [self._event(registered)])
        self._relay.wake()
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

    async def my_profile(self, user_id: str) -> MyProfile:
        account = await self._own_account(user_id)
        profile = await self._profile(account)
        return MyProfile(
            **profile.model_dump(),
            collab_policy=account.collab_policy,
            remix_policy=account.remix_policy,
            remix_approval=account.remix_approval,
            country=account.country,
            features=self._features_of(account),
        )

    async def update_me(self, user_id: str, request: UpdateMeRequest) -> MyProfile:
        account = await self._own_account(user_id)
        changes: dict[str, str | None] = {}
        events = []
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
            events.append(self._event(updated))
        if not await self._repository.update_profile(user_id, changes, events):
            raise AccountGone()
        if events:
            self._relay.wake()
        return await self.my_profile(user_id)

    async def delete_me(self, user_id: str) -> None:
        """Idempotent: a repeated call finishes the clean-up a failed one may have left."""
        if not await self._repository.ever_existed(user_id):
            raise AccountGone()
        deleted_at = utc_now()
        deleted = UserDeleted(user_id=user_id, deleted_at=deleted_at)
        if await self._repository.tombstone(user_id, deleted_at, [self._event(deleted)]):
            self._relay.wake()
        await self._repository.deactivate_relations_of(user_id, deleted_at)

    async def profile(self, handle: str) -> Profile:
        return await self._profile(await self._account_by_handle(handle))

    # Follows and blocks

    async def follow(self, follower_id: str, handle: str, via_post: str | None = None) -> None:
        follower = await self._own_account(follower_id)
        followee = await self._account_by_handle(handle)
        await self._ensure_may_follow(follower, followee)
        at = utc_now()
        followed = UserFollowed(
            follower_id=follower.id, followee_id=followee.id, followed_at=at, via_post=via_post
        )
        if not await self._repository.activate_follow(
            follower.id, followee.id, at, [self._event(followed)]
        ):
            return
        self._relay.wake()
        # A block written between the check and the follow must win: look again, undo if so.
        if await self._repository.blocked_either_way(follower.id, followee.id):
            await self._remove_follow(follower.id, followee.id)
            raise FollowBlocked()

    async def unfollow(self, follower_id: str, handle: str) -> None:
        follower = await self._own_account(follower_id)
        followee = await self._account_by_handle(handle)
        await self._remove_follow(follower.id, followee.id)

    async def block(self, blocker_id: str, handle: str) -> None:
        blocker = await self._own_account(blocker_id)
        blocked = await self._account_by_handle(handle)
        ensure_may_block(is_self=blocker.id == blocked.id)
        at = utc_now()
        event = UserBlocked(blocker_id=blocker.id, blocked_id=blocked.id, blocked_at=at)
        if await self._repository.activate_block(blocker.id, blocked.id, at, [self._event(event)]):
            self._relay.wake()
        # Also on a repeated block: it finishes what an interrupted one left undone.
        await self._remove_follow(blocker.id, blocked.id)
        await self._remove_follow(blocked.id, blocker.id)

    async def unblock(self, blocker_id: str, handle: str) -> None:
        blocker = await self._own_account(blocker_id)
        blocked = await self._account_by_handle(handle)
        at = utc_now()
        event = UserUnblocked(blocker_id=blocker.id, blocked_id=blocked.id, unblocked_at=at)
        if await self._repository.deactivate_block(
            blocker.id, blocked.id, at, [self._event(event)]
        ):
            self._relay.wake()

    # Mutes (issue 12)

    async def mute(self, muter_id: str, handle: str) -> None:
        muter = await self._own_account(muter_id)
        muted = await self._account_by_handle(handle)
        ensure_may_mute(is_self=muter.id == muted.id)
        event = UserMuted(muter_id=muter.id, muted_id=muted.id, muted_at=utc_now())
        if await self._repository.activate_mute(
            muter.id, muted.id, event.muted_at, [self._event(event)]
        ):
            self._relay.wake()

    async def unmute(self, muter_id: str, handle: str) -> None:
        muter = await self._own_account(muter_id)
        muted = await self._account_by_handle(handle)
        event = UserUnmuted(muter_id=muter.id, muted_id=muted.id, unmuted_at=utc_now())
        if await self._repository.deactivate_mute(
            muter.id, muted.id, event.unmuted_at, [self._event(event)]
        ):
            self._relay.wake()

    async def mutes(self, muter_id: str, limit: int, cursor: str | None) -> Page[User]:
        found = await self._repository.muted_page(muter_id, time_and_id_position(cursor), limit + 1)
        page = found[:limit]
        accounts = await self._repository.accounts_by_id(muted_id for muted_id, _, _ in page)
        next_cursor = None
        if len(found) > limit and page:
            _, at, document_id = page[-1]
            next_cursor = time_and_id_cursor(at, document_id)
        items = [public_user(accounts[i]) for i, _, _ in page if i in accounts]
        return Page(items=items, next_cursor=next_cursor)

    # Internal: eligibility and deletions

    async def eligibility(self, request: EligibilityRequest) -> list[EligibilityResult]:
        """One query per kind of fact, however many invitees."""
        inviter_id = request.inviter_id
        invitees, handles = await self._invitees(request)
        found = [account for account in invitees if account is not None]
        inviter_exists = await self._repository.account(inviter_id) is not None
        blocks = await self._repository.active_blocks(
            relation_id(a, b)
            for account in found
            for a, b in ((inviter_id, account.id), (account.id, inviter_id))
        )
        follows = await self._repository.active_follows(
            relation_id(account.id, inviter_id) for account in found
        )
        facts = [
            _eligibility_facts(account, inviter_id, inviter_exists, blocks, follows)
            for account in invitees
        ]
        return [
            _eligibility_result(account, handle, decide_eligibility(fact))
            for account, handle, fact in zip(invitees, handles, facts, strict=True)
        ]

    async def _invitees(
        self, request: EligibilityRequest
    ) -> tuple[list[Account | None], list[str | None]]:
        """The invitees in input order (None when unknown), with the handles asked for."""
        if request.invitee_handles is not None:
            normalized = [handle_or_none(raw) for raw in request.invitee_handles]
            by_handle = await self._repository.accounts_by_handle(h for h in normalized if h)
            invitees = [by_handle.get(h) if h else None for h in normalized]
            return invitees, list(request.invitee_handles)
        ids = request.invitee_ids or []
        by_id = await self._repository.accounts_by_id(ids)
        return [by_id.get(user_id) for user_id in ids], [None] * len(ids)

    async def remix_consent(self, request: RemixConsentRequest) -> RemixConsent:
        """Policies are read now: changing one later leaves the remixes made before alone."""
        remixer_id, author_id = request.remixer_id, request.original_author_id
        accounts = await self._repository.accounts_by_id([remixer_id, author_id])
        author = accounts.get(author_id)
        authors = {author_id, *request.original_coauthor_ids} - {remixer_id}
        blocks = await self._repository.active_blocks(
            relation_id(a, b)
            for other in authors
            for a, b in ((remixer_id, other), (other, remixer_id))
        )
        follows = await self._repository.active_follows([relation_id(author_id, remixer_id)])
        decision = decide_remix_consent(
            RemixFacts(
                remixer_exists=remixer_id in accounts,
                original_author_exists=author is not None,
                is_self=remixer_id == author_id,
                blocked_either_way=bool(blocks),
                original_author_follows_remixer=bool(follows),
                policy=author.remix_policy if author else DEFAULT_REMIX_POLICY,
                approval=author.remix_approval if author else DEFAULT_REMIX_APPROVAL,
            )
        )
        return RemixConsent(
            allowed=decision.approval is not None,
            approval=decision.approval.value if decision.approval else None,
            reason=decision.reason,
        )

    async def features(self, user_id: str) -> Features:
        """What an account that no longer exists may use: nothing."""
        account = await self._repository.account(user_id)
        if account is None:
            return Features(coauthoring=False, remix=False)
        return self._features_of(account)

    def _features_of(self, account: Account) -> Features:
        facts = AccountFacts(account.id, account.handle, account.country)
        now = self._clock()

        def available(feature: Feature) -> bool:
            limits = self._availability.get(feature, FeatureAvailability())
            return is_available(feature, limits, facts, now)

        return Features(coauthoring=available("coauthoring"), remix=available("remix"))

    async def deleted_since(self, since: datetime) -> list[str]:
        return await self._repository.deleted_since(since)

    # Shared steps

    async def _own_account(self, user_id: str) -> Account:
        account = await self._repository.account(user_id)
        if account is None:
            raise AccountGone()
        return account

    async def _account_by_handle(self, raw_handle: str) -> Account:
        handle = handle_or_none(raw_handle)
        account = await self._repository.account_by_handle(handle) if handle else None
        if account is None:
            raise UnknownUser()
        return account

    async def _profile(self, account: Account) -> Profile:
        return Profile(
            **public_user(account).model_dump(),
            followers_count=await self._repository.followers_count(account.id),
            following_count=await self._repository.following_count(account.id),
        )

    async def _ensure_may_follow(self, follower: Account, followee: Account) -> None:
        ensure_may_follow(
            is_self=follower.id == followee.id,
            blocked_either_way=await self._repository.blocked_either_way(follower.id, followee.id),
        )

    async def _remove_follow(self, follower_id: str, followee_id: str) -> None:
        at = utc_now()
        event = UserUnfollowed(follower_id=follower_id, followee_id=followee_id, unfollowed_at=at)
        if await self._repository.deactivate_follow(
            follower_id, followee_id, at, [self._event(event)]
        ):
            self._relay.wake()


def _eligibility_facts(
    invitee: Account | None,
    inviter_id: str,
    inviter_exists: bool,
    active_blocks: set[str],
    active_follows: set[str],
) -> EligibilityFacts:
    if invitee is None:
        return EligibilityFacts(invitee_exists=False, inviter_exists=inviter_exists)
    pair = {relation_id(inviter_id, invitee.id), relation_id(invitee.id, inviter_id)}
    return EligibilityFacts(
        invitee_exists=True,
        inviter_exists=inviter_exists,
        is_self=invitee.id == inviter_id,
        blocked_either_way=bool(pair & active_blocks),
        invitee_follows_inviter=relation_id(invitee.id, inviter_id) in active_follows,
        invitee_policy=invitee.collab_policy,
    )


def _eligibility_result(
    invitee: Account | None, asked_handle: str | None, decision: EligibilityDecision
) -> EligibilityResult:
    return EligibilityResult(
        handle=invitee.handle if invitee else asked_handle,
        user_id=invitee.id if invitee else None,
        user=public_user(invitee) if invitee else None,
        eligible=decision.eligible,
        reason=decision.reason,
    )
