"""A TCP proxy on loopback that makes a server far away, or stalled: for the benchmarks of issue 20.

A clinic's PostgreSQL server is across a network: each chunk sent either way arrives `one_way_ms`
later (25 ms: a 50 ms round trip). `stall()` holds every byte both ways, as a frozen server whose
kernel still accepts connections and data does, without closing anything; `resume()` lets it all
through in order. `slowed(url)` starts one in front of the server of a database address, on a free
port, and yields it: its `url` is the same address through the proxy.

One asyncio loop on its own thread carries every connection (stdlib only); stopping closes every
socket and joins the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)

ONE_WAY_MS = 25.0
CHUNK_BYTES = 64 * 1024
_STOP_WAIT_SECONDS = 5.0


class SlowProxy:
    """Listens on 127.0.0.1 (a free port) and forwards each connection to `target`, each chunk
    delivered `one_way_ms` after it was read, and nothing while stalled."""

    def __init__(self, url: str, one_way_ms: float = ONE_WAY_MS) -> None:
        self._address = url
        parts = urlsplit(url)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self.one_way_ms = one_way_ms  # read at each chunk: may be changed while running
        self.port = 0
        self.connections = 0  # accepted so far
        self._loop = asyncio.new_event_loop()
        self._flowing: asyncio.Event | None = None  # clear while stalled (made on the loop)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # the pipes, cancelled at stop()
        self._handlers: set[asyncio.Task[object]] = set()  # a connection's each: ends with its pipes
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="slow proxy", daemon=True)

    # --- the caller's side ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._on_loop(self._listen())

    def stop(self) -> None:
        """Close the listener and every connection, then end the loop and its thread."""
        if not self.running:
            return
        self._on_loop(self._close_all())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_STOP_WAIT_SECONDS)
        if not self._thread.is_alive():
            self._loop.close()

    def stall(self) -> None:
        """Hold all traffic both ways from now on; connections stay open (and new ones are accepted)."""
        self._on_loop(self._set_flowing(False))

    def resume(self) -> None:
        """Let what was held through, in order, and everything after it with the usual delay."""
        self._on_loop(self._set_flowing(True))

    @property
    def url(self) -> str:
        """The address the proxy was made for, through the proxy."""
        return self.url_for(self._address)

    @property
    def running(self) -> bool:
        """Its thread is alive: started and not yet stopped."""
        return self._thread.is_alive()

    @property
    def stalled(self) -> bool:
        return self._flowing is not None and not self._flowing.is_set()

    def url_for(self, url: str) -> str:
        """`url` (a database address on the target) with its host and port replaced by the proxy's."""
        parts = urlsplit(url)
        login = parts.netloc.rpartition("@")[0]
        netloc = f"{login}@127.0.0.1:{self.port}" if login else f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    def _on_loop(self, work: Coroutine[Any, Any, None]) -> None:
        """Run a coroutine on the proxy's loop and wait for it: when this returns, it is in force."""
        asyncio.run_coroutine_threadsafe(work, self._loop).result(_STOP_WAIT_SECONDS)

    # --- the loop's side --------------------------------------------------------------------------

    async def _listen(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = await asyncio.start_server(self._accepted, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _set_flowing(self, flowing: bool) -> None:
        assert self._flowing is not None
        if flowing:
            self._flowing.set()
        else:
            self._flowing.clear()

    async def _close_all(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._handlers:
            await asyncio.wait(self._handlers, timeout=_STOP_WAIT_SECONDS / 2)
        for writer in list(self._writers):
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
        self._writers.clear()
        if self._server is not None:
            await self._server.wait_closed()

    def _track(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = self._loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _accepted(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        self.connections += 1
        this = asyncio.current_task()
        if this is not None:  # stop() waits for it to end (asyncio logs a cancelled one as an error)
            self._handlers.add(this)
            this.add_done_callback(self._handlers.discard)
        self._writers.add(client_out)
        try:
            server_in, server_out = await asyncio.open_connection(*self.target)
        except OSError as error:
            log.warning("The slow proxy could not reach %s:%s: %s", *self.target, error)
            client_out.close()
            self._writers.discard(client_out)
            return
        self._writers.add(server_out)
        both = [
            self._track(self._pipe(client_in, server_out)),
            self._track(self._pipe(server_in, client_out)),
        ]
        await asyncio.gather(*both, return_exceptions=True)
        for writer in (client_out, server_out):
            writer.close()
            self._writers.discard(writer)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        """One direction of a connection: each chunk read now is written `one_way_ms` later, in
        order, once the traffic flows; the end of the stream goes the same way."""
        in_flight: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        reading = self._track(self._read_into(source, in_flight))
        try:
            while True:
                due, chunk = await in_flight.get()
                await asyncio.sleep(max(0.0, due - self._loop.time()))
                assert self._flowing is not None
                await self._flowing.wait()
                if not chunk:
                    if sink.can_write_eof():
                        sink.write_eof()
                    return
                sink.write(chunk)
                await sink.drain()
        except (ConnectionError, OSError):
            return
        finally:
            reading.cancel()

    async def _read_into(
        self, source: asyncio.StreamReader, in_flight: asyncio.Queue[tuple[float, bytes]]
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while chunk := await source.read(CHUNK_BYTES):
                in_flight.put_nowait((self._loop.time() + self.one_way_ms / 1000, chunk))
        in_flight.put_nowait((self._loop.time() + self.one_way_ms / 1000, b""))


@contextmanager
def slowed(url: str, one_way_ms: float = ONE_WAY_MS) -> Iterator[SlowProxy]:
    """A proxy in front of the server of `url` (a postgresql:// address) for the block: its `url` is
    `url` through it; `url_for` gives any other address on that server through it."""
    proxy = SlowProxy(url, one_way_ms)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
