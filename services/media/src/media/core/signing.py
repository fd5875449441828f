"""Short-lived signed URLs: how media nobody else may see yet are shown to those who may."""

import base64
import hashlib
import hmac
import logging
import secrets
from datetime import datetime

from shared.public_media import media_path

log = logging.getLogger(__name__)


class UrlSigner:
    """HMAC-SHA256 over the medium, the variant and the expiry: a URL is good for that variant
    of that medium until then, and for nothing else."""

    def __init__(self, key: bytes, lifetime_seconds: int) -> None:
        if not key:
            log.warning("URL_SIGNING_KEY is not set: signed media URLs work on this replica only")
            key = secrets.token_bytes(32)
        self._key = key
        self._lifetime_seconds = lifetime_seconds

    def signed_path(self, media_id: str, variant: str, now: datetime) -> str:
        expires = int(now.timestamp()) + self._lifetime_seconds
        signature = self._signature(media_id, variant, expires)
        return f"{media_path(media_id, variant)}?expires={expires}&signature={signature}"

    def is_valid(
        self, media_id: str, variant: str, expires: int | None, signature: str | None, now: datetime
    ) -> bool:
        if expires is None or signature is None or expires < now.timestamp():
            return False
        expected = self._signature(media_id, variant, expires)
        return hmac.compare_digest(expected, signature)

    def _signature(self, media_id: str, variant: str, expires: int) -> str:
        message = f"{media_id}/{variant}/{expires}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
