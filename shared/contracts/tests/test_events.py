"""Event envelopes and schemas: round trips, versions, forward compatibility."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.events import (
    EVENT_TYPES,
    PRODUCING_SERVICES,
    EventData,
    UnknownEventVersion,
    decode_envelope,
    make_event,
    parse_event_data,
)
from shared.events.invitations import InvitationAccepted
from shared.events.posts import PostRemixApproved

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def accepted() -> InvitationAccepted:
    return InvitationAccepted(
        invitation_id="i1", post_id="p1", inviter_id="a", invitee_id="b", responded_at=NOW
    )


def test_an_event_survives_the_wire_unchanged() -> None:
    event = make_event(accepted(), producer="invitations", correlation_id="req-1")
    received = decode_envelope(event.model_dump_json().encode())
    assert received == event
    assert parse_event_data(received) == accepted()
    assert (received.type, received.version, received.producer) == (
        "invitation.accepted",
        "1.0",
        "invitations",
    )


def test_every_event_type_is_named_in_the_past_tense_under_its_producer() -> None:
    producers = set(PRODUCING_SERVICES)
    for event_type, model in EVENT_TYPES.items():
        assert event_type == model.event_type
        assert event_type.split(".", 1)[0] in producers


def test_a_newer_minor_version_with_unknown_fields_is_accepted() -> None:
    event = make_event(accepted(), producer="invitations")
    newer = event.model_copy(update={"version": "1.3", "data": {**event.data, "note": "new"}})
    assert parse_event_data(decode_envelope(newer.model_dump())) == accepted()


def test_an_unknown_major_version_is_refused() -> None:
    event = make_event(accepted(), producer="invitations").model_copy(update={"version": "2.0"})
    with pytest.raises(UnknownEventVersion):
        parse_event_data(event)


def test_an_unknown_event_type_is_refused() -> None:
    event = make_event(accepted(), producer="x").model_copy(update={"type": "post.teleported"})
    with pytest.raises(UnknownEventVersion):
        parse_event_data(event)


def test_an_envelope_missing_its_id_fields_is_invalid() -> None:
    with pytest.raises(ValidationError):
        decode_envelope(b'{"type": "user.registered", "data": {}}')


def test_event_data_is_immutable() -> None:
    with pytest.raises(ValidationError):
        accepted().post_id = "other"  # type: ignore[misc]


def test_every_event_class_is_registered_by_being_defined() -> None:
    def events_below(base: type[EventData]) -> set[type[EventData]]:
        found = set()
        for subclass in base.__subclasses__():
            if "event_type" in subclass.__dict__:
                found.add(subclass)
            found |= events_below(subclass)
        return found

    assert set(EVENT_TYPES.values()) == events_below(EventData)
    assert EVENT_TYPES["post.remix_approved"] is PostRemixApproved


def test_two_classes_cannot_claim_one_event_type() -> None:
    with pytest.raises(TypeError, match=r"two event classes for 'invitation\.accepted'"):

        class AcceptedAgain(EventData):
            event_type = "invitation.accepted"
