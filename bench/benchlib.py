"""What the benchmarks share: the machine line, process CPU counters, percentiles, results."""

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

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
