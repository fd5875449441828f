"""The test session's check that the broker speaks before any test waits on it."""

import socket
from collections.abc import Iterator

import pytest

from shared.testing.plugin import broker_answers


@pytest.fixture
def silent_listener() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        yield f"amqp://guest:guest@127.0.0.1:{listener.getsockname()[1]}/"


def test_the_running_broker_answers_the_handshake(amqp_url: str) -> None:
    assert broker_answers(amqp_url)


def test_a_port_that_accepts_and_stays_silent_is_no_broker(silent_listener: str) -> None:
    assert not broker_answers(silent_listener, timeout=0.5)


def test_a_closed_port_is_no_broker() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert not broker_answers(f"amqp://127.0.0.1:{port}/", timeout=0.5)
