"""Server CPU per request, one request at a time: where a process's capacity goes.

    .venv/bin/python -m bench.request_cost [--requests 300]

Starts one daphne process (in-memory layer, SQLite), then sends each kind of request N times in
a row and divides the server process's CPU time by N. No concurrency, so no queueing and no
contention for the GIL: the figures are the floor of what each request costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random

from bench.load import OPTION, Browser, Client, Phone, ServerSampler, change_step, facilitator_login
from bench.run import machine, on_one_process
from bench.servers import FACILITATOR


async def measure(base: str, code: str, pid: int, n: int) -> dict:
    sampler = ServerSampler([pid])
    figures: dict[str, float] = {}

    async def timed(name: str, action) -> None:
        before = sampler.sample()["cpu_s"]
        await action()
        figures[name] = round(1000 * (sampler.sample()["cpu_s"] - before) / n, 2)

    async with Client.open() as client:
        facilitator = await facilitator_login(client, base, *FACILITATOR)
        browser = Browser(client, base)

        async def get(path: str) -> None:
            for _ in range(n):
                await browser.request("GET", path)

        for _ in range(20):  # warm up
            await browser.request("GET", f"/j/{code}/")
        await timed("static file (WhiteNoise)", lambda: get("/static/css/app.css"))
        await timed("404 page", lambda: get("/no-such-page/"))
        await timed("join page", lambda: get(f"/j/{code}/"))

        phones = [Phone(i, Browser(client, base), code, random.Random(i)) for i in range(n)]

        async def joined_get(phone_browser: Browser) -> None:
            for _ in range(n):
                await phone_browser.request("GET", f"/j/{code}/")

        async def join_all() -> None:
            for phone in phones:
                await phone.join()

        await timed("whole join (page, POST answered with the lobby, WebSocket)", join_all)
        joined = phones[0].browser

        async def socket_all() -> None:
            for _ in range(n):
                ws = await joined.websocket(f"/ws/p/{code}/")
                await ws.receive_str(timeout=60)
                await ws.close()

        await timed("participant page (a joined phone's GET)", lambda: joined_get(joined))
        await timed("a joined phone's socket (open, first state, close)", socket_all)

        await change_step(facilitator, code, "answering")
        await asyncio.sleep(1)
        phone = phones[0]
        screen = (await phone.browser.request("GET", f"/j/{code}/q/1/", htmx=True)).text
        options = OPTION.findall(screen)

        async def answer_all() -> None:
            for i in range(n):
                response = await phone.browser.request(
                    "POST", f"/j/{code}/q/1/", {"option": options[i % len(options)]}, htmx=True)
                assert response.status_code == 200, response.status_code

        await timed("answer (POST, saved, next screen, console told)", answer_all)
        for phone in phones:
            phone.leaving = True
            await phone.ws.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    figures = on_one_process(measure, args.requests)
    print(json.dumps({"server_cpu_ms_per_request": figures, "requests": args.requests,
                      "machine": machine()}, indent=2))


if __name__ == "__main__":
    main()
