"""Finding the account a request names, and showing it as a public User."""

from shared.problems import AccountGone
from users.core.repository import Account, AccountRepository
from users.core.rules import UnknownUser, account_handle_or_none
from users.core.schemas import User


async def own_account(accounts: AccountRepository, user_id: str) -> Account:
    """The caller's account; AccountGone when the token outlived it."""
    account = await accounts.account(user_id)
    if account is None:
        raise AccountGone()
    return account


async def account_by_handle(accounts: AccountRepository, raw_handle: str) -> Account:
    handle = account_handle_or_none(raw_handle)
    account = await accounts.account_by_handle(handle) if handle else None
    if account is None:
        raise UnknownUser()
    return account


def public_user(account: Account) -> User:
    return User(
        id=account.id,
        handle=account.handle,
        display_name=account.display_name,
        created_at=account.created_at,
        avatar=account.avatar,
    )
