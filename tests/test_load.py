"""The load benchmark, small: 50 phones against a real daphne, once on the in-memory layer
and once on Redis. Correctness only (no lost answers, every phone got the reveal, the console
counted right); the timings live in bench/RESULTS.md."""

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest

from bench.load import run_load
from bench.servers import FACILITATOR, ROOT, Cluster, count_answers, prepare, server_env
from tests.conftest import redis_url_or_skip

PHONES = 50


@pytest.fixture(params=["memory", "redis"])
def cluster_env(request, tmp_path):
    redis_url = redis_url_or_skip() if request.param == "redis" else None
    return server_env(f"sqlite:///{tmp_path / 'load.sqlite3'}", redis_url)


def test_fifty_phones_lose_nothing(cluster_env):
    code = prepare(cluster_env)
    with Cluster(cluster_env) as cluster:
        result = asyncio.run(run_load(cluster.bases, code, PHONES, window=2.0,
                                      credentials=FACILITATOR, pids=cluster.pids,
                                      second_round=True, tool_vote=True))
    stored = count_answers(cluster_env, code)
    second = result["second_round"]

    assert result["join"]["connected"] == PHONES
    assert result["errors"] == 0, result["error_samples"]
    assert result["disconnects"] == 0
    assert result["answers"]["acked"] == PHONES * 4
    # After the questions, every phone answers "Klinkt dit bekend?" too.
    assert result["votes"]["acked"] == PHONES
    assert {key: stored[key] for key in ("participants", "answers", "votes")} == {
        "participants": PHONES, "answers": PHONES * 4, "votes": PHONES}
    assert result["console"]["final_finished"] == PHONES
    assert result["reveal_to_phones"]["n"] == PHONES
    assert result["reveal_to_phones"]["missing"] == 0
    assert result["own_result"]["missing"] == 0
    # The Ik wil vote in the discussion: every phone gives its 3 points, all stored.
    assert result["tool_vote"]["phones_voted"] == PHONES
    assert result["tool_vote"]["points_acked"] == stored["tool_points"] == PHONES * 3
    # The second round: every phone is sent it, some change an answer, all say "done"; every
    # change and every "done" is stored, and every phone gets the second reveal.
    assert second["push"]["n"] == PHONES
    assert 0 < second["changed"] == stored["second_round_changed"]
    assert second["confirmed"] == stored["second_round_confirmed"] == PHONES
    assert second["console_complete"]
    assert second["reveal_to_phones"]["missing"] == 0
    assert second["own_result_missing"] == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_a_killed_bench_leaves_no_server_behind(tmp_path):
    """A bench killed outright never reaches Cluster.__exit__; its daphne must go with it."""
    env = server_env(f"sqlite:///{tmp_path / 'killed.sqlite3'}")
    prepare(env)
    pid_file = tmp_path / "pids"
    bench = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from bench.servers import Cluster\n"
        f"with Cluster({env!r}, log_dir=__import__('pathlib').Path({str(tmp_path)!r})) as c:\n"
        f"    open({str(pid_file)!r}, 'w').write(' '.join(map(str, c.pids)))\n"
        "    time.sleep(600)\n")], cwd=ROOT)
    server = None
    try:
        deadline = time.monotonic() + 60
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
            assert bench.poll() is None, "the bench did not start its server"
            time.sleep(0.1)
        (server,) = map(int, pid_file.read_text().split())
        assert alive(server)
        bench.kill()
        bench.wait(timeout=10)
        deadline = time.monotonic() + 20
        while alive(server) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(server), "the server outlived the bench that started it"
    finally:
        bench.kill()
        if server is not None and alive(server):
            os.kill(server, signal.SIGKILL)


def alive(pid: int) -> bool:
    """Running, not a zombie (the server is not our child: init reaps it)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
