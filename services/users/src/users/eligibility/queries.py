"""Who may invite whom to co-author and remix whose posts, asked by posts and invitations
(internal): one query per kind of fact, however many accounts are asked about."""

from dataclasses import dataclass

from shared.eligibility import (
    EligibilityRequest,
    EligibilityResult,
    RemixConsent,
    RemixConsentRequest,
)
from users.core.queries import public_user
from users.core.repository import Account, AccountRepository
from users.core.rules import (
    DEFAULT_REMIX_APPROVAL,
    DEFAULT_REMIX_POLICY,
    CollabPolicy,
    account_handle_or_none,
)
from users.eligibility.rules import (
    EligibilityDecision,
    EligibilityFacts,
    RemixFacts,
    decide_eligibility,
    decide_remix_consent,
)
from users.relations.repository import RelationRepository, relation_id


@dataclass(frozen=True, slots=True)
class EligibilityQueries:
    accounts: AccountRepository
    relations: RelationRepository

    async def eligibility(self, request: EligibilityRequest) -> list[EligibilityResult]:
        inviter_id = request.inviter_id
        invitees, handles = await self._invitees(request)
        found = [account for account in invitees if account is not None]
        inviter_exists = await self.accounts.account(inviter_id) is not None
        blocks = await self.relations.active_blocks(
            relation_id(a, b)
            for account in found
            for a, b in ((inviter_id, account.id), (account.id, inviter_id))
        )
        follows = await self.relations.active_follows(
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
            normalized = [account_handle_or_none(raw) for raw in request.invitee_handles]
            by_handle = await self.accounts.accounts_by_handle(h for h in normalized if h)
            invitees = [by_handle.get(h) if h else None for h in normalized]
            return invitees, list(request.invitee_handles)
        ids = request.invitee_ids or []
        by_id = await self.accounts.accounts_by_id(ids)
        return [by_id.get(user_id) for user_id in ids], [None] * len(ids)

    async def remix_consent(self, request: RemixConsentRequest) -> RemixConsent:
        """Policies are read now: changing one later leaves the remixes made before alone."""
        remixer_id, author_id = request.remixer_id, request.original_author_id
        accounts = await self.accounts.accounts_by_id([remixer_id, author_id])
        author = accounts.get(author_id)
        authors = {author_id, *request.original_coauthor_ids} - {remixer_id}
        blocks = await self.relations.active_blocks(
            relation_id(a, b)
            for other in authors
            for a, b in ((remixer_id, other), (other, remixer_id))
        )
        follows = await self.relations.active_follows([relation_id(author_id, remixer_id)])
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
        # A remote account's consent is asked of it by its own server (an Invite it may
        # Accept or Reject): no policy of ours stands in for its answer.
        invitee_policy=CollabPolicy.EVERYONE if invitee.domain else invitee.collab_policy,
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
