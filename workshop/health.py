"""GET /healthz: is the database up, and does a message make it through the channel layer?"""

import asyncio

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def _check_channel_layer() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel("healthz.")
    await layer.send(channel, {"type": "healthz.ping"})
    message = await asyncio.wait_for(layer.receive(channel), timeout=2)
    if message.get("type") != "healthz.ping":
        raise RuntimeError("unexpected message")


async def healthz(request: HttpRequest) -> JsonResponse:
    checks = {}
    for name, check in [
        ("database", sync_to_async(_check_database)),
        ("channel_layer", _check_channel_layer),
    ]:
        try:
            await asyncio.wait_for(check(), timeout=3)
            checks[name] = "ok"
        except Exception as exc:  # a health check reports every failure, whatever its kind
            checks[name] = f"down: {type(exc).__name__}"
    down = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "down" if down else "ok", "checks": checks}
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)
