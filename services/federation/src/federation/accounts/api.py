"""POST /internal/remote-accounts/lookup: the users service asks for a remote account by handle."""

from fastapi import APIRouter, Depends

from federation.components import Components
from shared.identity import require_caller
from shared.remote_accounts import LOOKUP_PATH, RemoteAccountFound, RemoteAccountLookup
from shared.services import Backend

internal_router = APIRouter(
    tags=["internal"], dependencies=[Depends(require_caller(Backend.USERS))]
)


@internal_router.post(LOOKUP_PATH)
async def look_up(body: RemoteAccountLookup, components: Components) -> RemoteAccountFound:
    return await components.accounts.look_up(body.handle)
