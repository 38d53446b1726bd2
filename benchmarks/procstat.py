"""Run a command and measure its wall time and the peak RSS of its whole process tree."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class RunStats:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def _tree_rss_kb(root: int) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        pid = int(entry.name)
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        children.setdefault(int(fields["PPid"].strip()), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(cmd: list[str], env: dict[str, str] | None = None, interval: float = 0.02) -> RunStats:
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return RunStats(seconds, peak / 1024, proc.returncode, out, err)


def _high_water_kb(pid: int) -> int | None:
    """The process's peak RSS so far (``VmHWM``); None once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None  # a zombie: its memory is gone


def measure_exact(
    cmd: list[str], env: dict[str, str] | None = None, timeout: float = 600
) -> RunStats:
    """Like :func:`measure`, for one process that starts no others: its peak RSS is the
    kernel's high-water mark (``VmHWM``), read every millisecond until it exits, so a short
    run's peak is not missed between samples. (Not ``wait4``'s ``ru_maxrss``: on Linux that
    includes the RSS of the process that spawned it, here the benchmark itself.)"""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})}
        )
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _high_water_kb(proc.pid) or 0)
            if time.perf_counter() - start > timeout:
                proc.kill()
            time.sleep(0.001)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return RunStats(seconds, peak / 1024, proc.returncode, out.read(), err.read())


# --- process families (the crash test and benchmark kill a refresh and all it started) ---


def descendants(pid: int) -> dict[int, str]:
    """{pid: start time} of every live process below ``pid`` (Linux /proc)."""
    children: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append((int(entry.name), fields[19]))
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        for child, started in children.get(todo.pop(), []):
            if child not in found:
                found[child] = started
                todo.append(child)
    return found


def stop(pid: int) -> None:
    """SIGSTOP ``pid`` and wait until it is stopped (the signal lands a moment later): a
    stopped process starts no new process while its family is being listed."""
    try:
        os.kill(pid, signal.SIGSTOP)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return
        if state in ("T", "t", "Z", "X"):
            return
        time.sleep(0.001)


def running(pid: int) -> bool:
    """Is our child ``pid`` still running? (Unlike ``poll()`` this never reaps it, so its id
    cannot be reused by another process while we are about to signal it.)"""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def freeze(pid: int) -> dict[int, str]:
    """Stop ``pid`` and every process below it, until none is left running to start another
    (a fork server asked for a worker just before would fork it, and exit once ``pid`` dies,
    leaving the worker with no parent to be found by). Returns the family: {pid: start}."""
    stop(pid)
    family: dict[int, str] = {}
    while True:
        found = descendants(pid)
        new = {p: s for p, s in found.items() if p not in family}
        if not new:
            return family
        for child in new:
            stop(child)
        family.update(new)


def alive(pid: int, started: str) -> bool:
    """Is this very process (not a later one with a reused id) still running?"""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z" and fields[19] == started


def kill_all(family: dict[int, str]) -> None:
    """SIGKILL each process of ``family`` (and anything it started since) by id, and wait
    until they are gone."""
    for pid in list(family):
        family.update(descendants(pid))
    for pid, started in family.items():
        if alive(pid, started):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while any(alive(pid, started) for pid, started in family.items()):
        assert time.monotonic() < deadline, "processes survived SIGKILL"
        time.sleep(0.01)
