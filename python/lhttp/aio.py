"""The asyncio client: ``lhttp.aio.connect(url)`` and ``lhttp.aio.publish(...)``.

It is the Rust ``lhttp-client`` driven on a tokio runtime (``pyo3-async-runtimes``):
every request (``send``, ``subscribe``, ``publish``, ...) is a Rust future awaited
by the event loop, with no Python thread in between. A message already received is
handed over by a plain call, without an await, so a burst costs no await at all;
``recv()`` can be cancelled or timed out without losing a message, and several tasks
may receive from one client at once::

    async def main():
        async with lhttp.aio.connect("ws://127.0.0.1:8081/") as client:
            await client.subscribe("room")
            await client.publish("room", "hello")
            async for msg in client:
                print(msg.text)

    asyncio.run(main())

Times are in seconds, as everywhere in the Python API.
"""

import asyncio
import atexit
from typing import Any, Awaitable, Callable, Generator, Iterable, Literal, Mapping, Optional, Tuple, Union

from . import _lhttp
from ._errors import ClosedError, TimeoutError
from ._lhttp import History, Message, Position, Presence, PresenceStats, Recovery

__all__ = ["Client", "connect", "publish"]

Bytes = Union[bytes, bytearray, memoryview, str]
Headers = Union[Iterable[Tuple[str, str]], Mapping[str, str], None]

# At exit, let the runtime's threads finish handing results to Python before the
# interpreter goes away (see settle() in python/src/aio.rs).
atexit.register(_lhttp.settle)


class Client:
    """A connection to an lhttp server, for asyncio. Make one with :func:`connect`."""

    def __init__(self, native: _lhttp.AsyncClient) -> None:
        self._native = native

    @property
    def client_id(self) -> Optional[str]:
        """The id the server gave this connection (a new one after a reconnect)."""
        return self._native.client_id

    async def send(self, message: Message) -> None:
        """Sends a :class:`lhttp.Message`; returns once it is written."""
        await self._native.send(message)

    async def send_raw(self, data: Bytes) -> None:
        """Sends already-encoded bytes without checking them."""
        await self._native.send_raw(data)

    async def subscribe(self, *channels: str) -> None:
        """Subscribes to the channels; returns once the server acknowledged."""
        await self._native.subscribe(*channels)

    async def unsubscribe(self, *channels: str) -> None:
        """Unsubscribes from the channels; returns once the server acknowledged."""
        await self._native.unsubscribe(*channels)

    async def publish(
        self,
        channels: Union[str, Iterable[str]],
        body: Optional[Bytes] = None,
        *,
        command: str = _lhttp.DEFAULT_COMMAND,
        headers: Headers = None,
    ) -> int:
        """Publishes ``body`` to ``channels`` (a str or an iterable of str) as a message
        with ``command`` and ``headers``; returns the number of deliveries the server made."""
        return await self._native.publish(channels, body, command=command, headers=headers)

    def position(self, channel: str) -> Optional[Position]:
        """The last position seen of a subscribed channel with history (where a reconnect
        recovers from); ``None`` for a channel without history or not subscribed. Not a
        coroutine: the client knows it without asking the server."""
        return self._native.position(channel)

    async def history(
        self,
        channel: str,
        *,
        limit: Optional[int] = None,
        since: Union[Position, str, None] = None,
        reverse: bool = False,
    ) -> History:
        """Reads the recent publications of a channel with history: at most ``limit`` (the
        server's cap when ``None``), only those after ``since`` (a :class:`lhttp.Position`
        or its ``epoch:offset`` str), newest first when ``reverse``. A channel without
        history raises :class:`lhttp.ServerError` with code ``NoHistory``."""
        return await self._native.history(channel, limit=limit, since=since, reverse=reverse)

    async def presence(self, channel: str) -> Presence:
        """Asks who is in a channel with presence (spec section 15): a
        :class:`lhttp.Presence` with its ``members`` (each an :class:`lhttp.Member` with
        ``client``, ``uid`` and ``info``), the complete ``stats`` and ``capped``. A channel
        whose namespace has no presence raises :class:`lhttp.ServerError` with code
        ``NoPresence``; one this connection may not subscribe to, ``Forbidden``."""
        return await self._native.presence(channel)

    async def presence_stats(self, channel: str) -> PresenceStats:
        """Asks only for a channel's counts: a :class:`lhttp.PresenceStats` with
        ``connections`` and ``users``. Raises like :meth:`presence`."""
        return await self._native.presence_stats(channel)

    async def _next(self, timeout: Optional[float]) -> Union[Message, Literal[False]]:
        """The next message; ``False`` once the connection ended normally."""
        native = self._native
        # A message already here (or the end) costs no await.
        msg = native.next_ready()
        if msg is not None:
            return msg
        deadline = None
        if timeout is not None:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
        while msg is None:
            # Nothing here: wait in Rust until something is (it is kept for next_ready).
            if deadline is None:
                await native.wait()
            else:
                left = deadline - loop.time()
                if left <= 0 or not await native.wait(left):
                    raise TimeoutError("timed out waiting for a message")
            # Another task may have taken it first: then wait again.
            msg = native.next_ready()
        return msg

    async def recv(self, timeout: Optional[float] = None) -> Message:
        """The next message. Waits at most ``timeout`` seconds (``None``: no limit), then
        raises :class:`lhttp.TimeoutError`; raises :class:`lhttp.ClosedError` once the
        connection is over."""
        msg = await self._next(timeout)
        if msg is False:
            raise ClosedError("the client is closed")
        return msg

    async def recovery(self, timeout: Optional[float] = None) -> Recovery:
        """The next recovery notice: after a reconnect, one :class:`lhttp.Recovery` per
        channel with history restored from its last position (``recovered`` is ``False``
        when what it missed could not be had; ``recv()`` then raises ``Unrecovered`` too).
        Waits at most ``timeout`` seconds (``None``: no limit), then raises
        :class:`lhttp.TimeoutError`; raises :class:`lhttp.ClosedError` once the connection
        is over and every notice was read. Cancelling it loses no notice."""
        native = self._native
        found = native.next_recovery()
        deadline = None
        if timeout is not None:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
        while found is None:
            if deadline is None:
                await native.wait_recovery()
            else:
                left = deadline - loop.time()
                if left <= 0 or not await native.wait_recovery(left):
                    raise TimeoutError("timed out waiting for a recovery notice")
            found = native.next_recovery()
        if found is False:
            raise ClosedError("the client is closed")
        return found

    async def close(self) -> None:
        """Closes the connection (and stops reconnecting). Closing twice is fine."""
        await self._native.close()

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def __aiter__(self) -> "Client":
        return self

    async def __anext__(self) -> Message:
        """The next message; iteration ends when the connection was closed normally
        (by ``close()`` or a close frame with code 1000 or 1001). Other endings raise."""
        msg = self._native.next_ready()
        if msg is None:
            msg = await self._next(None)
        if msg is False:
            raise StopAsyncIteration
        return msg


class _Connecting:
    """What :func:`connect` returns: await it for a :class:`Client`, or use it with
    ``async with`` to close the client at the end of the block."""

    def __init__(self, url: str, options: Mapping[str, Any]) -> None:
        self._url = url
        self._options = options
        self._client: Optional[Client] = None

    async def _open(self) -> Client:
        return Client(await _lhttp.aio_connect(self._url, **self._options))

    def __await__(self) -> Generator[Any, None, Client]:
        return self._open().__await__()

    async def __aenter__(self) -> Client:
        self._client = await self._open()
        return self._client

    async def __aexit__(self, *exc: Any) -> None:
        if self._client is not None:
            await self._client.close()


def connect(
    url: str,
    *,
    timeout: float = 10.0,
    reconnect: bool = False,
    ping_interval: Optional[float] = None,
    initial_backoff: float = 0.5,
    max_backoff: float = 20.0,
    max_attempts: Optional[int] = None,
    max_buffered: int = 10_000,
    origin: Optional[str] = None,
    ca_pem: Optional[Bytes] = None,
    token: Optional[str] = None,
    token_callback: Optional[Callable[[], Awaitable[str]]] = None,
    subscription_token_callback: Optional[Callable[[str], Awaitable[Optional[str]]]] = None,
) -> _Connecting:
    """Connects to an lhttp server; the options are those of :func:`lhttp.connect`
    (times in seconds), but ``token_callback`` and ``subscription_token_callback`` are
    coroutine functions, awaited on this event loop.

    ``client = await lhttp.aio.connect(url)`` or ``async with lhttp.aio.connect(url) as client:``.
    """
    options = dict(
        timeout=timeout,
        reconnect=reconnect,
        ping_interval=ping_interval,
        initial_backoff=initial_backoff,
        max_backoff=max_backoff,
        max_attempts=max_attempts,
        max_buffered=max_buffered,
        origin=origin,
        ca_pem=ca_pem,
        token=token,
        token_callback=token_callback,
        subscription_token_callback=subscription_token_callback,
    )
    return _Connecting(url, options)


async def publish(
    base_url: str,
    channels: Union[str, Iterable[str]],
    body: Optional[Bytes] = None,
    *,
    command: str = _lhttp.DEFAULT_COMMAND,
    headers: Headers = None,
    token: Optional[str] = None,
) -> int:
    """:func:`lhttp.publish` for asyncio: ``POST {base_url}/publish``, returns the deliveries."""
    return await _lhttp.aio_publish(base_url, channels, body, command=command, headers=headers, token=token)
