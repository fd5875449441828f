"""One RabbitMQ user per service, allowed to publish only the routing keys its service owns.

The users are `<prefix><service>` (AMQP_USER_PREFIX, default `copost-`). Each may:
- configure (declare) the shared exchanges and its own queues (`<service>`, its retry and
  dead-letter queues);
- write to the events exchange (by topic permission only the routing keys of the events its
  service produces), the dead-letter exchange (where it parks the copies of messages it
  refused) and its own queues (to bind them); not to the default exchange: no service needs
  to address a queue directly, since retries and redrives are moved by RabbitMQ itself;
- read (consume, bind from) the exchanges and its own queues.

Whatever a service's user publishes, through any exchange it may write to, carries the AMQP
`user_id` RabbitMQ validated, naming that service, and the consumers believe nothing else
(shared.bus). The gateway gets no broker user at all.

    python -m shared.broker_users create --amqp-url URL [--prefix P] [--namespace N]
        creates (or resets) the users with fresh passwords through `rabbitmqctl`
        (root on the broker's host); prints {service: its AMQP URL} as JSON
    python -m shared.broker_users delete [--prefix P]
        deletes those of the users that exist; prints the names deleted as JSON
    python -m shared.broker_users delete-namespace --amqp-url URL --namespace N
        deletes every queue and exchange named N...; prints their names as JSON
    python -m shared.broker_users definitions --passwords-json FILE [--prefix P] [--namespace N]
        prints a RabbitMQ definitions document (for a broker's `load_definitions`)

`delete_namespace` removes the queues and exchanges of one AMQP namespace prefix (what a test
session or a local stack declared), and nothing else.
"""

import argparse
import asyncio
import base64
import hashlib
import json
import re
import secrets
import subprocess
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aio_pika

from shared.events import PRODUCING_SERVICES
from shared.services import BACKENDS

# Every backend has a broker user; the gateway has none.
SERVICES = BACKENDS
DEFAULT_PREFIX = "copost-"
# rabbitmqctl starts an Erlang VM per call (1-2 s); a broker that answers none in this time is
# stuck, and saying so beats waiting for ever.
RABBITMQCTL_TIMEOUT_SECONDS = 60
# Matches no routing key: the topic permission of a service that publishes nothing.
NOTHING = "^$"


def topic_write_pattern(service: str) -> str:
    """The routing keys `service` may publish on the events exchange."""
    families = [family for family, owner in PRODUCING_SERVICES.items() if owner == service]
    if not families:
        return NOTHING
    return "^(" + "|".join(re.escape(family) for family in families) + r")\..+$"


def permissions(service: str, namespace: str | None = "") -> dict[str, str]:
    """What `service` may do in `namespace`; `None`: anything on the vhost (tests isolate by
    namespace and create their users once per session; the consumers' check still holds)."""
    if namespace is None:
        return {"configure": ".*", "write": ".*", "read": ".*"}
    ns = re.escape(namespace)
    own = re.escape(service) + r"(\..+)?"
    exchanges = r"copost\.(events|dead-letter|unrouted)"
    return {
        "configure": f"^{ns}({exchanges}|{own})$",
        "write": f"^{ns}({exchanges}|{own})$",
        "read": f"^{ns}({exchanges}|{own})$",
    }


def password_hash(password: str) -> str:
    """RabbitMQ's `rabbit_password_hashing_sha256`: base64(salt + sha256(salt + password))."""
    salt = secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def definitions(
    passwords: Mapping[str, str],
    *,
    prefix: str = DEFAULT_PREFIX,
    namespace: str | None = "",
    vhost: str = "/",
) -> dict[str, Any]:
    """A definitions document creating one user per service in `passwords` (service -> password)."""
    users, grants, topics = [], [], []
    for service, password in passwords.items():
        name = prefix + service
        users.append(
            {
                "name": name,
                "password_hash": password_hash(password),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": "",
            }
        )
        grants.append({"user": name, "vhost": vhost, **permissions(service, namespace)})
        if namespace is None:
            continue
        topics.append(
            {
                "user": name,
                "vhost": vhost,
                "exchange": f"{namespace}copost.events",
                "write": topic_write_pattern(service),
                "read": ".*",
            }
        )
    return {"users": users, "permissions": grants, "topic_permissions": topics}


def service_url(amqp_url: str, user: str, password: str) -> str:
    """`amqp_url` logging in as `user` instead."""
    parts = urlsplit(amqp_url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _rabbitmqctl(*args: str) -> str:
    # S603/S607: the broker's own CLI, found on PATH, with arguments we build.
    try:
        result = subprocess.run(  # noqa: S603
            ["rabbitmqctl", "-q", *args],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            timeout=RABBITMQCTL_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired as stuck:
        raise RuntimeError(
            f"rabbitmqctl {args[0]} got no answer from RabbitMQ in {RABBITMQCTL_TIMEOUT_SECONDS}s"
            " (is the node overloaded or alarmed? `rabbitmq-diagnostics check_alarms`)"
        ) from stuck
    return result.stdout


def create_users(
    amqp_url: str,
    services: Sequence[str] = SERVICES,
    *,
    prefix: str = DEFAULT_PREFIX,
    namespace: str | None = "",
    passwords: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Create (or reset) the users of `services` through rabbitmqctl; their AMQP URLs.

    `passwords` (service -> password): the ones to set, for users restored as they were;
    fresh ones otherwise."""
    passwords = dict(passwords or {service: secrets.token_urlsafe(24) for service in services})
    document = definitions(passwords, prefix=prefix, namespace=namespace)
    # Imported by the node itself: `rabbitmqctl import_definitions` hangs reading its standard
    # input on RabbitMQ 4.0.5 (Debian 13's; rabbitmq-server issue 13157), and a file would have
    # to be readable by the broker's user. The document holds salted hashes, never passwords.
    body = base64.b64encode(json.dumps(document).encode()).decode()
    imported = _rabbitmqctl("eval", f'rabbit_definitions:import_raw(base64:decode(<<"{body}">>)).')
    if imported.strip() != "ok":
        raise RuntimeError(f"RabbitMQ did not import the users: {imported.strip()}")
    wanted = {prefix + service for service in services}
    deadline = time.monotonic() + 10
    while not wanted <= set(_rabbitmqctl("list_users").split()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"RabbitMQ did not create the users {sorted(wanted)}")
        time.sleep(0.1)
    return {
        service: service_url(amqp_url, prefix + service, password)
        for service, password in passwords.items()
    }


def delete_users(services: Sequence[str] = SERVICES, *, prefix: str = DEFAULT_PREFIX) -> list[str]:
    """Delete those of the users that exist; the names deleted. A user already gone is no
    error (`catch`). One `rabbitmqctl` call: each costs seconds."""
    names = ", ".join(f'<<"{prefix + service}">>' for service in services)
    deleted = _rabbitmqctl(
        "eval",
        f"[U || U <- [{names}],"
        f' (catch rabbit_auth_backend_internal:delete_user(U, <<"cli">>)) =:= ok].',
    )
    return re.findall(r'<<"([^"]*)">>', deleted)


def namespace_objects(namespace_prefix: str) -> tuple[list[str], list[str]]:
    """The queues and the exchanges on the broker whose names start with `namespace_prefix`."""
    if not namespace_prefix:
        raise ValueError("an empty prefix would name every queue and exchange on the broker")
    queues = _rabbitmqctl("list_queues", "--no-table-headers", "name").split()
    exchanges = _rabbitmqctl("list_exchanges", "--no-table-headers", "name").split()
    return (
        [name for name in queues if name.startswith(namespace_prefix)],
        [name for name in exchanges if name.startswith(namespace_prefix)],
    )


async def delete_namespace(amqp_url: str, namespace_prefix: str) -> tuple[list[str], list[str]]:
    """Delete the queues and exchanges whose names start with `namespace_prefix`; their names.
    One already gone is no error."""
    queues, exchanges = await asyncio.to_thread(namespace_objects, namespace_prefix)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for queue in queues:
            await channel.queue_delete(queue)
        for exchange in exchanges:
            await channel.exchange_delete(exchange)
    return queues, exchanges


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("action", choices=["create", "delete", "delete-namespace", "definitions"])
    parser.add_argument("--amqp-url", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX)
    parser.add_argument("--namespace", default="")
    parser.add_argument("--passwords-json", help="service -> password (definitions)")
    parser.add_argument("--services", nargs="*", default=list(SERVICES))
    args = parser.parse_args()
    if args.action == "create":
        urls = create_users(
            args.amqp_url, args.services, prefix=args.prefix, namespace=args.namespace
        )
        print(json.dumps(urls))
    elif args.action == "delete":
        print(json.dumps(delete_users(args.services, prefix=args.prefix)))
    elif args.action == "delete-namespace":
        queues, exchanges = asyncio.run(delete_namespace(args.amqp_url, args.namespace))
        print(json.dumps({"queues": queues, "exchanges": exchanges}))
    else:
        with open(args.passwords_json) as file:
            passwords = json.load(file)
        document = definitions(passwords, prefix=args.prefix, namespace=args.namespace)
        print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
