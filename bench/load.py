"""An asyncio load generator that plays N phones, one facilitator console and one projector
against running servers, exactly as the pages do: open /j/<CODE>, join, open the participant
WebSocket, answer every question over HTTP within a window, and listen for the pushes, the
reveal with each phone's own result in the same frame.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import subprocess
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
import psutil

FINISHED = re.compile(r"(\d+) van de (\d+) klaar")  # the console, in Dutch (the default)
JOINED = re.compile(r"<strong>(\d+)</strong> doen mee")  # the projector
OPTION = re.compile(r'name="option" value="(\d+)"')
# The phase tool's vote (Ik wil: points over the parts of the business model).
TOOL_CHOICE = re.compile(r'name="choice" value="([a-z-]+)"')
# "Klinkt dit bekend?" after the questions: the phase descriptions' values.
DESCRIPTION = re.compile(r'name="phase" value="([a-z-]+)"')
DISCIPLINE = re.compile(r'name="discipline" value="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')
JOIN_KEY = re.compile(r'name="join_key" value="([^"]+)"')
QUESTIONS = 4
# HTTP requests in flight at once from all phones together, like a room's Wi-Fi would allow.
MAX_IN_FLIGHT = 300


def now() -> float:
    return time.perf_counter()


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    return {"n": len(values), "p50_ms": round(1000 * at(0.5), 1),
            "p95_ms": round(1000 * at(0.95), 1), "p99_ms": round(1000 * at(0.99), 1),
            "max_ms": round(1000 * ordered[-1], 1)}


@dataclass
class Client:
    """What all phones share: a pool of keep-alive HTTP connections and the WebSockets."""

    http: aiohttp.ClientSession
    sockets: aiohttp.ClientSession
    # Requests in flight are capped, as a room's Wi-Fi would; the rest queue here, first come
    # first served. aiohttp's own pool hands a free connection to a new request before the
    # ones waiting, which starved some answers for 40 s at 5,000 phones.
    gate: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(MAX_IN_FLIGHT))

    @classmethod
    @asynccontextmanager
    async def open(cls):
        # Cookies are kept per phone (Browser), never in the shared sessions.
        jar = aiohttp.DummyCookieJar()
        async with (
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=MAX_IN_FLIGHT),
                                  cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=120)) as http,
            # No total timeout for sockets: aiohttp would close a socket that long after it opened.
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), cookie_jar=jar,
                                  timeout=aiohttp.ClientTimeout(total=None, connect=60)) as sockets,
        ):
            yield cls(http, sockets)


class Browser:
    """One phone's (or the facilitator's) cookies over the shared connections."""

    def __init__(self, client: Client, base: str):
        self.client = client
        self.base = base
        self.cookies: dict[str, str] = {}

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    async def request(self, method: str, path: str, data: dict | None = None,
                      htmx: bool = False) -> Response:
        headers = {"Cookie": self.cookie_header}
        if method == "POST":
            headers["Origin"] = self.base  # as a browser sends with every POST
        if htmx:
            headers["HX-Request"] = "true"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        async with (
            self.client.gate,
            self.client.http.request(method, self.base + path, data=data, headers=headers,
                                     allow_redirects=False) as response,
        ):
            text = await response.text()
            set_cookies = response.headers.getall("Set-Cookie", [])
        for raw in set_cookies:
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in raw or 'expires=Thu, 01 Jan 1970' in raw:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return Response(response.status, text)

    async def websocket(self, path: str) -> aiohttp.ClientWebSocketResponse:
        ws_base = self.base.replace("http://", "ws://")
        return await self.client.sockets.ws_connect(
            ws_base + path, headers={"Cookie": self.cookie_header, "Origin": self.base},
            compress=0, max_msg_size=2**23, timeout=aiohttp.ClientWSTimeout(
                ws_receive=None, ws_close=2),
        )


@dataclass
class Response:
    status_code: int
    text: str


async def messages(ws: aiohttp.ClientWebSocketResponse):
    """The text frames of a socket until it closes."""
    async for message in ws:
        if message.type == aiohttp.WSMsgType.TEXT:
            yield message.data


def end_of(ws: aiohttp.ClientWebSocketResponse) -> str:
    """Why a socket ended, for the report."""
    return f"socket closed with code {ws.close_code}: {ws.exception()!r}"[:200]


# A page whose socket dropped reconnects after a moment (static/js: within three seconds).
RECONNECT_DELAY = 1.0


@dataclass
class Phone:
    index: int
    browser: Browser
    code: str
    rng: random.Random
    process: int = 0  # which server process (port) the phone talks to
    connected_at: float | None = None
    answering_at: float | None = None
    revealed_at: float | None = None
    own_result_at: float | None = None
    finished_at: float | None = None
    acked: set[int] = field(default_factory=set)
    asked: bool = False  # the recognition question came after the questions
    voted: bool = False  # and its answer was acknowledged
    answer_latencies: list[float] = field(default_factory=list)
    vote_latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    disconnects: int = 0
    resyncs: int = 0  # reconnections after a drop, each sent the current state
    first_screen: str = ""
    answering: asyncio.Event = field(default_factory=asyncio.Event)
    revealed: asyncio.Event = field(default_factory=asyncio.Event)
    # The second round (run_load(second_round=True)): pushed, answered, revealed.
    second_at: float | None = None
    second_revealed_at: float | None = None
    second_own_result: bool = False
    changed: int | None = None  # the question changed in the second round, 0: none
    confirmed: bool = False
    second_latencies: list[float] = field(default_factory=list)
    second: asyncio.Event = field(default_factory=asyncio.Event)
    # The tool's vote (run_load(tool_vote=True)): the points this phone gave, acknowledged.
    tool_points: int = 0
    tool_latencies: list[float] = field(default_factory=list)
    second_revealed: asyncio.Event = field(default_factory=asyncio.Event)
    ws: aiohttp.ClientWebSocketResponse | None = None
    leaving: bool = False
    assets: bool = False  # load each page's CSS, scripts and icon, as a browser does
    loaded: set[str] = field(default_factory=set)
    offered_at: float | None = None  # when the phone opened the link

    async def load_assets(self, html: str) -> None:
        """The page's static files this phone has not loaded yet, at once as a browser does
        (with an empty cache: every phone is a browser of its own)."""
        if not self.assets:
            return
        wanted = [url for url in dict.fromkeys(ASSET.findall(html)) if url not in self.loaded]
        self.loaded.update(wanted)
        responses = await asyncio.gather(*(self.browser.request("GET", url) for url in wanted))
        for url, response in zip(wanted, responses, strict=True):
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")

    async def join(self) -> None:
        self.offered_at = self.offered_at or now()
        page = await self.browser.request("GET", f"/j/{self.code}/")
        await self.load_assets(page.text)
        disciplines = DISCIPLINE.findall(page.text)
        token = CSRF_INPUT.search(page.text).group(1)
        response = await self.browser.request("POST", f"/j/{self.code}/", {
            "csrfmiddlewaretoken": token, "name": f"Telefoon {self.index}",
            "discipline": self.rng.choice(disciplines),
            "join_key": JOIN_KEY.search(page.text).group(1),
        })
        if response.status_code != 200:
            raise RuntimeError(f"join answered {response.status_code}")
        await self.load_assets(response.text)  # the join is answered with the lobby itself
        self.ws = await self.browser.websocket(f"/ws/p/{self.code}/")
        await self.ws.receive_str(timeout=60)  # the current stage
        self.connected_at = now()

    async def listen(self) -> None:
        """Read the socket from the moment it is open, as a browser does: a socket nobody reads
        answers no WebSocket ping, and daphne drops it 30 s after the first unanswered one. A
        socket the server drops is counted and reconnected, and the page re-syncs."""
        while True:
            async for message in messages(self.ws):
                self.heard(message)
            if self.leaving:
                return
            self.disconnects += 1  # the server closed the socket, or it broke
            self.errors.append(end_of(self.ws))
            while not self.leaving:
                await asyncio.sleep(RECONNECT_DELAY)
                try:
                    self.ws = await self.browser.websocket(f"/ws/p/{self.code}/")
                except Exception as exc:
                    self.errors.append(f"reconnect: {type(exc).__name__}: {exc}"[:200])
                    continue
                self.resyncs += 1
                break

    def heard(self, message: str) -> None:
        if 'data-step="answering"' in message and self.answering_at is None:
            self.answering_at = now()
            self.first_screen = message
            self.answering.set()
        elif 'data-step="revealed"' in message and self.revealed_at is None:
            self.revealed_at = now()
            self.revealed.set()
            if 'id="my-result" data-hx-swap-oob' in message and "Jouw score" in message:
                self.own_result_at = self.revealed_at
        elif 'data-step="answering"' in message and self.second_at is None:
            self.second_at = now()
            self.second.set()
        elif ('data-step="revealed"' in message and self.second_at is not None
              and self.second_revealed_at is None):
            self.second_revealed_at = now()
            self.second_revealed.set()
            self.second_own_result = "In de eerste ronde" in message

    async def answer_all(self, window: float) -> None:
        """Every question, then the recognition question when the session asks it, with
        random think times spread over the window."""
        pauses = sorted(self.rng.uniform(0, window) for _ in range(QUESTIONS + 1))
        start = now()
        screen = self.first_screen
        if 'hx-trigger="load"' in screen:  # the page asks for the phone's own question
            screen = (await self.browser.request("GET", f"/j/{self.code}/q/", htmx=True)).text
        for number in range(1, QUESTIONS + 1):
            await asyncio.sleep(max(0.0, start + pauses[number - 1] - now()))
            options = OPTION.findall(screen)
            if not options:
                self.errors.append(f"no options on screen for question {number}")
                return
            sent = now()
            response = await self.browser.request(
                "POST", f"/j/{self.code}/q/{number}/", {"option": self.rng.choice(options)},
                htmx=True,
            )
            if response.status_code == 200:
                self.answer_latencies.append(now() - sent)
                self.acked.add(number)
                screen = response.text
            else:
                self.errors.append(f"answer {number}: HTTP {response.status_code}")
        descriptions = DESCRIPTION.findall(screen)
        self.asked = bool(descriptions)
        if descriptions:
            await asyncio.sleep(max(0.0, start + pauses[QUESTIONS] - now()))
            sent = now()
            response = await self.browser.request(
                "POST", f"/j/{self.code}/recognise/", {"phase": self.rng.choice(descriptions)},
                htmx=True,
            )
            if response.status_code == 200:
                self.vote_latencies.append(now() - sent)
                self.voted = True
            else:
                self.errors.append(f"recognition: HTTP {response.status_code}")
        self.finished_at = now()


    async def vote_in_tool(self, window: float, budget: int = 3) -> None:
        """The Ik wil vote: the phone loads its vote, then spreads `budget` points over two
        parts of the business model (two taps: 2 and 1), within the window."""
        pauses = sorted(self.rng.uniform(0, window) for _ in range(2))
        start = now()
        sent = now()
        screen = (await self.browser.request("GET", f"/j/{self.code}/tool/vote/",
                                             htmx=True)).text
        self.tool_latencies.append(now() - sent)
        choices = sorted(set(TOOL_CHOICE.findall(screen)))
        if len(choices) < 2:
            self.errors.append(f"tool vote: {len(choices)} choices on the screen")
            return
        first, second = self.rng.sample(choices, 2)
        for pause, (choice, points) in zip(pauses, [(first, budget - 1), (second, 1)],
                                           strict=True):
            await asyncio.sleep(max(0.0, start + pause - now()))
            sent = now()
            response = await self.browser.request(
                "POST", f"/j/{self.code}/tool/vote/", {"choice": choice, "points": points},
                htmx=True)
            if response.status_code != 200:
                self.errors.append(f"tool vote: HTTP {response.status_code}")
                return
            self.tool_latencies.append(now() - sent)
            self.tool_points += points

    async def answer_second_round(self, window: float, change: float = 0.3) -> None:
        """The review screen of the second round: one phone in three (`change`) taps another
        answer to one question, then every phone taps "done", within the window."""
        pauses = sorted(self.rng.uniform(0, window) for _ in range(2))
        start = now()
        sent = now()
        screen = (await self.browser.request("GET", f"/j/{self.code}/q/", htmx=True)).text
        self.second_latencies.append(now() - sent)
        forms = screen.split('class="choice-form review-question"')[1:]
        if len(forms) != QUESTIONS:
            self.errors.append(f"second round: {len(forms)} questions on the review screen")
            return
        self.changed = 0
        if self.rng.random() < change:
            number = self.rng.randint(1, QUESTIONS)
            others = [o for o in OPTION.findall(forms[number - 1].split("</form>")[0])
                      if f'value="{o}" class="choice chosen"' not in forms[number - 1]]
            await asyncio.sleep(max(0.0, start + pauses[0] - now()))
            sent = now()
            response = await self.browser.request(
                "POST", f"/j/{self.code}/q/{number}/",
                {"option": self.rng.choice(others), "from": "review"}, htmx=True)
            if response.status_code != 200:
                self.errors.append(f"second round, answer {number}: HTTP {response.status_code}")
                return
            self.second_latencies.append(now() - sent)
            self.changed = number
        await asyncio.sleep(max(0.0, start + pauses[1] - now()))
        sent = now()
        response = await self.browser.request("POST", f"/j/{self.code}/done/", htmx=True)
        if response.status_code != 200:
            self.errors.append(f"second round, done: HTTP {response.status_code}")
            return
        self.second_latencies.append(now() - sent)
        self.confirmed = True


@dataclass
class Screen:
    """The facilitator's console or the projector: every pushed state, timed."""

    ws: aiohttp.ClientWebSocketResponse
    pattern: re.Pattern
    states: list[tuple[float, int]] = field(default_factory=list)
    messages: int = 0

    async def listen(self) -> None:
        async for message in messages(self.ws):
            self.messages += 1
            match = self.pattern.search(message)
            if match:
                self.states.append((now(), int(match.group(1))))

    def last(self) -> int:
        return self.states[-1][1] if self.states else 0

    async def wait_for_since(self, value: int, since: float, timeout: float) -> bool:
        """Like wait_for, for a count that starts again from 0 at `since` (a second round)."""
        deadline = now() + timeout
        while now() < deadline:
            if any(t >= since and count >= value for t, count in self.states):
                return True
            await asyncio.sleep(0.05)
        return False

    async def wait_for(self, value: int, timeout: float) -> bool:
        deadline = now() + timeout
        while now() < deadline:
            if self.last() >= value:
                return True
            await asyncio.sleep(0.05)
        return False


class ServerSampler:
    """CPU seconds and resident memory of the server processes, read at the phases of a run."""

    def __init__(self, pids: list[int]):
        self.processes = [psutil.Process(pid) for pid in pids]

    def sample(self) -> dict:
        each = [p.cpu_times().user + p.cpu_times().system for p in self.processes]
        rss = sum(p.memory_info().rss for p in self.processes)
        return {"cpu_s": sum(each), "cpu_s_each": each, "rss_mb": rss / 2**20, "t": now()}


class PhaseProfiler:
    """With BENCH_PY_SPY=<path of py-spy> and BENCH_PROFILE_DIR=<folder>: py-spy samples the
    server processes' Python stacks (the thread holding the GIL only, so time spent waiting
    for it is not counted) from one phase of the run to the next, and writes
    <folder>/<phase>-<pid>.txt (collapsed stacks, as flamegraph.pl reads them)."""

    def __init__(self, pids: list[int]):
        self.pids = pids
        self.py_spy = os.environ.get("BENCH_PY_SPY", "")
        self.folder = os.environ.get("BENCH_PROFILE_DIR", "")
        self.running: list[subprocess.Popen] = []

    def next_phase(self, name: str) -> None:
        self.stop()
        if not (self.py_spy and self.folder and name):
            return
        os.makedirs(self.folder, exist_ok=True)
        self.running = [subprocess.Popen(
            [self.py_spy, "record", "--gil", "--nonblocking", "-r", "200", "-f", "raw", "-p",
             str(pid), "-o", os.path.join(self.folder, f"{name}-{pid}.txt")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for pid in self.pids]

    def stop(self) -> None:
        for process in self.running:
            process.send_signal(signal.SIGINT)
        for process in self.running:
            process.wait(timeout=30)
        self.running = []


PHASE_AFTER = {"baseline": "join", "connected": "answering", "answered": "reveal"}


async def facilitator_login(client: Client, base: str, username: str,
                            password: str) -> Browser:
    browser = Browser(client, base)
    page = await browser.request("GET", "/login/")
    token = CSRF_INPUT.search(page.text).group(1)
    response = await browser.request("POST", "/login/", {
        "csrfmiddlewaretoken": token, "username": username, "password": password,
    })
    if response.status_code != 302 or "sessionid" not in browser.cookies:
        raise RuntimeError(f"facilitator login failed: HTTP {response.status_code}")
    return browser


async def change_step(facilitator: Browser, code: str, step: str) -> float:
    sent = now()
    response = await facilitator.request("POST", f"/sessions/{code}/step/", {"step": step},
                                         htmx=True)
    if response.status_code != 200:
        raise RuntimeError(f"step {step}: HTTP {response.status_code}")
    return sent


async def run_load(bases: list[str], code: str, phones: int, window: float = 10.0,
                   credentials: tuple[str, str] = ("bench-facilitator", "bench-password-123"),
                   pids: list[int] | None = None, seed: int = 1,
                   join_concurrency: int = 200, push_timeout: float = 90.0,
                   second_round: bool = False, tool_vote: bool = False,
                   join_rate: float | None = None, assets: bool = False) -> dict:
    """Play a whole session and return the measurements. A push is waited for up to
    `push_timeout` seconds after the last phone before it: late is measured, not missed.
    With `tool_vote`, the session goes on after the reveal to the discussion and the Ik wil
    tool's vote; with `second_round`, then to a second round and its reveal. With
    `join_rate`, a join storm: the phones open the link at that rate, each on its own (no
    limit on joins in flight), and with `assets` each loads the pages' static files."""
    rng = random.Random(seed)
    sampler = ServerSampler(pids) if pids else None
    profiler = PhaseProfiler(pids or [])
    samples: dict[str, dict] = {}

    def sample(name: str) -> None:
        if sampler:
            samples[name] = sampler.sample()
        profiler.next_phase(PHASE_AFTER.get(name, ""))

    async with Client.open() as client:
        facilitator = await facilitator_login(client, bases[0], *credentials)
        console = Screen(await facilitator.websocket(f"/ws/f/{code}/"), FINISHED)
        projector = Screen(await facilitator.websocket(f"/ws/projector/{code}/"), JOINED)
        screen_tasks = [asyncio.create_task(console.listen()),
                        asyncio.create_task(projector.listen())]
        sample("baseline")

        # Join: every phone opens the link, joins, and opens its WebSocket.
        crowd = [Phone(i, Browser(client, bases[i % len(bases)]), code,
                       random.Random(rng.random()), process=i % len(bases), assets=assets)
                 for i in range(phones)]
        gate = asyncio.Semaphore(phones if join_rate else join_concurrency)
        join_failures: list[str] = []
        listeners: list[asyncio.Task] = []

        async def join(phone: Phone) -> None:
            if join_rate:
                await asyncio.sleep(max(0.0, join_start + phone.index / join_rate - now()))
                phone.offered_at = now()
            async with gate:
                try:
                    await phone.join()
                except Exception as exc:  # counted and reported, the run goes on
                    join_failures.append(f"{type(exc).__name__}: {exc}"[:200])
                    return
            listeners.append(asyncio.create_task(phone.listen()))

        join_start = now()  # read by join() above
        await asyncio.gather(*(join(phone) for phone in crowd))
        join_seconds = now() - join_start
        connected = [phone for phone in crowd if phone.connected_at is not None]
        projector_saw_all = await projector.wait_for(len(connected), timeout=10)
        sample("connected")

        # Answering: the step reaches every phone, which then answers within the window.
        answering_sent = await change_step(facilitator, code, "answering")
        await _all_set([p.answering for p in connected], push_timeout)
        answer_start = now()
        console_before = console.messages

        await every_phone([p for p in connected if p.answering_at is not None],
                          lambda phone: phone.answer_all(window))
        answer_seconds = now() - answer_start
        console_during = console.messages - console_before
        finished_phones = [p for p in connected if len(p.acked) == QUESTIONS
                           and (p.voted or not p.asked)]
        console_complete = await console.wait_for(len(finished_phones), timeout=15)
        sample("answered")

        # The reveal: the push reaches every phone, its own result in the same frame.
        reveal_sent = await change_step(facilitator, code, "revealed")
        await _all_set([p.revealed for p in connected], push_timeout)
        sample("revealed")

        tool = None
        if tool_vote:
            await change_step(facilitator, code, "discussion")
            tool_sent = now()
            response = await facilitator.request("POST", f"/sessions/{code}/tool/open/",
                                                 {"tool": "ik-wil"}, htmx=True)
            if response.status_code != 200:
                raise RuntimeError(f"open the tool: HTTP {response.status_code}")

            await every_phone(connected, lambda phone: phone.vote_in_tool(window))
            tool = {
                "seconds": round(now() - tool_sent, 2),
                "points_acked": sum(p.tool_points for p in connected),
                "phones_voted": sum(1 for p in connected if p.tool_points),
                "post_latency": percentiles([x for p in connected for x in p.tool_latencies]),
            }
            sample("tool_voted")

        second = None
        if second_round:
            second_sent = await change_step(facilitator, code, "second-round")
            await _all_set([p.second for p in connected], push_timeout)

            await every_phone([p for p in connected if p.second_at is not None],
                              lambda phone: phone.answer_second_round(window))
            confirmed = sum(p.confirmed for p in connected)
            second_console = await console.wait_for_since(confirmed, second_sent, timeout=15)
            second_reveal_sent = await change_step(facilitator, code, "revealed")
            await _all_set([p.second_revealed for p in connected], push_timeout)
            sample("second_revealed")
            second = {
                "push": percentiles([p.second_at - second_sent for p in connected
                                     if p.second_at]),
                "changed": sum(1 for p in connected if p.changed),
                "confirmed": confirmed,
                "console_complete": second_console,
                "post_latency": percentiles([x for p in connected for x in p.second_latencies]),
                "reveal_to_phones": percentiles([p.second_revealed_at - second_reveal_sent
                                                 for p in connected if p.second_revealed_at])
                | {"missing": sum(1 for p in connected if p.second_revealed_at is None)},
                "own_result_missing": sum(1 for p in connected if not p.second_own_result),
            }

        for phone in connected:
            phone.leaving = True
        for phone in connected:
            await phone.ws.close()
        await console.ws.close()
        await projector.ws.close()
        for task in listeners + screen_tasks:
            task.cancel()

    # Answer -> console: each phone's last answer, until the console shows that many finished.
    finish_times = sorted(p.finished_at for p in finished_phones)
    console_latencies = []
    for rank, finished in enumerate(finish_times, start=1):
        shown = next((t for t, value in console.states if value >= rank), None)
        if shown is not None:
            console_latencies.append(max(0.0, shown - finished))

    reveal_latencies = [p.revealed_at - reveal_sent for p in connected if p.revealed_at]
    result = {
        "phones": phones,
        "processes": len(bases),
        "window_s": window,
        "join": {
            "connected": len(connected),
            "failures": len(join_failures),
            "failure_samples": join_failures[:5],
            "seconds": round(join_seconds, 2),
            "per_second": round(len(connected) / join_seconds, 1) if join_seconds else None,
            "offered_per_second": join_rate,
            "assets": assets,
            # From opening the link to the lobby on screen (the socket's first state).
            "to_lobby": percentiles([p.connected_at - p.offered_at for p in connected]),
            "projector_saw_all": projector_saw_all,
        },
        "answering_push": percentiles(
            [p.answering_at - answering_sent for p in connected if p.answering_at]),
        "answers": {
            "acked": sum(len(p.acked) for p in connected),
            "phones_finished": len(finished_phones),
            "seconds": round(answer_seconds, 2),
            "post_latency": percentiles([x for p in connected for x in p.answer_latencies]),
        },
        "votes": {
            "acked": sum(p.voted for p in connected),
            "post_latency": percentiles([x for p in connected for x in p.vote_latencies]),
        },
        "answer_to_console": percentiles(console_latencies),
        "console": {
            "final_finished": console.last(),
            "complete": console_complete,
            "messages": console.messages,
            # Coalescing: renders per second while the answers stream in, whatever their number.
            "renders_per_second_answering": round(console_during / answer_seconds, 2)
            if answer_seconds else None,
        },
        "reveal_to_phones": percentiles(reveal_latencies)
        | {"missing": len(connected) - len(reveal_latencies)},
        "own_result": percentiles(
            [p.own_result_at - reveal_sent for p in connected if p.own_result_at])
        | {"missing": sum(1 for p in connected if p.own_result_at is None)},
        "errors": sum(len(p.errors) for p in connected) + len(join_failures),
        "error_samples": [e for p in connected for e in p.errors][:5],
        "disconnects": sum(p.disconnects for p in connected),
        "resyncs": sum(p.resyncs for p in connected),
        "by_process": by_process(crowd, len(bases)),
    }
    if second is not None:
        result["second_round"] = second
    if tool is not None:
        result["tool_vote"] = tool
    if sampler:
        result["server"] = server_figures(samples, len(connected), result["answers"]["acked"])
    return result


async def every_phone(phones: list[Phone], action) -> None:
    """`action(phone)` on every phone at once; what goes wrong is that phone's error, and the
    run goes on."""

    async def one(phone: Phone) -> None:
        try:
            await action(phone)
        except Exception as exc:
            phone.errors.append(f"{type(exc).__name__}: {exc}"[:200])

    await asyncio.gather(*(one(phone) for phone in phones))


async def _all_set(events: list[asyncio.Event], timeout: float) -> None:
    waiters = [asyncio.create_task(event.wait()) for event in events]
    if waiters:
        _done, pending = await asyncio.wait(waiters, timeout=timeout)
        for waiter in pending:
            waiter.cancel()


def by_process(crowd: list[Phone], processes: int) -> list[dict]:
    """For each server process, how many of its phones connected, got each push, finished
    answering, and dropped their socket."""
    rows = []
    for index in range(processes):
        mine = [p for p in crowd if p.process == index]
        rows.append({
            "process": index,
            "phones": len(mine),
            "connected": sum(p.connected_at is not None for p in mine),
            "got_answering": sum(p.answering_at is not None for p in mine),
            "finished": sum(len(p.acked) == QUESTIONS for p in mine),
            "got_reveal": sum(p.revealed_at is not None for p in mine),
            "got_own_result": sum(p.own_result_at is not None for p in mine),
            "dropped": sum(p.disconnects > 0 for p in mine),
        })
    return rows


def failures(result: dict) -> list[str]:
    """Everything that makes a run wrong, whatever its speed: a phone that could not join,
    missed a push, did not finish, or lost its socket; an answer lost; an error."""
    found = []
    phones, join = result["phones"], result["join"]
    if join["connected"] < phones:
        found.append(f"{phones - join['connected']} of {phones} phones did not connect "
                     f"({join['failures']} join failures)")
    connected = join["connected"]
    for row in result["by_process"]:
        for key, label in [("got_answering", "the start of answering"),
                           ("finished", "finished answering"), ("got_reveal", "the reveal"),
                           ("got_own_result", "their own result")]:
            if row[key] < row["connected"]:
                found.append(f"process {row['process']}: {row['connected'] - row[key]} of "
                             f"{row['connected']} phones missed {label}"
                             if key != "finished" else
                             f"process {row['process']}: {row['connected'] - row[key]} of "
                             f"{row['connected']} phones never {label}")
        if row["dropped"]:
            found.append(f"process {row['process']}: {row['dropped']} phones lost their socket")
    if result.get("lost_answers"):
        found.append(f"{result['lost_answers']} acknowledged answers are not in the database")
    if result["console"]["final_finished"] < result["answers"]["phones_finished"]:
        found.append(f"the console counted {result['console']['final_finished']} finished of "
                     f"{result['answers']['phones_finished']}")
    if result.get("lost_votes"):
        found.append(f"{result['lost_votes']} acknowledged recognition votes are not stored")
    tool = result.get("tool_vote")
    if tool and (tool["phones_voted"] < connected or tool.get("lost_points")):
        found.append(f"tool vote: {tool['phones_voted']} of {connected} phones voted, "
                     f"{tool.get('lost_points', 0)} acknowledged points not stored")
    second = result.get("second_round")
    if second:
        for key, label in [("push", "the second round"), ("reveal_to_phones", "its reveal")]:
            missing = connected - second[key].get("n", 0)
            if missing:
                found.append(f"{missing} of {connected} phones missed {label}")
        if second["confirmed"] < connected:
            found.append(f"second round: {connected - second['confirmed']} phones not done")
        if second.get("lost_changes") or second.get("lost_confirmations"):
            found.append(f"second round: {second.get('lost_changes')} changes and "
                         f"{second.get('lost_confirmations')} 'done's not stored")
        if second["own_result_missing"]:
            found.append(f"{second['own_result_missing']} phones missed their own second result")
    if result["errors"]:
        found.append(f"{result['errors']} errors, e.g. {result['error_samples'][:2]}")
    if connected == 0:
        found.append("no phone connected")
    return found


def server_figures(samples: dict[str, dict], phones: int, answers: int) -> dict:
    base, connected = samples["baseline"], samples["connected"]
    answered, revealed = samples["answered"], samples["revealed"]
    return {
        "rss_baseline_mb": round(base["rss_mb"], 1),
        "rss_connected_mb": round(connected["rss_mb"], 1),
        "kb_per_phone": round(1024 * (connected["rss_mb"] - base["rss_mb"]) / phones, 1)
        if phones else None,
        "cpu_s_join": round(connected["cpu_s"] - base["cpu_s"], 2),
        "cpu_s_answering": round(answered["cpu_s"] - connected["cpu_s"], 2),
        "cpu_ms_per_answer": round(1000 * (answered["cpu_s"] - connected["cpu_s"]) / answers, 2)
        if answers else None,
        "cpu_s_reveal": round(revealed["cpu_s"] - answered["cpu_s"], 2),
        # Per process: join / answering / reveal. The first also serves console and projector.
        "cpu_s_by_process": [
            [round(b - a, 2) for a, b in zip(earlier["cpu_s_each"], later["cpu_s_each"],
                                              strict=True)]
            for earlier, later in [(base, connected), (connected, answered), (answered, revealed)]
        ],
    }
