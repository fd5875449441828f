"""The stand-in's server per database (the offline compose's MongoDB): each answers on its own
port with a store of its own, a stop ends them all promptly, and a restart keeps what was
acknowledged and answers again within seconds."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from shared.embedded_mongo import EMBEDDED_URL_OPTIONS, MONGOECO

# The offline compose's databases: each is a server process of its own.
DATABASES = ("users", "posts", "invitations", "timeline", "notifications", "media", "federation")
# Bounds for a loaded 2-core machine shared with other work. Before the servers were forked
# from one process that had imported mongoeco once, seven of them took 25-40 s to answer
# after a restart here (70-80 s in the soak's container); now about 5 s. A stop takes well
# under a second, or CLOSE_GRACE_SECONDS (5 s) when a request holds the server's event loop;
# before, such a server ran on for minutes after SIGTERM (SIGKILLed in the soak).
STOP_SECONDS = 10
READY_SECONDS = 15
DOCUMENTS = 1_000


def find_free_ports(count: int) -> int:
    """The first of `count` consecutive free loopback ports."""
    while True:
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port: int = first.getsockname()[1]
        sockets = []
        try:
            for offset in range(count):
                sockets.append(socket.socket())
                sockets[-1].bind(("127.0.0.1", port + offset))
        except OSError:
            continue
        finally:
            for bound in sockets:
                bound.close()
        return port


def url(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/?{EMBEDDED_URL_OPTIONS}"


def accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
    except OSError:
        return False
    return True


class StandIn:
    """`python -m shared.embedded_mongo --databases ...` on mongoeco, as the stand-in runs it."""

    def __init__(self, path: Path, first_port: int, databases: tuple[str, ...]) -> None:
        self.path, self.first_port, self.databases = path, first_port, databases
        self.ports = [first_port + number for number in range(len(databases))]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 -- this interpreter, fixed arguments
            [
                *(sys.executable, "-m", "shared.embedded_mongo", "--port", str(self.first_port)),
                *("--path", str(self.path), "--databases", *self.databases),
            ],
            env={**os.environ, "EMBEDDED_MONGO": MONGOECO},
            # Its own group: a failing test ends its servers with it.
            start_new_session=True,
        )

    def seconds_until_each_answers_ping(self, timeout: float) -> float:
        started = time.monotonic()
        for port in self.ports:
            # Server selection waits for the server to listen.
            with MongoClient(url(port), serverSelectionTimeoutMS=int(timeout * 1000)) as client:
                client.admin.command("ping")
        return time.monotonic() - started

    def seconds_to_stop(self) -> float:
        """SIGTERM, then the time until the process has ended, with every server's port closed."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(60)
        elapsed = time.monotonic() - started
        assert status == 0
        assert not [port for port in self.ports if accepts(port)]
        self.process = None
        return elapsed

    def kill(self) -> None:
        if self.process is not None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@contextmanager
def stand_in(path: Path, databases: tuple[str, ...] = DATABASES) -> Iterator[StandIn]:
    server = StandIn(path, find_free_ports(len(databases)), databases)
    try:
        yield server
    finally:
        server.kill()


def test_each_database_has_a_server_of_its_own_and_sigterm_stops_them_all(
    tmp_path: Path,
) -> None:
    with stand_in(tmp_path / "mongo.sqlite3", ("users", "posts")) as server:
        server.start()
        server.seconds_until_each_answers_ping(60)
        for port, name in zip(server.ports, server.databases, strict=True):
            with MongoClient(url(port)) as client:
                client[f"copost_{name}"]["things"].insert_one({"_id": name})
        assert (tmp_path / "mongo-users.sqlite3").exists()
        assert (tmp_path / "mongo-posts.sqlite3").exists()
        assert server.seconds_to_stop() <= STOP_SECONDS


# Every document joined with those of its owner, three times over: hours of work for mongoeco.
JOINED_THRICE: list[dict[str, object]] = []
for joined, by in (("first", "owner"), ("second", "first.owner"), ("third", "second.owner")):
    JOINED_THRICE += [
        {"$lookup": {"from": "things", "localField": by, "foreignField": "owner", "as": joined}},
        {"$unwind": f"${joined}"},
    ]
JOINED_THRICE.append({"$count": "joined"})


def busy(port: int, timeout: float) -> bool:
    """Whether the server on `port` stops answering a ping within half a second (its event
    loop computing an aggregation) before `timeout` seconds."""
    deadline = time.monotonic() + timeout
    with MongoClient(url(port), socketTimeoutMS=500, serverSelectionTimeoutMS=500) as client:
        while time.monotonic() < deadline:
            try:
                client.admin.command("ping")
            except PyMongoError:
                return True
    return False


def load(port: int, documents: int) -> None:
    with MongoClient(url(port)) as client:
        things = client.copost_users.things
        things.create_index("owner")
        for start in range(0, documents, 100):
            batch = range(start, min(start + 100, documents))
            things.insert_many([{"_id": k, "owner": k % 50, "text": "x" * 200} for k in batch])


def test_a_restart_with_data_answers_within_seconds_and_keeps_every_acknowledged_write(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mongo.sqlite3"
    with stand_in(path) as server:
        server.start()
        server.seconds_until_each_answers_ping(120)
        load(server.ports[0], DOCUMENTS)
        assert server.seconds_to_stop() <= STOP_SECONDS
        # Every database holds data, as after a soak (copied: mongoeco writes slowly).
        for name in DATABASES[1:]:
            shutil.copyfile(tmp_path / "mongo-users.sqlite3", tmp_path / f"mongo-{name}.sqlite3")

        server.start()
        assert server.seconds_until_each_answers_ping(60) <= READY_SECONDS
        for port in server.ports:
            with MongoClient(url(port)) as client:
                assert client.copost_users.things.count_documents({}) == DOCUMENTS

        # A stop while clients write and a request runs for minutes (mongoeco computes an
        # aggregation on its event loop): the stop does not wait for that request, and every
        # write answered before it is there after it.
        answered: list[object] = []

        def aggregate() -> None:
            # No retried read: a retry would wait out server selection (30 s by default)
            # for the server this test has just stopped.
            with MongoClient(
                url(server.ports[0]), retryReads=False, serverSelectionTimeoutMS=2_000
            ) as client:
                try:
                    answered.extend(client.copost_users.things.aggregate(JOINED_THRICE))
                except PyMongoError:
                    return

        aggregation = threading.Thread(target=aggregate, daemon=True)
        aggregation.start()
        assert busy(server.ports[0], 120)
        acknowledged: list[str] = []
        writing = threading.Event()

        def write(port: int, writer: int) -> None:
            """Writes until the server is gone."""
            with MongoClient(url(port), serverSelectionTimeoutMS=2_000) as client:
                for number in range(1_000_000):
                    key = f"w{writer}-{number}"
                    try:
                        client.copost_users.late.insert_one({"_id": key})
                    except PyMongoError:
                        return
                    acknowledged.append(key)
                    if len(acknowledged) >= 20:
                        writing.set()

        writers = [
            threading.Thread(target=write, args=(server.ports[writer % 2], writer), daemon=True)
            for writer in range(4)
        ]
        for writer in writers:
            writer.start()
        assert writing.wait(60)
        stop_seconds = server.seconds_to_stop()
        for writer in writers:
            writer.join(30)
        assert not [writer for writer in writers if writer.is_alive()]
        aggregation.join(30)
        assert not aggregation.is_alive()
        assert not answered
        assert stop_seconds <= STOP_SECONDS

        server.start()
        assert server.seconds_until_each_answers_ping(60) <= READY_SECONDS
        stored: set[str] = set()
        for port in server.ports[:2]:
            with MongoClient(url(port)) as client:
                stored |= set(client.copost_users.late.distinct("_id"))
        assert set(acknowledged) <= stored
        assert server.seconds_to_stop() <= STOP_SECONDS
