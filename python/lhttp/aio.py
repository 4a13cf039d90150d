"""The asyncio client: ``lhttp.aio.connect(url)`` and ``lhttp.aio.publish(...)``.

It runs on the same Rust client as :func:`lhttp.connect`. Requests (``send``,
``subscribe``, ``publish``, ...) run in the event loop's default executor; one reader
thread per connection waits for incoming messages with the GIL released and hands
them to the loop through an :class:`asyncio.Queue`, so ``recv()`` can be cancelled or
timed out without losing a message::

    async with lhttp.aio.connect("ws://127.0.0.1:8081/") as client:
        await client.subscribe("room")
        await client.publish("room", "hello")
        async for msg in client:
            print(msg.text)
"""

import asyncio
import functools
import threading
from typing import Any, Callable, Generator, Iterable, Mapping, Optional, Tuple, TypeVar, Union

from . import _lhttp
from ._errors import ClosedError, TimeoutError
from ._lhttp import Message

__all__ = ["Client", "connect", "publish"]

T = TypeVar("T")
Bytes = Union[bytes, bytearray, memoryview, str]
Headers = Union[Iterable[Tuple[str, str]], Mapping[str, str], None]

#: Put in the queue when the connection ended normally.
_END = object()


async def _in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Runs a blocking call of the Rust client in the loop's default executor."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))


class Client:
    """A connection to an lhttp server, for asyncio. Make one with :func:`connect`."""

    def __init__(self, sync: _lhttp.Client, loop: asyncio.AbstractEventLoop) -> None:
        self._sync = sync
        self._loop = loop
        self._queue: "asyncio.Queue[Any]" = asyncio.Queue()
        #: The item that ended the stream (``_END`` or an exception), once it came.
        self._end: Any = None
        self._reader = threading.Thread(target=self._read, name="lhttp-aio-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        """The reader thread: iterates the sync client until the connection is over."""
        try:
            for msg in self._sync:
                if not self._deliver(msg):
                    return
            self._deliver(_END)
        except BaseException as e:  # handed to the loop, raised by recv()
            self._deliver(e)

    def _deliver(self, item: Any) -> bool:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
            return True
        except RuntimeError:
            # The event loop is closed: nobody will read any more.
            self._sync.close()
            return False

    @property
    def client_id(self) -> Optional[str]:
        """The id the server gave this connection (a new one after a reconnect)."""
        return self._sync.client_id

    async def send(self, message: Message) -> None:
        """Sends a :class:`lhttp.Message`; returns once it is written."""
        await _in_thread(self._sync.send, message)

    async def send_raw(self, data: Bytes) -> None:
        """Sends already-encoded bytes without checking them."""
        await _in_thread(self._sync.send_raw, data)

    async def subscribe(self, *channels: str) -> None:
        """Subscribes to the channels; returns once the server acknowledged."""
        await _in_thread(self._sync.subscribe, *channels)

    async def unsubscribe(self, *channels: str) -> None:
        """Unsubscribes from the channels; returns once the server acknowledged."""
        await _in_thread(self._sync.unsubscribe, *channels)

    async def publish(
        self,
        channels: Union[str, Iterable[str]],
        body: Optional[Bytes] = None,
        command: str = "chat",
        headers: Headers = None,
    ) -> int:
        """Publishes to ``channels``; returns the number of deliveries the server made."""
        return await _in_thread(self._sync.publish, channels, body, command, headers)

    async def _take(self, timeout: Optional[float]) -> Any:
        """The next queued item (a message, ``_END`` or an exception)."""
        if self._end is not None:
            return self._end
        try:
            if timeout is None:
                item = await self._queue.get()
            else:
                item = await asyncio.wait_for(self._queue.get(), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError("timed out waiting for a message") from None
        if not isinstance(item, Message):
            self._end = item
        return item

    async def recv(self, timeout: Optional[float] = None) -> Message:
        """The next message. Waits at most ``timeout`` seconds (``None``: no limit), then
        raises :class:`lhttp.TimeoutError`; raises :class:`lhttp.ClosedError` once the
        connection is over."""
        item = await self._take(timeout)
        if item is _END:
            raise ClosedError("the client is closed")
        if isinstance(item, BaseException):
            raise item
        return item

    async def close(self) -> None:
        """Closes the connection (and stops reconnecting). Closing twice is fine."""
        await _in_thread(self._sync.close)

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def __aiter__(self) -> "Client":
        return self

    async def __anext__(self) -> Message:
        """The next message; iteration ends when the connection was closed normally."""
        item = await self._take(None)
        if item is _END:
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            raise item
        return item


class _Connecting:
    """What :func:`connect` returns: await it for a :class:`Client`, or use it with
    ``async with`` to close the client at the end of the block."""

    def __init__(self, url: str, options: Mapping[str, Any]) -> None:
        self._url = url
        self._options = options
        self._client: Optional[Client] = None

    async def _open(self) -> Client:
        sync = await _in_thread(_lhttp.connect, self._url, **self._options)
        return Client(sync, asyncio.get_running_loop())

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
    max_backoff: float = 30.0,
    ca_pem: Optional[Bytes] = None,
) -> _Connecting:
    """Connects to an lhttp server; the options are those of :func:`lhttp.connect`.

    ``client = await lhttp.aio.connect(url)`` or ``async with lhttp.aio.connect(url) as client:``.
    """
    options = dict(
        timeout=timeout,
        reconnect=reconnect,
        ping_interval=ping_interval,
        max_backoff=max_backoff,
        ca_pem=ca_pem,
    )
    return _Connecting(url, options)


async def publish(
    base_url: str,
    channels: Union[str, Iterable[str]],
    command: str = "chat",
    headers: Headers = None,
    body: Optional[Bytes] = None,
    token: Optional[str] = None,
) -> int:
    """:func:`lhttp.publish` for asyncio: ``POST {base_url}/publish``, returns the deliveries."""
    return await _in_thread(_lhttp.publish, base_url, channels, command, headers, body, token)
