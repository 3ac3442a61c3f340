"""The stack's processes and files: data_dir layout, spawning detached, stopping, pid files, logs, one lock."""
from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from schemas.settings import Settings


def _dirs(settings: Settings) -> dict[str, Path]:
    root = settings.data_dir.resolve()
    return {name: root / name for name in ("kafka", "redis", "run", "logs")}


def _spawn(settings: Settings, name: str, cmd: list[str]) -> subprocess.Popen:
    """Detached from our session and terminal: it outlives the `safetynet stack up` that started it."""
    with open(_dirs(settings)["logs"] / f"{name}.log", "ab") as log:
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=settings.data_dir.resolve())


def _terminate(pid: int, timeout: float) -> None:
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pid, sig)  # the service leads its own process group (start_new_session)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while _alive(pid):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        else:
            return
    raise StackError(f"process {pid} survived SIGKILL")


def _alive(pid: int) -> bool:
    """True for a running process; reaps it (and says False) if it is our exited child."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # not our child: the usual case after `safetynet stack up` exited
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, IndexError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _log_tail(settings: Settings, name: str, lines: int = 30) -> str:
    path = _dirs(settings)["logs"] / f"{name}.log"
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


@contextmanager
def _stack_lock(settings: Settings) -> Iterator[None]:
    """Two `up`s at once (two terminals, parallel test sessions) must not start two brokers."""
    for path in _dirs(settings).values():
        path.mkdir(parents=True, exist_ok=True)
    with open(_dirs(settings)["run"] / "stack.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield

def _require(program: str, hint: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise StackError(f"{program} not found on PATH: {hint}")
    return path


def _fmt(address: tuple[str, int]) -> str:
    return f"{address[0]}:{address[1]}"


class StackError(RuntimeError):
    """The stack could not be started or stopped; the message says why and what to do."""
