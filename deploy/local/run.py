"""`make run`: the whole CoPost stack on this machine until Ctrl-C, with its data in `.data/`.

Environment: PORT (gateway, default 8000; the services, then the embedded servers, one per
database, take the next ports), DATA_DIR (default .data), STACK (the stack's name on the
broker, default `local<PORT>`), MONGO_URL (a real MongoDB for every service instead of the
embedded servers), AMQP_URL, LOG_LEVEL. Every other variable reaches the services unchanged.

Several stacks can share one broker: a stack's queues and exchanges are named `<STACK>.*`
(AMQP_NAMESPACE) and its broker users `copost-<STACK>-<service>` (AMQP_USER_PREFIX); either
variable set overrides its default. A stop removes them all, and says what it could not
remove. Every process of the stack gets SIGTERM when run.py dies, however it dies.

A process that dies is restarted with exponential backoff (1 s, 2 s, 4 s ... at most 30 s;
the count starts afresh once it has stayed up a minute), and run.py says so on stderr. After
8 deaths in a row without a minute's uptime it gives up and stops everything.
"""

import os
import re
import signal
import sys
import threading

from stack import (
    BACKEND_PORT_OFFSETS,
    DEFAULT_AMQP_URL,
    GATEWAY,
    REPO_ROOT,
    LocalStack,
    StackError,
)

from shared.services import BACKENDS

# How often dead processes are looked for (and restarted once their backoff has passed).
SUPERVISE_SECONDS = 0.5


# A stack's name is part of queue, exchange and user names.
STACK_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def stack_from_environment() -> LocalStack:
    port = int(os.environ.get("PORT", "8000"))
    name = os.environ.get("STACK") or f"local{port}"
    if not STACK_NAME.match(name):
        raise StackError(f"STACK must be lowercase letters, digits and dashes, not {name!r}")
    return LocalStack(
        data_dir=REPO_ROOT / os.environ.get("DATA_DIR", ".data"),
        base_port=port,
        mongo_url=os.environ.get("MONGO_URL") or None,
        amqp_url=os.environ.get("AMQP_URL", DEFAULT_AMQP_URL),
        amqp_namespace=os.environ.get("AMQP_NAMESPACE", f"{name}."),
        broker_user_prefix=os.environ.get("AMQP_USER_PREFIX", f"copost-{name}-"),
        log_level=os.environ.get("LOG_LEVEL", "INFO"),
        die_with_parent=True,
    )


def stop(stack: LocalStack) -> int:
    """Stop the stack; 1 when something could not be cleaned (and what), else 0."""
    problems = stack.stop()
    for problem in problems:
        print(f"Not cleaned: {problem}", file=sys.stderr, flush=True)
    return 1 if problems else 0


def print_summary(stack: LocalStack) -> None:
    running = stack.running_services
    for name in BACKEND_PORT_OFFSETS:
        state = stack.service_url(name) if name in running else "not installed yet"
        print(f"  {name:<14} {state}")
    if stack.single_store:
        print(f"  {'mongodb':<14} {stack.database_url(BACKENDS[0])} (embedded, {stack.data_dir})")
        print(
            f"  {'':<14} one server for every database: {stack.legacy_store} is from before each"
            " database had a server of its own (docs/development.md says how to move it)"
        )
    elif stack.embedded_mongo:
        first, last = stack.database_port(BACKENDS[0]), stack.database_port(BACKENDS[-1])
        print(
            f"  {'mongodb':<14} a server per database on ports {first}-{last}"
            f" ({', '.join(BACKENDS)}; embedded, {stack.data_dir})"
        )
    print(f"  logs           {stack.data_dir / 'logs'}")
    domain = os.environ.get("FEDERATION_DOMAIN", "")
    fediverse = f"as {domain}" if domain else "off (FEDERATION_DOMAIN=<domain> turns it on)"
    print(f"  {'fediverse':<14} {fediverse}")
    if GATEWAY in running:
        print(f"CoPost is up at {stack.gateway_url} (API docs: {stack.gateway_url}/docs)")
    else:
        print("The gateway is not installed yet: the services above are reachable directly.")
    print("Press Ctrl-C to stop.", flush=True)


def main() -> int:
    # While starting, Ctrl-C and SIGTERM interrupt the waits; start() then stops what it began.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        stack = stack_from_environment()
    except StackError as error:
        print(f"CoPost could not start: {error}", file=sys.stderr)
        return 1
    print(f"Starting CoPost (data in {stack.data_dir}) ...", flush=True)
    try:
        stack.start()
    except StackError as error:
        print(f"CoPost could not start: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    outcome = 0
    try:
        print_summary(stack)
        # A process that dies is restarted with backoff (stack.RestartPolicy); one that keeps
        # crashing ends the run with the last lines of its log.
        while not stopping.wait(SUPERVISE_SECONDS):
            for note in stack.supervise():
                print(note, file=sys.stderr, flush=True)
        print("Stopping CoPost ...", flush=True)
    except StackError as error:
        print(f"CoPost stops: {error}", file=sys.stderr)
        outcome = 1
    return stop(stack) or outcome


if __name__ == "__main__":
    sys.exit(main())
