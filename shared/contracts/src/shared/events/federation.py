"""Events published by the federation service."""

from datetime import datetime
from typing import Any

from shared.events.envelope import EventData


class ActivityDeliveryRequested(EventData):
    """An activity a local user sends to a remote inbox. The federation service consumes it
    itself: the signed POST happens off the request that caused it, retried with the broker's
    back-off (a failed delivery goes to the retry queues, then to the dead letters)."""

    event_type = "federation.activity_delivery_requested"
    sender_id: str
    key_id: str
    inbox: str
    activity: dict[str, Any]
    requested_at: datetime
