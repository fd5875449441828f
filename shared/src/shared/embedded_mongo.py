"""The embedded MongoDB wire-protocol server (mongoeco) for local runs and tests.

No MongoDB binary can be installed on the project's machines, so `make run` and the tests
serve the MongoDB wire protocol from mongoeco, persisted in SQLite, and the services talk
to it through the real driver, unchanged. Docker compose and Kubernetes run real MongoDB.
"""

import argparse
import asyncio
import contextlib
import signal
import threading
from pathlib import Path

from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire import AsyncMongoEcoProxyServer


def _server(path: str, host: str, port: int) -> AsyncMongoEcoProxyServer:
    return AsyncMongoEcoProxyServer(engine=SQLiteEngine(path), host=host, port=port)


class EmbeddedMongoThread:
    """Serves the wire protocol from a background thread with its own event loop."""

    def __init__(self, path: str = ":memory:", host: str = "127.0.0.1", port: int = 0) -> None:
        self._path, self._host, self._port = path, host, port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: AsyncMongoEcoProxyServer | None = None
        self.url = ""

    def start(self) -> str:
        self._thread.start()
        self._server = _server(self._path, self._host, self._port)
        address = asyncio.run_coroutine_threadsafe(self._server.start(), self._loop).result(30)
        self.url = address.uri
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._server.close(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


async def serve(path: str, host: str, port: int) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    server = _server(path, host, port)
    address = await server.start()
    print(f"embedded MongoDB listening on {address.uri}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    with contextlib.suppress(Exception):
        await server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--path", default=".data/mongo.sqlite3")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=27017)
    args = parser.parse_args()
    asyncio.run(serve(args.path, args.host, args.port))


if __name__ == "__main__":
    main()
