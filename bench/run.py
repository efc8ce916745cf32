"""Run one load scenario against real daphne processes and record the figures.

    .venv/bin/python -m bench.run --scenario memory --phones 2000
    .venv/bin/python -m bench.run --scenario redis --phones 2000
    .venv/bin/python -m bench.run --scenario redis-2 --phones 5000
    .venv/bin/python -m bench.run --scenario redis-3 --phones 5000 --runs 3

Writes bench/out/<time>-<scenario>-<phones>.json and .md per run, and with --runs a summary
(median and spread). Exits 1 when any phone of any run missed a push, did not finish, or lost
its socket, or an answer was lost. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import baseline
from bench.load import failures, run_load
from bench.servers import (
    FACILITATOR,
    ROOT,
    Cluster,
    count_answers,
    prepare,
    server_env,
)

OUT = Path(__file__).parent / "out"
SCENARIOS = {
    # name: (processes, channel layer, database)
    "memory": (1, None, "sqlite"),
    "redis": (1, "redis", "sqlite"),
    "redis-2": (2, "redis", "postgres"),
    "redis-3": (3, "redis", "postgres"),
}
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
BENCH_DATABASE = "dna_bench"


def fresh_postgres() -> str:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{BENCH_DATABASE}"


def fresh_redis() -> str:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return REDIS_URL


def scenario_env(name: str, tmp: str) -> dict:
    processes, layer, database = SCENARIOS[name]
    database_url = fresh_postgres() if database == "postgres" else f"sqlite:///{tmp}/bench.sqlite3"
    return server_env(database_url, fresh_redis() if layer else None)


def on_one_process(measure, *args) -> dict:
    """`measure(base, code, pid, *args)` against one daphne process on the embedded default
    (in-memory layer, SQLite) with a fresh session: the per-request and per-push benches."""
    with tempfile.TemporaryDirectory() as tmp:
        env = scenario_env("memory", tmp)
        code = prepare(env)
        with Cluster(env, processes=1, log_dir=Path(tmp)) as cluster:
            return asyncio.run(measure(cluster.bases[0], code, cluster.pids[0], *args))


def run_scenario(name: str, phones: int, window: float, seed: int = 1,
                 second_round: bool = False, tool_vote: bool = False,
                 join_rate: float | None = None, assets: bool = False) -> dict:
    processes = SCENARIOS[name][0]
    with tempfile.TemporaryDirectory() as tmp:
        env = scenario_env(name, tmp)
        code = prepare(env)
        with Cluster(env, processes=processes, log_dir=Path(tmp)) as cluster:
            started = time.time()
            result = asyncio.run(run_load(cluster.bases, code, phones, window,
                                          credentials=FACILITATOR, pids=cluster.pids, seed=seed,
                                          second_round=second_round, tool_vote=tool_vote,
                                          join_rate=join_rate, assets=assets))
            result["wall_seconds"] = round(time.time() - started, 1)
            result["server_log_tail"] = cluster.log_tail(1500)
            result["server_first_errors"] = cluster.first_errors()
        stored = count_answers(env, code)
    result["database"] = stored
    result["lost_answers"] = max(0, result["answers"]["acked"] - stored["answers"])
    result["lost_votes"] = max(0, result["votes"]["acked"] - stored["votes"])
    if "tool_vote" in result:
        tool = result["tool_vote"]
        tool["lost_points"] = max(0, tool["points_acked"] - stored.get("tool_points", 0))
    if "second_round" in result:
        second = result["second_round"]
        # Every change acknowledged is in the database, and every "done".
        second["lost_changes"] = max(0, second["changed"]
                                     - stored.get("second_round_changed", 0))
        second["lost_confirmations"] = max(0, second["confirmed"]
                                           - stored.get("second_round_confirmed", 0))
    result["scenario"] = name
    return result


def commit() -> str:
    """The commit measured, marked `+changes` when the work tree differs from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip()

    changed = [line for line in git("status", "--porcelain").splitlines()
               if not line[3:].startswith("bench/out")]
    return git("rev-parse", "--short", "HEAD") + ("+changes" if changed else "")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def cpu_model() -> str:
    """The processor's name: hosts of the same size differ (the same request cost three times
    as much on one such machine as on another), so figures are compared on one model only."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown processor"


def machine() -> str:
    return (f"{platform.machine()} ({cpu_model()}), {os.cpu_count()} cores, "
            f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB, "
            f"Python {platform.python_version()}")


def markdown(result: dict, base: dict | None) -> str:
    r = result
    rows = [
        ("phones connected / asked", f"{r['join']['connected']} / {r['phones']}"),
        ("processes", r["processes"]),
        ("connect time (s), rate (/s)", f"{r['join']['seconds']}, {r['join']['per_second']}"),
        ("join -> lobby p50 / p95 / p99 (ms)"
         + (f", {r['join']['offered_per_second']} joins/s offered"
            if r["join"].get("offered_per_second") else "")
         + (", with the pages' static files" if r["join"].get("assets") else ""),
         _ppp(r["join"].get("to_lobby", {}))),
        ("join failures", r["join"]["failures"]),
        ("answers acked / stored / lost",
         f"{r['answers']['acked']} / {r['database']['answers']} / {r['lost_answers']}"),
        ("answer POST p50 / p95 / p99 (ms)", _ppp(r["answers"]["post_latency"])),
        ("recognition votes acked / stored / lost",
         f"{r['votes']['acked']} / {r['database']['votes']} / {r['lost_votes']}"),
        ("recognition vote POST p50 / p95 / p99 (ms)", _ppp(r["votes"]["post_latency"])),
        ("answer -> console p50 / p95 / p99 (ms)", _ppp(r["answer_to_console"])),
        ("console final count / messages",
         f"{r['console']['final_finished']} / {r['console']['messages']}"),
        ("console renders per second while answering",
         r["console"].get("renders_per_second_answering")),
        ("start answering -> phones p50 / p95 / p99 / max (ms)",
         _ppp(r["answering_push"], True)),
        ("reveal -> phones p50 / p95 / p99 / max (ms)", _ppp(r["reveal_to_phones"], True)),
        ("phones missing the reveal", r["reveal_to_phones"]["missing"]),
        ("reveal -> own result on phones p50 / p95 / p99 / max (ms)",
         _ppp(r["own_result"], True)),
        ("phones missing their own result", r["own_result"]["missing"]),
        ("errors / disconnects", f"{r['errors']} / {r['disconnects']}"),
    ]
    if "tool_vote" in r:
        tool = r["tool_vote"]
        rows += [
            ("tool vote: phones voted; points acked / lost",
             f"{tool['phones_voted']}; {tool['points_acked']} / {tool['lost_points']}"),
            ("tool vote: GET and POST p50 / p95 / p99 (ms)", _ppp(tool["post_latency"])),
        ]
    if "second_round" in r:
        second = r["second_round"]
        rows += [
            ("second round: start -> phones p50 / p95 / p99 / max (ms)",
             _ppp(second["push"], True)),
            ("second round: changed / done; lost changes / done",
             f"{second['changed']} / {second['confirmed']}; {second['lost_changes']} / "
             f"{second['lost_confirmations']}"),
            ("second round: POST p50 / p95 / p99 (ms)", _ppp(second["post_latency"])),
            ("second reveal -> phones p50 / p95 / p99 / max (ms)",
             _ppp(second["reveal_to_phones"], True)),
            ("phones missing the second reveal / their own result",
             f"{second['reveal_to_phones']['missing']} / {second['own_result_missing']}"),
        ]
    if "server" in r:
        s = r["server"]
        rows += [
            ("server memory per phone (KiB)", s["kb_per_phone"]),
            ("server RSS baseline -> connected (MiB)",
             f"{s['rss_baseline_mb']} -> {s['rss_connected_mb']}"),
            ("server CPU per answer (ms)", s["cpu_ms_per_answer"]),
            ("server CPU: join / answering / reveal (s)",
             f"{s['cpu_s_join']} / {s['cpu_s_answering']} / {s['cpu_s_reveal']}"),
        ]
    if base:
        rows.append(("bare websockets broadcast p50 / p95 / p99 / max (ms)",
                     _ppp(base["broadcast_to_clients"], True)))
        ours, bare = r["reveal_to_phones"].get("p95_ms"), base["broadcast_to_clients"]["p95_ms"]
        if ours and bare:
            rows.append(("reveal p95 as a multiple of the bare broadcast p95",
                         round(ours / bare, 1)))
    lines = [f"### {r['scenario']}, {r['phones']} phones, commit {r.get('commit')}", "",
             f"Load average before / after: {r.get('loadavg_before')} / "
             f"{r.get('loadavg_after')}", "", "| measure | value |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    lines += ["", "| process | phones | connected | got start | finished | got reveal | "
              "got own result | dropped |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    lines += ["| {process} | {phones} | {connected} | {got_answering} | {finished} | "
              "{got_reveal} | {got_own_result} | {dropped} |".format(**row)
              for row in r["by_process"]]
    lines += ["", "Failures: " + ("; ".join(r["failures"]) if r["failures"] else "none")]
    return "\n".join(lines) + "\n"


# The figures of a run that the summary of several runs gives as median and range.
SUMMARY = [
    ("connect (s)", lambda r: r["join"]["seconds"]),
    ("join -> lobby p95 (ms)", lambda r: r["join"].get("to_lobby", {}).get("p95_ms")),
    ("answer POST p50 (ms)", lambda r: r["answers"]["post_latency"].get("p50_ms")),
    ("answer POST p95 (ms)", lambda r: r["answers"]["post_latency"].get("p95_ms")),
    ("answer -> console p95 (ms)", lambda r: r["answer_to_console"].get("p95_ms")),
    ("start -> phones p95 (ms)", lambda r: r["answering_push"].get("p95_ms")),
    ("reveal -> phones p95 (ms)", lambda r: r["reveal_to_phones"].get("p95_ms")),
    ("bare broadcast p95 (ms)",
     lambda r: r.get("baseline", {}).get("broadcast_to_clients", {}).get("p95_ms")),
    ("reveal / bare broadcast",
     lambda r: round(r["reveal_to_phones"]["p95_ms"]
                     / r["baseline"]["broadcast_to_clients"]["p95_ms"], 1)
     if r.get("baseline") and r["reveal_to_phones"].get("p95_ms") else None),
    ("server CPU / answer (ms)", lambda r: r.get("server", {}).get("cpu_ms_per_answer")),
    ("server KiB / phone", lambda r: r.get("server", {}).get("kb_per_phone")),
    ("failures", lambda r: len(r["failures"])),
]


def summary(results: list[dict]) -> str:
    """Median and range (min-max) of several runs, with each run's commit and load."""
    first = results[0]
    lines = [f"### {first['scenario']}, {first['phones']} phones, window {first['window_s']} s: "
             f"median of {len(results)} runs", "",
             "| measure | median | min - max |", "| --- | --- | --- |"]
    for label, read in SUMMARY:
        values = [v for v in (_read(read, r) for r in results) if v is not None]
        if values:
            lines.append(f"| {label} | {round(statistics.median(values), 2)} | "
                         f"{min(values)} - {max(values)} |")
    lines += ["", "Runs (commit, load average before -> after, failures):"]
    lines += [f"- {r['commit']}, {r['loadavg_before']} -> {r['loadavg_after']}, "
              f"{'; '.join(r['failures']) or 'none'}" for r in results]
    return "\n".join(lines) + "\n"


def _read(read, result: dict):
    try:
        return read(result)
    except (KeyError, TypeError, ZeroDivisionError):
        return None


def _ppp(p: dict, with_max: bool = False) -> str:
    if not p.get("n"):
        return "-"
    values = [p["p50_ms"], p["p95_ms"], p["p99_ms"]] + ([p["max_ms"]] if with_max else [])
    return " / ".join(str(v) for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="memory")
    parser.add_argument("--phones", type=int, default=100)
    parser.add_argument("--window", type=float, default=10.0,
                        help="seconds within which each phone answers every question")
    parser.add_argument("--runs", type=int, default=1,
                        help="run the scenario this many times and summarise (median, range)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the bare websockets broadcast baseline")
    parser.add_argument("--tool-vote", action="store_true",
                        help="after the reveal, the discussion and the Ik wil tool's vote")
    parser.add_argument("--join-rate", type=float, default=None,
                        help="a join storm: phones open the link at this many per second, "
                             "none waiting for another")
    parser.add_argument("--assets", action="store_true",
                        help="each phone loads the pages' CSS, scripts and icon")
    parser.add_argument("--second-round", action="store_true",
                        help="after the reveal, a second round (a third of the phones change "
                             "an answer) and its reveal")
    args = parser.parse_args()

    OUT.mkdir(exist_ok=True)
    results = []
    for _run in range(args.runs):
        results.append(one_run(args))
    if args.runs > 1:
        text = summary(results)
        stem = OUT / f"{time.strftime('%Y%m%d-%H%M%S')}-{args.scenario}-{args.phones}-summary"
        stem.with_suffix(".md").write_text(text)
        print(text)
        print(f"Written: {stem}.md")
    failed = [r for r in results if r["failures"]]
    if failed:
        print(f"FAILED: {len(failed)} of {len(results)} runs: "
              + " | ".join("; ".join(r["failures"]) for r in failed), file=sys.stderr)
        sys.exit(1)


def one_run(args: argparse.Namespace) -> dict:
    measured = commit()  # the code the servers start with
    loadavg_before = load_average()
    result = run_scenario(args.scenario, args.phones, args.window,
                          second_round=args.second_round, tool_vote=args.tool_vote,
                          join_rate=args.join_rate, assets=args.assets)
    base = None
    if not args.no_baseline:
        base = asyncio.run(baseline.measure(args.phones, payload_bytes=4096))
        result["baseline"] = base
    result["failures"] = failures(result)
    result["commit"] = measured
    result["loadavg_before"] = loadavg_before
    result["loadavg_after"] = load_average()
    result["machine"] = machine()
    result["command"] = (f"python -m bench.run --scenario {args.scenario} "
                         f"--phones {args.phones} --window {args.window}"
                         + (f" --join-rate {args.join_rate}" if args.join_rate else "")
                         + (" --assets" if args.assets else "")
                         + (" --tool-vote" if args.tool_vote else "")
                         + (" --second-round" if args.second_round else ""))
    stem = OUT / f"{time.strftime('%Y%m%d-%H%M%S')}-{args.scenario}-{args.phones}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2))
    table = markdown(result, base)
    stem.with_suffix(".md").write_text(table)
    print(table)
    print(f"Written: {stem}.json and .md")
    return result


if __name__ == "__main__":
    main()
