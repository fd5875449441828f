"""What the benchmarks share: the machine line, process CPU counters, percentiles, results,
`wrk` runs and the bare floor app."""

import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

# The local stack's launcher (deploy/local/stack.py) is a script, not a package.
sys.path.insert(0, str(Path(__file__).parents[1] / "deploy" / "local"))

RESULTS_DIR = Path(__file__).parent / "results"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def machine() -> str:
    """The machine and the date, for the head of every results file."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs ({model}), "
        f"{memory_kib / 2**20:.0f} GiB, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def cpu_seconds(pid: int) -> float:
    """User plus system CPU the process has used so far, from its own counters."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # After the command name: state is field 3, utime field 14 and stime field 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def machine_cpu_seconds() -> float:
    """CPU the whole machine has used since boot, every core and process (/proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    # user, nice, system, idle, iowait, irq, softirq, steal: all but idle and iowait.
    busy = [int(value) for index, value in enumerate(fields[:8]) if index not in (3, 4)]
    return sum(busy) / _CLOCK_TICKS


def own_cpu_seconds() -> float:
    """CPU this process and its children that have ended (a stopped stack) have used."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


# The machine's broker and cache serve the bench's stack: their CPU is the bench's too.
SHARED_SERVERS = frozenset({"beam.smp", "epmd", "redis-server", "valkey-server"})


def shared_servers_cpu_seconds() -> float:
    """CPU the machine's RabbitMQ and Redis processes have used so far."""
    used = 0.0
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            if (process / "comm").read_text().strip() in SHARED_SERVERS:
                used += cpu_seconds(int(process.name))
        except OSError:  # ended meanwhile
            continue
    return used


def bench_cpu_seconds() -> float:
    """CPU this process, its stopped stack and the shared servers have used so far."""
    return own_cpu_seconds() + shared_servers_cpu_seconds()


def other_work(machine_before: float, bench_before: float, wall_seconds: float) -> str:
    """What else the machine did while a bench ran: the CPU no process of the bench's (itself,
    its stopped stack, the broker and cache it uses) used, as a sentence for the results file."""
    other = (machine_cpu_seconds() - machine_before) - (bench_cpu_seconds() - bench_before)
    share = max(other, 0.0) / (wall_seconds * (os.cpu_count() or 1))
    measured = (
        f"other processes used {max(other, 0.0):.0f} s of CPU in the run's {wall_seconds:.0f} s "
        f"({share:.0%} of the machine)"
    )
    if share < 0.05:
        return f"The machine was otherwise quiet: {measured}."
    return (
        f"**Other work was running on the machine**: {measured}; absolute numbers are lower "
        "bounds of what the machine does alone, the ratios to the floor are measured in the "
        "same minutes."
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def write_results(name: str, text: str) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / name
    path.write_text(text)
    return path


def embedded_engine() -> str:
    return os.environ.get("EMBEDDED_MONGO", "secantus")


# wrk's connections: a few more than the 2 cores, so every process stays busy.
CONNECTIONS = 8


def wrk(url: str, seconds: int, headers: dict[str, str]) -> tuple[int, float, int]:
    """Requests served, their duration and the non-2xx answers or socket errors."""
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(  # noqa: S603 -- wrk with fixed arguments
        [*command, url], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"(\d+) requests in ([\d.]+)(m?s)", output)
    if found is None:
        raise RuntimeError(f"unreadable wrk output:\n{output}")
    duration = float(found.group(2)) / (1000 if found.group(3) == "ms" else 1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    failed = int(errors.group(1)) if errors else 0
    failed += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return int(found.group(1)), duration, failed


def start_floor(
    port: int, body_file: Path, content_type: str = "application/json"
) -> "subprocess.Popen[bytes]":
    """The bare FastAPI app (`bench/floor_app.py`, the services' uvicorn) serving `body_file`
    at `/page`, once it answers."""
    floor = subprocess.Popen(  # noqa: S603 -- the venv's uvicorn with fixed arguments
        [
            *(sys.executable, "-m", "uvicorn", "floor_app:app", "--app-dir", "bench"),
            *("--no-access-log", "--log-level", "warning", "--port", str(port)),
        ],
        cwd=Path(__file__).parents[1],
        env={
            **os.environ,
            "FLOOR_BODY_FILE": str(body_file),
            "FLOOR_CONTENT_TYPE": content_type,
        },
    )
    deadline = time.monotonic() + 30
    while not _answers(f"http://127.0.0.1:{port}/page"):
        if time.monotonic() > deadline:
            floor.terminate()
            raise RuntimeError("the floor app did not start")
        time.sleep(0.1)
    return floor


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
