"""`make run`: the whole CoPost stack on this machine until Ctrl-C, with its data in `.data/`.

Environment: PORT (gateway, default 8000; the services take the next ports), DATA_DIR
(default .data), MONGO_URL (a real MongoDB instead of the embedded one), AMQP_URL,
AMQP_NAMESPACE, LOG_LEVEL. Every other variable reaches the services unchanged.

A process that dies is restarted with exponential backoff (1 s, 2 s, 4 s ... at most 30 s;
the count starts afresh once it has stayed up a minute), and run.py says so on stderr. After
8 deaths in a row without a minute's uptime it gives up and stops everything.
"""

import os
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

# How often dead processes are looked for (and restarted once their backoff has passed).
SUPERVISE_SECONDS = 0.5


def stack_from_environment() -> LocalStack:
    return LocalStack(
        data_dir=REPO_ROOT / os.environ.get("DATA_DIR", ".data"),
        base_port=int(os.environ.get("PORT", "8000")),
        mongo_url=os.environ.get("MONGO_URL") or None,
        amqp_url=os.environ.get("AMQP_URL", DEFAULT_AMQP_URL),
        amqp_namespace=os.environ.get("AMQP_NAMESPACE", ""),
        log_level=os.environ.get("LOG_LEVEL", "INFO"),
    )


def print_summary(stack: LocalStack) -> None:
    running = stack.running_services
    for name in BACKEND_PORT_OFFSETS:
        state = stack.service_url(name) if name in running else "not installed yet"
        print(f"  {name:<14} {state}")
    if stack.embedded_mongo:
        print(f"  {'mongodb':<14} {stack.mongo_url} (embedded, {stack.data_dir})")
    print(f"  logs           {stack.data_dir / 'logs'}")
    if GATEWAY in running:
        print(f"CoPost is up at {stack.gateway_url} (API docs: {stack.gateway_url}/docs)")
    else:
        print("The gateway is not installed yet: the services above are reachable directly.")
    print("Press Ctrl-C to stop.", flush=True)


def main() -> int:
    # While starting, Ctrl-C and SIGTERM interrupt the waits; start() then stops what it began.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    stack = stack_from_environment()
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
    try:
        print_summary(stack)
        # A process that dies is restarted with backoff (stack.RestartPolicy); one that keeps
        # crashing ends the run with the last lines of its log.
        while not stopping.wait(SUPERVISE_SECONDS):
            for note in stack.supervise():
                print(note, file=sys.stderr, flush=True)
        print("Stopping CoPost ...", flush=True)
        return 0
    except StackError as error:
        print(f"CoPost stops: {error}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
