"""Server CPU and time per push to many phones: the fan-out alone.

    .venv/bin/python -m bench.push_cost [--phones 2000] [--pushes 10]

Starts one daphne process (in-memory layer, SQLite), joins N phones (each with its WebSocket
open, read from the moment it opens), then has the facilitator send the current step to every
phone again (the console's "send again" button) several times, half a second apart. Reports
per push the server process's CPU and the time from the facilitator's POST until the last
phone has the frame (median and range). No console or projector is open: what is measured is
the request that pushes and the frames to the phones, the part of a reveal that grows with
the room.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics

from bench.load import Browser, Client, Phone, ServerSampler, facilitator_login, now
from bench.run import commit, load_average, machine, on_one_process
from bench.servers import FACILITATOR


async def measure(base: str, code: str, pid: int, phones: int, pushes: int) -> dict:
    async with Client.open() as client:
        facilitator = await facilitator_login(client, base, *FACILITATOR)
        crowd = [Phone(i, Browser(client, base), code, random.Random(i)) for i in range(phones)]
        gate = asyncio.Semaphore(200)

        async def join(phone: Phone) -> None:
            async with gate:
                await phone.join()

        await asyncio.gather(*(join(phone) for phone in crowd))

        async def frame(phone: Phone) -> float:
            await phone.ws.receive_str(timeout=60)
            return now()

        sampler = ServerSampler([pid])
        await asyncio.sleep(1)
        cpu_before = sampler.sample()["cpu_s"]
        times = []
        for _ in range(pushes):
            arrivals = [asyncio.create_task(frame(phone)) for phone in crowd]
            sent = now()
            response = await facilitator.request("POST", f"/sessions/{code}/resend/", {},
                                                 htmx=True)
            if response.status_code != 200:
                raise RuntimeError(f"resend answered {response.status_code}")
            times.append(1000 * (max(await asyncio.gather(*arrivals)) - sent))
            await asyncio.sleep(0.5)
        cpu_ms = 1000 * (sampler.sample()["cpu_s"] - cpu_before) / pushes
        for phone in crowd:
            phone.leaving = True
            await phone.ws.close()
    return {
        "server_cpu_ms_per_push": round(cpu_ms, 1),
        "push_to_last_phone_ms": {"median": round(statistics.median(times)),
                                  "min": round(min(times)), "max": round(max(times))},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=2000)
    parser.add_argument("--pushes", type=int, default=10)
    args = parser.parse_args()
    loadavg_before = load_average()
    figures = on_one_process(measure, args.phones, args.pushes)
    print(json.dumps(figures | {"phones": args.phones, "pushes": args.pushes,
                                "commit": commit(), "loadavg_before": loadavg_before,
                                "machine": machine()}, indent=2))


if __name__ == "__main__":
    main()
