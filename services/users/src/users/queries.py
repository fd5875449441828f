"""The users use cases that only read: profiles, mutes, eligibility, remix consent, deletions."""

from datetime import datetime, timedelta

from shared.clock import utc_now
from shared.eligibility import (
    EligibilityRequest,
    EligibilityResult,
    RemixConsent,
    RemixConsentRequest,
)
from shared.pagination import Page, time_and_id_cursor, time_and_id_position
from shared.problems import AccountGone
from users.availability import FeatureAccess
from users.domain import (
    DEFAULT_REMIX_APPROVAL,
    DEFAULT_REMIX_POLICY,
    EligibilityDecision,
    EligibilityFacts,
    RemixFacts,
    UnknownUser,
    decide_eligibility,
    decide_remix_consent,
    handle_or_none,
)
from users.repository import Account, UsersRepository, relation_id
from users.schemas import DeletedUsersResponse, MyProfile, Profile, User

# A deletion whose write lands while the list is read would be missed by a poll starting at
# "now"; starting the next poll a little earlier repeats some ids, which revoking tolerates.
DELETED_USERS_POLL_OVERLAP = timedelta(seconds=10)


class UserQueries:
    def __init__(self, repository: UsersRepository, features: FeatureAccess) -> None:
        self._repository = repository
        self._features = features

    async def my_profile(self, user_id: str) -> MyProfile:
        account = await own_account(self._repository, user_id)
        profile = await self._profile(account)
        return MyProfile(
            **profile.model_dump(),
            collab_policy=account.collab_policy,
            remix_policy=account.remix_policy,
            remix_approval=account.remix_approval,
            country=account.country,
            features=self._features.of_account(account),
        )

    async def profile(self, handle: str) -> Profile:
        return await self._profile(await account_by_handle(self._repository, handle))

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

    async def deleted_since(self, since: datetime) -> DeletedUsersResponse:
        as_of = utc_now() - DELETED_USERS_POLL_OVERLAP
        user_ids = await self._repository.deleted_since(since)
        return DeletedUsersResponse(user_ids=user_ids, as_of=as_of)

    async def _profile(self, account: Account) -> Profile:
        return Profile(
            **public_user(account).model_dump(),
            followers_count=await self._repository.followers_count(account.id),
            following_count=await self._repository.following_count(account.id),
        )


async def own_account(repository: UsersRepository, user_id: str) -> Account:
    """The caller's account; AccountGone when the token outlived it."""
    account = await repository.account(user_id)
    if account is None:
        raise AccountGone()
    return account


async def account_by_handle(repository: UsersRepository, raw_handle: str) -> Account:
    handle = handle_or_none(raw_handle)
    account = await repository.account_by_handle(handle) if handle else None
    if account is None:
        raise UnknownUser()
    return account


def public_user(account: Account) -> User:
    return User(
        id=account.id,
        handle=account.handle,
        display_name=account.display_name,
        created_at=account.created_at,
    )


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
