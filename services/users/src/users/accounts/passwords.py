"""Password hashing with argon2id, off the event loop, bounded, with a constant-time answer for
strangers.

Each hash holds `memory_kib` of memory for its whole run, so at most `concurrency` run at
once: the memory they take is bounded by the settings (PASSWORD_HASHING_MEMORY_MIB). A
request that finds every slot taken is refused at once (503 + Retry-After), never queued.
"""

import asyncio
import secrets
from collections.abc import Callable

from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError

from users.accounts.rules import HashingBusy


class PasswordHasher:
    def __init__(
        self,
        *,
        memory_kib: int = 19 * 1024,
        time_cost: int = 2,
        parallelism: int = 1,
        concurrency: int = 4,
    ) -> None:
        self._hasher = Argon2Hasher(
            memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism
        )
        self._free_slots = concurrency
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await self._bounded(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """Check `password`; without a stored hash (unknown handle) spend the same time anyway,
        so response times do not tell which handles exist."""
        if stored_hash is None:
            await self._bounded(self._verify, await self._dummy(), password)
            return False
        return await self._bounded(self._verify, stored_hash, password)

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)

    async def _bounded[*A, R](self, work: Callable[[*A], R], *args: *A) -> R:
        """Run `work` in a thread if a slot is free (argon2 is slow on purpose); else 503."""
        if self._free_slots <= 0:
            raise HashingBusy()
        self._free_slots -= 1
        try:
            return await asyncio.to_thread(work, *args)
        finally:
            self._free_slots += 1

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(self._hasher.hash, secrets.token_urlsafe(16))
        return self._dummy_hash
