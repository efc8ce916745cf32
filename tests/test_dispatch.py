"""How a consumer takes its messages (workshop.consumers.dispatch_in_turn): one at a time, in
the order they come, from the socket and from the channel layer, until the first exception."""

import asyncio

import pytest
from channels.exceptions import StopConsumer

from workshop.consumers import dispatch_in_turn

pytestmark = pytest.mark.asyncio


def source(queue: asyncio.Queue):
    return queue.get


async def test_it_dispatches_one_message_at_a_time_in_the_order_they_come():
    socket, layer = asyncio.Queue(), asyncio.Queue()
    log = []

    async def dispatch(message):
        log.append(("start", message))
        if message == "slow":
            await asyncio.sleep(0.02)  # meanwhile a message waits on the other source
        log.append(("end", message))
        if message == "stop":
            raise StopConsumer

    task = asyncio.ensure_future(dispatch_in_turn([source(socket), source(layer)], dispatch))
    await socket.put("slow")
    await asyncio.sleep(0)
    await layer.put("push")
    await asyncio.sleep(0.05)
    await layer.put("push 2")
    await asyncio.sleep(0)
    await socket.put("stop")
    with pytest.raises(StopConsumer):
        await task
    assert log == [("start", "slow"), ("end", "slow"), ("start", "push"), ("end", "push"),
                   ("start", "push 2"), ("end", "push 2"), ("start", "stop"), ("end", "stop")]


async def test_nothing_is_dispatched_after_the_consumer_stopped_and_its_readers_end():
    socket, layer = asyncio.Queue(), asyncio.Queue()
    seen = []
    reading = asyncio.Event()

    async def stopping_source():
        reading.set()
        return await socket.get()

    async def dispatch(message):
        seen.append(message)
        if message == "disconnect":
            await layer.put("push after the end")  # waits on the lock, then is dropped
            await asyncio.sleep(0)
            raise StopConsumer

    before = len(asyncio.all_tasks())
    task = asyncio.ensure_future(dispatch_in_turn([stopping_source, source(layer)], dispatch))
    await reading.wait()
    await socket.put("disconnect")
    with pytest.raises(StopConsumer):
        await task
    await asyncio.sleep(0)
    assert seen == ["disconnect"]
    assert len(asyncio.all_tasks()) == before  # no reader left behind


async def test_an_error_in_a_handler_or_a_source_ends_it_with_that_error():
    async def dispatch(message):
        raise ValueError("No handler for message type x")

    queue = asyncio.Queue()
    await queue.put({"type": "x"})
    with pytest.raises(ValueError, match="No handler"):
        await dispatch_in_turn([source(queue), source(asyncio.Queue())], dispatch)

    async def broken():
        raise ConnectionError("the layer is away")

    with pytest.raises(ConnectionError):
        await dispatch_in_turn([source(asyncio.Queue()), broken], dispatch)


async def test_cancelling_the_consumer_cancels_its_readers():
    before = len(asyncio.all_tasks())

    async def dispatch(message):
        pass

    task = asyncio.ensure_future(
        dispatch_in_turn([source(asyncio.Queue()), source(asyncio.Queue())], dispatch))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(asyncio.all_tasks()) == before


async def test_a_source_that_fails_lets_the_running_handler_finish_and_nothing_after():
    socket, layer = asyncio.Queue(), asyncio.Queue()
    log = []
    failing = asyncio.Event()

    async def layer_source():
        message = await layer.get()
        if message == "fail":
            failing.set()
            raise ConnectionError("the layer is away")
        return message

    async def dispatch(message):
        log.append(("start", message))
        if message == "disconnect":
            await layer.put("fail")
            await failing.wait()  # the layer fails while this handler runs
            await asyncio.sleep(0.01)
        log.append(("end", message))

    task = asyncio.ensure_future(dispatch_in_turn([source(socket), layer_source], dispatch))
    await socket.put("disconnect")
    await asyncio.sleep(0)
    await socket.put("after the failure")
    with pytest.raises(ConnectionError):
        await task
    assert log == [("start", "disconnect"), ("end", "disconnect")]


async def test_a_cancellation_inside_a_handler_ends_the_consumer_at_once():
    """Phones' handlers share futures (a reveal's scores): one cancelled must not leave the
    consumer waiting with a dead reader until its socket's next frame."""
    shared = asyncio.get_running_loop().create_future()
    layer = asyncio.Queue()

    async def dispatch(message):
        await shared

    task = asyncio.ensure_future(
        dispatch_in_turn([source(asyncio.Queue()), source(layer)], dispatch))
    await layer.put("push")
    await asyncio.sleep(0)
    shared.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=1)
