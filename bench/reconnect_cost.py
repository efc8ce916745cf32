"""What a room of phones costs when all their sockets come back at once.

    .venv/bin/python -m bench.reconnect_cost [--phones 2000] [--runs 3]

A phone whose socket drops (the venue's Wi-Fi, a restarted process) reconnects after 250 to
500 ms (static/js/live.js) and is sent its current state from the database: the group's
results and its own. Starts one daphne process (in-memory layer, SQLite), joins N phones;
while they answer (each phone somewhere in the quiz: phone i has answered i mod 5 questions),
then in the revealed step and again in the discussion, every phone closes its socket and
reconnects after that delay. Reports per storm the server process's CPU per reconnect, the
time from the drop until the last phone has its state back (its own question, or after the
reveal its own result), and how long a facilitator's request made one second into the storm
waits (the console's "next slide"; while answering, a reload of the console): it is served
by the same thread as the phones' state.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics

from bench.load import (
    OPTION,
    QUESTIONS,
    Browser,
    Client,
    Phone,
    ServerSampler,
    _all_set,
    change_step,
    every_phone,
    facilitator_login,
    messages,
    now,
)
from bench.run import commit, load_average, machine, on_one_process
from bench.servers import FACILITATOR

OWN_RESULT = "Jouw score"


def own_result(phone: Phone, state: str) -> str | None:
    return None if OWN_RESULT in state else "the state sent on reconnect has no own result"


def answered_before(phone: Phone) -> int:
    """How many questions phone i answers before the storm while answering."""
    return phone.index % (QUESTIONS + 1)


def own_question(phone: Phone, state: str) -> str | None:
    """While answering: the phone is back at its first open question (the overview or the
    recognition question once it answered them all, which have no question number)."""
    if 'data-step="answering"' not in state:
        return "the state sent on reconnect is not the answering step"
    answered = answered_before(phone)
    if answered == QUESTIONS:
        if "phone-question" in state or not ("phone-summary" in state
                                             or "phone-recognition" in state):
            return "no overview or recognition question after the last question was answered"
        return None
    expected = f'class="phone-question" data-number="{answered + 1}"'
    return None if expected in state else f"the state sent on reconnect is not {expected!r}"


async def listen_again(phone: Phone, _unused: asyncio.Event) -> None:
    """The phone's own reader again (it hears the reveal), on its new socket."""
    phone.leaving = False
    await phone.listen()


async def answer_first(phone: Phone, code: str) -> None:
    """Answers the first answered_before(phone) questions at once."""
    screen = (await phone.browser.request("GET", f"/j/{code}/q/", htmx=True)).text
    for number in range(1, answered_before(phone) + 1):
        response = await phone.browser.request(
            "POST", f"/j/{code}/q/{number}/", {"option": phone.rng.choice(OPTION.findall(screen))},
            htmx=True)
        if response.status_code != 200:
            raise RuntimeError(f"answer {number}: HTTP {response.status_code}")
        screen = response.text


async def read(phone: Phone, discussion: asyncio.Event) -> None:
    """Read the socket as a browser does (a socket nobody reads answers no ping and is
    dropped); `discussion` is set once the discussion is on this phone."""
    async for message in messages(phone.ws):
        if 'data-step="discussion"' in message:
            discussion.set()


async def storm(crowd: list[Phone], listening: list[asyncio.Task], facilitator: Browser,
                code: str, pid: int, check=own_result, facilitator_asks=None,
                reader=read) -> tuple[dict, list[asyncio.Task], list[asyncio.Event]]:
    """Every phone drops its socket and reconnects; each must get its state back (`check`
    says what is wrong with it, or None). Returns the figures, and the new sockets' readers
    with their "discussion is on" events. `facilitator_asks` (default: the next slide) is the
    facilitator's request made one second in; `reader(phone, event)` reads each new socket."""
    for phone in crowd:
        phone.leaving = True
        await phone.ws.close()
    await asyncio.gather(*listening, return_exceptions=True)
    sampler = ServerSampler([pid])
    cpu_before = sampler.sample()["cpu_s"]
    dropped = now()

    events = [asyncio.Event() for _ in crowd]
    readers: list[asyncio.Task] = []

    async def back(phone: Phone, discussion: asyncio.Event) -> float:
        await asyncio.sleep(random.uniform(0.25, 0.5))
        phone.ws = await phone.browser.websocket(f"/ws/p/{code}/")
        state = await phone.ws.receive_str(timeout=600)
        arrived = now()
        readers.append(asyncio.create_task(reader(phone, discussion)))
        problem = check(phone, state)
        if problem:
            raise RuntimeError(f"phone {phone.index}: {problem}")
        return arrived - dropped

    async def next_slide():
        return await facilitator.request("POST", f"/sessions/{code}/slide/", {"to": "next"},
                                         htmx=True)

    async def facilitator_request() -> float:
        await asyncio.sleep(1)
        sent = now()
        response = await (facilitator_asks or next_slide)()
        if response.status_code != 200:
            raise RuntimeError(f"the facilitator's request answered {response.status_code}")
        return now() - sent

    request = asyncio.create_task(facilitator_request())
    times = await asyncio.gather(*(back(phone, event) for phone, event
                                   in zip(crowd, events, strict=True)))
    cpu_ms = 1000 * (sampler.sample()["cpu_s"] - cpu_before) / len(crowd)
    return {"server_cpu_ms_per_reconnect": round(cpu_ms, 2),
            "last_phone_s": round(max(times), 2),
            "median_phone_s": round(statistics.median(times), 2),
            "facilitator_request_s": round(await request, 2)}, readers, events


async def measure(base: str, code: str, pid: int, phones: int) -> dict:
    async with Client.open() as client:
        facilitator = await facilitator_login(client, base, *FACILITATOR)
        crowd = [Phone(i, Browser(client, base), code, random.Random(i)) for i in range(phones)]
        gate = asyncio.Semaphore(200)
        listeners = []

        async def join(phone: Phone) -> None:
            async with gate:
                await phone.join()
            listeners.append(asyncio.create_task(phone.listen()))

        await asyncio.gather(*(join(phone) for phone in crowd))

        await change_step(facilitator, code, "answering")
        await _all_set([phone.answering for phone in crowd], 120)

        async def answer(phone: Phone) -> None:
            async with gate:
                await answer_first(phone, code)

        await asyncio.gather(*(answer(phone) for phone in crowd))
        await asyncio.sleep(1)

        async def console():
            return await facilitator.request("GET", f"/sessions/{code}/")

        answering, listeners, _ = await storm(crowd, listeners, facilitator, code, pid,
                                              check=own_question, facilitator_asks=console,
                                              reader=listen_again)
        await every_phone(crowd, lambda phone: phone.answer_all(5.0))
        await change_step(facilitator, code, "revealed")
        await _all_set([phone.revealed for phone in crowd], 120)
        problems = [error for phone in crowd for error in phone.errors]
        problems += [f"phone {phone.index} missed the reveal" for phone in crowd
                     if phone.revealed_at is None]
        if problems:
            raise RuntimeError(f"{len(problems)} failures before the storm: {problems[:3]}")
        await asyncio.sleep(1)
        revealed, readers, events = await storm(crowd, listeners, facilitator, code, pid)

        await change_step(facilitator, code, "discussion")
        await _all_set(events, 120)
        if not all(event.is_set() for event in events):
            raise RuntimeError("some phones missed the discussion")
        await asyncio.sleep(1)
        discussion, readers, _ = await storm(crowd, readers, facilitator, code, pid)
        for phone in crowd:
            await phone.ws.close()
        await asyncio.gather(*readers, return_exceptions=True)
    return {"answering": answering, "revealed": revealed, "discussion": discussion}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    runs = []
    for run in range(args.runs):
        loadavg_before = load_average()
        figures = on_one_process(measure, args.phones)
        runs.append(figures)
        print(json.dumps(figures | {"run": run + 1, "phones": args.phones, "commit": commit(),
                                    "loadavg_before": loadavg_before, "machine": machine()},
                         indent=2), flush=True)
    if len(runs) > 1:
        medians = {step: {name: statistics.median(run[step][name] for run in runs)
                          for name in runs[0][step]} for step in runs[0]}
        print(json.dumps({"median_of_runs": medians, "runs": len(runs)}, indent=2))


if __name__ == "__main__":
    main()
