"""Each local user's RSA key pair (Mastodon verifies rsa-sha256), made the first time it is
needed and kept in this service's database: the private key never leaves the service."""

from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pymongo import ReturnDocument

from shared.clock import utc_now
from shared.mongo import Database

ACTOR_KEYS = "actor_keys"
RSA_KEY_BITS = 2048


@dataclass(frozen=True, slots=True)
class ActorKey:
    user_id: str
    private_key: rsa.RSAPrivateKey
    public_pem: str


class ActorKeys:
    def __init__(self, db: Database) -> None:
        self._keys = db[ACTOR_KEYS]

    async def of_user(self, user_id: str) -> ActorKey:
        """The user's key pair, made now if it is the first time. Two replicas making one at
        once both store theirs with `$setOnInsert`: the first write wins and both read it."""
        stored = await self._keys.find_one({"_id": user_id})
        if stored is None:
            stored = await self._keys.find_one_and_update(
                {"_id": user_id},
                {"$setOnInsert": _new_key_document()},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        if stored is None:
            raise LookupError(f"the key of {user_id} was written but cannot be read")
        private_key = serialization.load_pem_private_key(stored["private_pem"].encode(), None)
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise TypeError(f"the key of {user_id} is not an RSA key")
        return ActorKey(user_id, private_key, stored["public_pem"])

    async def forget(self, user_id: str) -> None:
        await self._keys.delete_one({"_id": user_id})


def _new_key_document() -> dict[str, object]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "private_pem": private_pem.decode(),
        "public_pem": public_pem.decode(),
        "created_at": utc_now(),
    }
