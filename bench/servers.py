"""Start and stop real daphne processes for the benchmark and the end-to-end tests.

Each process runs config.asgi:application exactly as in production; set-up (migrations,
content, a facilitator and a session) goes through manage.py in the same environment.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACILITATOR = ("bench-facilitator", "bench-password-123")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, redis_url: str | None = None, debug: bool = False) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "1" if debug else "0",
           "SECRET_KEY": "bench-" + "k" * 50, "ALLOWED_HOSTS": "127.0.0.1,localhost",
           "SECURE_SSL_REDIRECT": "0",
           "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING")}
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def prepare(env: dict, disciplines: list[str] | None = None, auto_reveal: bool = False) -> str:
    """Migrate, load the content, create the facilitator and a session; returns its code."""
    manage(env, "migrate", "-v0")
    manage(env, "load_content")
    if env.get("DEBUG") == "0":
        manage(env, "collectstatic", "--noinput", "-v0")
    username, password = FACILITATOR
    disciplines = disciplines or ["Marketing", "Directie", "ICT"]
    script = (
        "from django.contrib.auth.models import User\n"
        "from workshop.models import Organisation\n"
        "from workshop.services import create_session\n"
        f"user = User.objects.filter(username={username!r}).first() or "
        f"User.objects.create_user({username!r}, password={password!r})\n"
        "org, _ = Organisation.objects.get_or_create(slug='bench', defaults={'name': 'Bench'})\n"
        "org.members.add(user)\n"
        f"session = create_session(org, 'Benchmark', {disciplines!r}, "
        f"created_by=user, auto_reveal={auto_reveal!r})\n"
        "print(session.code)\n"
    )
    return manage(env, "shell", "-c", script).strip().splitlines()[-1]


def count_answers(env: dict, code: str) -> dict:
    """What the database holds of a run: participants, first-round answers, recognition
    votes, of a second round the answers changed and the phones that said "done", and the
    points given in the tool's vote."""
    script = (
        "from django.db.models import F, OuterRef, Subquery\n"
        "from django.db.models import Sum\n"
        "from workshop.models import Answer, Participant, ToolVote\n"
        f"people = Participant.objects.filter(session__code={code!r})\n"
        f"answers = Answer.objects.filter(participant__session__code={code!r})\n"
        "first = answers.filter(round=1, participant=OuterRef('participant'), "
        "question=OuterRef('question')).values('option')[:1]\n"
        "changed = answers.filter(round=2).annotate(first=Subquery(first))"
        ".exclude(option=F('first')).values('participant').distinct().count()\n"
        "print(people.count(), answers.filter(round=1).count(), "
        "people.exclude(recognised='').count(), changed, "
        "people.filter(confirmed_round=2).count(), "
        f"ToolVote.objects.filter(participant__session__code={code!r})"
        ".aggregate(n=Sum('points'))['n'] or 0)\n"
    )
    figures = manage(env, "shell", "-c", script).strip().splitlines()[-1].split()
    participants, answers, votes, changed, confirmed, points = (int(x) for x in figures)
    stored = {"participants": participants, "answers": answers, "votes": votes}
    if confirmed:
        stored |= {"second_round_changed": changed, "second_round_confirmed": confirmed}
    if points:
        stored["tool_points"] = points
    return stored


# A server started here stops with the process that started it, however that one ends: a
# bench or test run killed with SIGTERM or SIGKILL (never reaching Cluster.__exit__) used to
# leave its daphne processes serving. On Linux the kernel kills the server when its parent
# dies (prctl PR_SET_PDEATHSIG, kept across exec); SIGKILL, as a server stuck in its shutdown
# (a thread waiting on an unreachable database) would outlive a SIGTERM, and these servers
# keep nothing. This runs in the child before it becomes the server, and checks that the
# parent did not die before the request was made.
ORPHAN_GUARD = (
    "import ctypes, os, signal, sys\n"
    "parent = int(sys.argv.pop(1))\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "if libc.prctl(1, signal.SIGKILL, 0, 0, 0) != 0:  # PR_SET_PDEATHSIG\n"
    "    sys.exit('prctl: ' + os.strerror(ctypes.get_errno()))\n"
    "if os.getppid() != parent:\n"
    "    sys.exit('the process that started this server is gone')\n"
    "os.execvp(sys.argv[1], sys.argv[1:])\n"
)


def stops_with_parent(command: list[str]) -> list[str]:
    """`command`, killed by the kernel when the process that starts it ends; on Linux,
    elsewhere as it is. It keeps the child's pid through the exec, so the server's CPU is
    sampled by that pid as before. Strictly the kernel watches the thread that starts it, so
    that must be the main thread."""
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("a server that stops with its parent is started from the main thread")
    if not sys.platform.startswith("linux"):
        return command
    return [sys.executable, "-c", ORPHAN_GUARD, str(os.getpid()), *command]


def server_command(port: int) -> list[str]:
    """daphne, as `make run` serves: a listen backlog for a crowd joining at once (Twisted's
    default is 50), and time for a socket to be accepted while the process works through a
    queue of joins (daphne's default is 5 s). With BENCH_SERVER=uvicorn, uvicorn with uvloop
    and httptools instead (not a dependency of the project: install it beside, see
    bench/README.md), to compare servers on the same benchmark."""
    if os.environ.get("BENCH_SERVER") == "uvicorn":
        return [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host",
                "127.0.0.1", "--port", str(port), "--backlog", "4096", "--loop", "uvloop",
                "--http", "httptools", "--ws", "websockets", "--no-access-log",
                "--lifespan", "off"]
    return [sys.executable, "-m", "daphne", "-e",
            f"tcp:port={port}:interface=127.0.0.1:backlog=4096",
            "--websocket_connect_timeout", "30", "config.asgi:application"]


@dataclass
class Cluster:
    """One or more daphne processes on their own ports, sharing a database and channel layer."""

    env: dict
    processes: int = 1
    log_dir: Path | None = None
    # Where a started process is polled until it answers 200: /healthz, or a static file for a
    # server whose database is meant to be down.
    ready_path: str = "/healthz"
    ports: list[int] = field(default_factory=list)
    popen: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    @property
    def bases(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.popen]

    def __enter__(self) -> Cluster:
        log_dir = self.log_dir or Path(tempfile.mkdtemp(prefix="daphne-logs-"))
        for index in range(self.processes):
            port = free_port()
            self.ports.append(port)
            # A log file, not a pipe: a pipe nobody reads fills up and blocks the server.
            log = log_dir / f"daphne-{index}.log"
            self.logs.append(log)
            with log.open("wb") as stderr:
                self.popen.append(subprocess.Popen(
                    stops_with_parent(server_command(port)), cwd=ROOT, env=self.env,
                    stdout=subprocess.DEVNULL, stderr=stderr,
                ))
        for base, process, log in zip(self.bases, self.popen, self.logs, strict=True):
            wait_until_healthy(base, process, log, path=self.ready_path)
        return self

    def log_tail(self, characters: int = 3000) -> str:
        return "\n".join(log.read_text(errors="replace")[-characters:] for log in self.logs)

    def first_errors(self, characters: int = 4000) -> list[str]:
        """Per process, its log from the first error or traceback on: a failure at the end of
        a run is usually explained at its start, and the logs go with the run's folder."""
        found = []
        for index, log in enumerate(self.logs):
            text = log.read_text(errors="replace")
            starts = [at for at in (text.find("Traceback"), text.find("ERROR"),
                                    text.find("Exception inside application")) if at >= 0]
            if starts:
                found.append(f"process {index}: " + text[min(starts):][:characters])
        return found

    def __exit__(self, *exc) -> None:
        for process in self.popen:
            process.terminate()
        for process in self.popen:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until_healthy(base: str, process: subprocess.Popen, log: Path,
                       seconds: float = 20, path: str = "/healthz") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("daphne exited: " + log.read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(base + path, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"daphne on {base} did not become healthy in {seconds} s")


@dataclass
class RedisServer:
    """A Redis of its own on a spare loopback port, to stop and start in fault tests without
    touching the Redis that everything else uses."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(stops_with_parent(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None
