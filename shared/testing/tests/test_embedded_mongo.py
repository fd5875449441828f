"""The stand-in's server per database (the offline compose's MongoDB): each answers on its own
port with a store of its own, and a stop ends them all."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from pymongo import MongoClient

from shared.embedded_mongo import EMBEDDED_URL_OPTIONS, MONGOECO


def find_two_free_ports() -> int:
    """The first of two consecutive free loopback ports."""
    while True:
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port: int = first.getsockname()[1]
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return port


def test_each_database_has_a_server_of_its_own_and_sigterm_stops_them_all(
    tmp_path: Path,
) -> None:
    first_port = find_two_free_ports()
    server = subprocess.Popen(  # noqa: S603 -- this interpreter, fixed arguments
        [
            *(sys.executable, "-m", "shared.embedded_mongo", "--port", str(first_port)),
            *("--path", str(tmp_path / "mongo.sqlite3"), "--databases", "users", "posts"),
        ],
        env={**os.environ, "EMBEDDED_MONGO": MONGOECO},
    )
    try:
        for number, name in enumerate(("users", "posts")):
            url = f"mongodb://127.0.0.1:{first_port + number}/?{EMBEDDED_URL_OPTIONS}"
            # Server selection waits for the server to listen.
            with MongoClient(url, serverSelectionTimeoutMS=60_000) as client:
                client[f"copost_{name}"]["things"].insert_one({"_id": name})
        assert (tmp_path / "mongo-users.sqlite3").exists()
        assert (tmp_path / "mongo-posts.sqlite3").exists()
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
    finally:
        server.kill()
        server.wait()
