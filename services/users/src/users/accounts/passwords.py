"""Password hashing with argon2id, off the event loop, bounded and shared fairly, with a
constant-time answer for strangers.

Each hash holds `memory_kib` of memory for its whole run, so at most `concurrency` run at
once: the memory they take is bounded by the settings (PASSWORD_HASHING_MEMORY_MIB). The
slots are shared fairly (`FairSlots`): one client address never holds more than half of
them, a freed slot goes round-robin to the addresses waiting, sign-ins from a known device
first, and a request that cannot get a slot soon is refused (503 + Retry-After).
"""

import asyncio
import ipaddress
import secrets
from collections import Counter, OrderedDict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError

from users.accounts.rules import HashingBusy


@dataclass(frozen=True, slots=True)
class Hashing:
    """Who a hash is for: the client's address (an IPv6 one by its /64, which one machine
    usually holds whole), and whether it presented a device cookie of the account."""

    client: str
    known_device: bool = False

    @classmethod
    def of(cls, address: str | None, *, known_device: bool = False) -> "Hashing":
        return cls(address_key(address), known_device)


def address_key(address: str | None) -> str:
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "unknown"
    if ip.version == 6:
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class FairSlots:
    """`concurrency` slots shared fairly between clients.

    A client holds at most half the slots at once and may have `waiting_per_client`
    requests waiting; a freed slot goes to the next client in turn (round-robin), known
    devices' turns first; a wait lasts at most `max_wait_seconds`. Anything else: 503.
    """

    def __init__(
        self, concurrency: int, *, waiting_per_client: int = 2, max_wait_seconds: float = 2.0
    ) -> None:
        self._free = concurrency
        self._per_client = max(1, concurrency // 2)
        self._waiting_per_client = waiting_per_client
        self._max_wait = max_wait_seconds
        self._running: Counter[str] = Counter()
        # Known devices' queue first, then everyone else's; each by client, in turn order.
        self._queues: tuple[OrderedDict[str, deque[asyncio.Future[None]]], ...] = (
            OrderedDict(),
            OrderedDict(),
        )

    @asynccontextmanager
    async def slot(self, who: Hashing) -> AsyncIterator[None]:
        await self._acquire(who)
        try:
            yield
        finally:
            self._release(who.client)
            self._dispatch()

    async def _acquire(self, who: Hashing) -> None:
        if self._free > 0 and not any(self._queues) and self._may_run(who.client):
            self._grant(who.client)
            return
        queue = self._queues[0 if who.known_device else 1]
        waiting = sum(len(q.get(who.client, ())) for q in self._queues)
        if waiting >= self._waiting_per_client:
            raise HashingBusy()
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.setdefault(who.client, deque()).append(turn)
        # A slot may be free while every waiter before was at its cap.
        self._dispatch()
        try:
            await asyncio.wait_for(asyncio.shield(turn), self._max_wait)
        except BaseException as exc:
            if turn.done() and not turn.cancelled():
                # Granted as the wait ended: the slot goes to the next in turn.
                self._release(who.client)
            else:
                turn.cancel()
                self._withdraw(queue, who.client, turn)
            self._dispatch()
            if isinstance(exc, TimeoutError):
                raise HashingBusy() from None
            raise

    def _release(self, client: str) -> None:
        self._free += 1
        self._running[client] -= 1
        if self._running[client] <= 0:
            del self._running[client]

    def _may_run(self, client: str) -> bool:
        return self._running[client] < self._per_client

    def _grant(self, client: str) -> None:
        self._free -= 1
        self._running[client] += 1

    def _dispatch(self) -> None:
        for queue in self._queues:
            for client in list(queue):
                if self._free <= 0:
                    return
                if not self._may_run(client):
                    continue
                turns = queue[client]
                turn = turns.popleft()
                if turns:
                    queue.move_to_end(client)
                else:
                    del queue[client]
                self._grant(client)
                turn.set_result(None)

    @staticmethod
    def _withdraw(
        queue: OrderedDict[str, deque[asyncio.Future[None]]],
        client: str,
        turn: asyncio.Future[None],
    ) -> None:
        turns = queue.get(client)
        if turns is not None and turn in turns:
            turns.remove(turn)
            if not turns:
                del queue[client]


class PasswordHasher:
    def __init__(
        self,
        *,
        memory_kib: int = 19 * 1024,
        time_cost: int = 2,
        parallelism: int = 1,
        concurrency: int = 4,
        max_wait_seconds: float = 2.0,
    ) -> None:
        self._hasher = Argon2Hasher(
            memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism
        )
        self._slots = FairSlots(concurrency, max_wait_seconds=max_wait_seconds)
        self._dummy_hash: str | None = None

    async def hash(self, password: str, who: Hashing) -> str:
        return await self._bounded(who, self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str, who: Hashing) -> bool:
        """Check `password`; without a stored hash (unknown handle) spend the same time anyway,
        so response times do not tell which handles exist."""
        if stored_hash is None:
            await self._bounded(who, self._verify, await self._dummy(), password)
            return False
        return await self._bounded(who, self._verify, stored_hash, password)

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)

    async def _bounded[*A, R](self, who: Hashing, work: Callable[[*A], R], *args: *A) -> R:
        """Run `work` in a thread once `who` gets a slot (argon2 is slow on purpose)."""
        async with self._slots.slot(who):
            return await asyncio.to_thread(work, *args)

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(self._hasher.hash, secrets.token_urlsafe(16))
        return self._dummy_hash
