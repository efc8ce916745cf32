"""The bare broadcast baseline: a minimal `websockets` server that fans one payload out to N
clients, to show what this machine can do without Django, Channels or a channel layer. The
clients are the load generator's (aiohttp), so the two runs differ only in the server.

    python -m bench.baseline serve PORT      (the server, in its own process)
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import aiohttp
import websockets

from bench.load import Client, percentiles
from bench.servers import ROOT, free_port, stops_with_parent


async def serve(port: int) -> None:
    clients: set = set()

    async def handler(ws):
        if ws.request.path == "/control":
            async for message in ws:
                # "go <size>": send a payload of that size to every client.
                payload = "x" * int(message.split()[1])
                websockets.broadcast(clients, payload)
                await ws.send("sent")
            return
        clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    async with websockets.serve(handler, "127.0.0.1", port, compression=None, max_size=2**23,
                                ping_interval=None):
        await asyncio.Future()


async def measure(clients: int, payload_bytes: int, rounds: int = 3) -> dict:
    port = free_port()
    server = subprocess.Popen(
        stops_with_parent([sys.executable, "-m", "bench.baseline", "serve", str(port)]), cwd=ROOT)
    try:
        uri = f"ws://127.0.0.1:{port}"
        async with Client.open() as client:
            ws_connect = client.sockets.ws_connect
            for _ in range(100):
                try:
                    async with ws_connect(uri + "/control"):
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            sockets = []
            gate = asyncio.Semaphore(200)

            async def connect():
                async with gate:
                    sockets.append(await ws_connect(uri + "/client", compress=0,
                                                    max_msg_size=2**23))

            started = time.perf_counter()
            await asyncio.gather(*(connect() for _ in range(clients)))
            connect_seconds = time.perf_counter() - started
            await asyncio.sleep(0.5)  # let the server register the last ones
            latencies: list[float] = []
            async with ws_connect(uri + "/control") as control:
                for _ in range(rounds):
                    sent = time.perf_counter()
                    await control.send_str(f"go {payload_bytes}")

                    async def receive(ws, sent: float = sent):
                        await ws.receive_str()
                        return time.perf_counter() - sent

                    latencies += await asyncio.gather(*(receive(ws) for ws in sockets))
                    await control.receive_str()
            for ws in sockets:
                await ws.close()
        return {"clients": clients, "payload_bytes": payload_bytes, "rounds": rounds,
                "connect_seconds": round(connect_seconds, 2),
                "broadcast_to_clients": percentiles(latencies)}
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        asyncio.run(serve(int(sys.argv[2])))
