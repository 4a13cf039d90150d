"""Type stubs for the compiled module ``lhttp._lhttp`` (re-exported by ``lhttp``)."""

from typing import Awaitable, Callable, Dict, Iterable, Iterator, List, Literal, Mapping, Optional, Tuple, TypeVar, Union, overload

__version__: str
#: The protocol name and version of every start line, ``"LHTTP/1.0"``.
VERSION: str
#: The most headers (per message or per part) that ``parse`` accepts.
MAX_HEADERS: int
#: The command ``publish`` uses when none is given (every lhttp SDK's): ``chat``.
DEFAULT_COMMAND: str
#: Every core error name, as ``ParseError.code`` carries them.
ERROR_NAMES: List[str]
#: Every server error name an ``error`` reply may carry as ``ServerError.code``
#: (a newer server may send others: treat an unknown one as a generic failure).
SERVER_ERROR_NAMES: List[str]

_Bytes = Union[bytes, bytearray, memoryview, str]
_Headers = Union[Iterable[Tuple[str, str]], Mapping[str, str], None]
_T = TypeVar("_T")

def parse(data: _Bytes) -> Message:
    """Parses one LHTTP message; raises ``ParseError`` with the core's error name in ``.code``."""

def channel_list(channels: Union[str, Iterable[str]]) -> str:
    """One ``subscribe``/``publish``/``unsubscribe`` value: the names joined by one space;
    raises ``ParseError`` (code ``Channel``) for no name or a name with whitespace or a
    control character."""

class Message:
    """An LHTTP message: a command, headers in order (duplicates kept) and a body."""

    def __init__(self, command: str, headers: _Headers = None, body: Optional[_Bytes] = None) -> None: ...
    @staticmethod
    def multipart(
        command: str,
        parts: Iterable[Union[Part, Tuple[_Headers, _Bytes]]],
        headers: _Headers = None,
    ) -> Message:
        """Builds a multipart message: ``headers``, the computed ``multipart`` header, then the parts."""
    @property
    def command(self) -> str: ...
    @property
    def headers(self) -> List[Tuple[str, str]]:
        """A new list of ``(name, value)`` pairs, in order, names as sent."""
    @property
    def body(self) -> bytes: ...
    @property
    def text(self) -> str:
        """The body decoded as UTF-8; raises ``UnicodeDecodeError`` when it is not."""
    @overload
    def header(self, name: str) -> Optional[str]: ...
    @overload
    def header(self, name: str, default: _T) -> Union[str, _T]: ...
    def header_values(self, name: str) -> List[str]:
        """Every value of the headers called ``name`` (case-insensitive), in order."""
    def channels(self, name: str) -> List[str]:
        """The channels listed in every header called ``name``, split on spaces and tabs."""
    @property
    def upstream(self) -> Optional[Tuple[str, str]]:
        """``(method, url)`` of the ``upstream`` header; ``ParseError`` (``Upstream``) when malformed."""
    @property
    def parts(self) -> List[Part]:
        """The parts of a multipart body (``[]`` without a ``multipart`` header)."""
    def presence_event(self) -> Optional[PresenceEvent]:
        """The ``join`` / ``leave`` event this received message is, else ``None``;
        ``ServerError`` ``Internal`` for a malformed one."""
    def encode(self) -> bytes:
        """The encoded message; ``ParseError`` for a field the format cannot carry."""
    def __bytes__(self) -> bytes: ...
    def __eq__(self, other: object) -> bool: ...

class Part:
    """One part of a multipart message, with its place in the message body."""

    @property
    def start(self) -> int: ...
    @property
    def len(self) -> int: ...
    @property
    def body_start(self) -> int: ...
    @property
    def headers(self) -> List[Tuple[str, str]]: ...
    @property
    def body(self) -> bytes: ...
    @property
    def text(self) -> str: ...
    @overload
    def header(self, name: str) -> Optional[str]: ...
    @overload
    def header(self, name: str, default: _T) -> Union[str, _T]: ...
    def __eq__(self, other: object) -> bool: ...

class Position:
    """A place in a channel's stream: ``epoch`` (compare it as a string) and ``offset``;
    ``str()`` gives ``epoch:offset``. Equal positions compare equal and hash alike."""

    def __init__(self, epoch: str, offset: int) -> None:
        """``ParseError`` (code ``Position``) for an epoch that is not 1 to 32 of ``A-Za-z0-9-_``."""
    @staticmethod
    def parse(text: str) -> Position:
        """Reads ``epoch:offset``; ``ParseError`` (code ``Position``) when malformed."""
    @property
    def epoch(self) -> str: ...
    @property
    def offset(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class History:
    """What a history read answered: the channel, its current position and the publications,
    oldest first unless read with ``reverse=True``."""

    @property
    def channel(self) -> str: ...
    @property
    def position(self) -> Position: ...
    @property
    def publications(self) -> List[Message]:
        """Each as delivered live, with its ``channel``, ``offset`` and ``epoch`` headers."""

class Recovery:
    """One channel's outcome after a reconnect restored it from its last position."""

    @property
    def channel(self) -> str: ...
    @property
    def recovered(self) -> bool:
        """``True``: every missed publication was received first; ``False``: none could be."""
    def __eq__(self, other: object) -> bool: ...

class Member:
    """One connection subscribed to a channel with presence, as it was when it subscribed."""

    @property
    def client(self) -> str:
        """Its client id."""
    @property
    def uid(self) -> str:
        """Its uid; ``""`` when it has none."""
    @property
    def info(self) -> Dict[str, str]:
        """Its info (a new dict each time); ``{}`` when it has none."""
    def __eq__(self, other: object) -> bool: ...

class PresenceStats:
    """A channel's counts: subscribed connections, and the distinct non-empty uids among them."""

    @property
    def connections(self) -> int: ...
    @property
    def users(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...

class Presence:
    """What a presence query answered."""

    @property
    def members(self) -> List[Member]:
        """The members, ordered by client id (at most the server's ``presence_max_members``)."""
    @property
    def stats(self) -> PresenceStats:
        """The counts, complete even when ``members`` is capped."""
    @property
    def capped(self) -> bool:
        """``True`` when the server listed fewer members than there are."""

class PresenceEvent:
    """A ``join`` or ``leave`` event, from ``Message.presence_event()``."""

    @property
    def kind(self) -> Literal["join", "leave"]: ...
    @property
    def channel(self) -> str: ...
    @property
    def client(self) -> str:
        """The member's client id."""
    @property
    def uid(self) -> str:
        """The member's uid; ``""`` when it has none."""
    @property
    def info(self) -> Dict[str, str]:
        """The member's info (a new dict each time)."""
    @property
    def reason(self) -> str:
        """For a leave ``unsubscribe``, ``disconnect`` or ``node-lost``; ``""`` for a join."""
    @property
    def member(self) -> Member:
        """The member, as a presence query lists it."""
    def __eq__(self, other: object) -> bool: ...

class Client:
    """A synchronous connection; a context manager and an iterator of incoming messages."""

    @property
    def client_id(self) -> Optional[str]: ...
    def send(self, message: Message) -> None: ...
    def send_raw(self, data: _Bytes) -> None: ...
    def subscribe(self, *channels: str) -> None: ...
    def unsubscribe(self, *channels: str) -> None: ...
    def publish(
        self,
        channels: Union[str, Iterable[str]],
        body: Optional[_Bytes] = None,
        *,
        command: str = "chat",
        headers: _Headers = None,
    ) -> int:
        """Publishes to ``channels``; returns the number of deliveries."""
    def position(self, channel: str) -> Optional[Position]:
        """The last position seen of a subscribed channel with history, else ``None``."""
    def history(
        self,
        channel: str,
        *,
        limit: Optional[int] = None,
        since: Union[Position, str, None] = None,
        reverse: bool = False,
    ) -> History:
        """Reads the channel's recent publications; ``ServerError`` ``NoHistory`` without history."""
    def presence(self, channel: str) -> Presence:
        """Who is in the channel; ``ServerError`` ``NoPresence`` without presence, ``Forbidden``
        when this connection may not subscribe to it."""
    def presence_stats(self, channel: str) -> PresenceStats:
        """The channel's counts; raises like ``presence``."""
    def recv(self, timeout: Optional[float] = None) -> Message:
        """The next message; ``TimeoutError`` after ``timeout`` seconds, ``ClosedError`` when over."""
    def try_recv(self) -> Optional[Message]: ...
    def recovery(self, timeout: Optional[float] = None) -> Recovery:
        """The next recovery notice; ``TimeoutError`` after ``timeout`` seconds, ``ClosedError`` when over."""
    def try_recovery(self) -> Optional[Recovery]: ...
    def close(self) -> None: ...
    def __enter__(self) -> Client: ...
    def __exit__(self, *exc: object) -> bool: ...
    def __iter__(self) -> Iterator[Message]: ...
    def __next__(self) -> Message: ...

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
    ca_pem: Optional[_Bytes] = None,
    token: Optional[str] = None,
    token_callback: Optional[Callable[[], str]] = None,
    subscription_token_callback: Optional[Callable[[str], Optional[str]]] = None,
) -> Client:
    """Connects to an lhttp server (``ws://`` or ``wss://``); times in seconds.

    ``token``: a connection token sent on every connection; ``token_callback()`` gives
    one instead (called on connect, on each reconnect and before expiry, from a thread of
    the client); ``subscription_token_callback(channel)`` gives a channel's subscription
    token, ``None`` when it needs none. A callback that raises fails with ``Io``."""

def publish(
    base_url: str,
    channels: Union[str, Iterable[str]],
    body: Optional[_Bytes] = None,
    *,
    command: str = "chat",
    headers: _Headers = None,
    token: Optional[str] = None,
) -> int:
    """``POST {base_url}/publish``; returns the number of deliveries."""

class AsyncClient:
    """The asyncio connection under ``lhttp.aio.Client``: each request is an awaitable."""

    @property
    def client_id(self) -> Optional[str]: ...
    def send(self, message: Message) -> Awaitable[None]: ...
    def send_raw(self, data: _Bytes) -> Awaitable[None]: ...
    def subscribe(self, *channels: str) -> Awaitable[None]: ...
    def unsubscribe(self, *channels: str) -> Awaitable[None]: ...
    def publish(
        self,
        channels: Union[str, Iterable[str]],
        body: Optional[_Bytes] = None,
        *,
        command: str = "chat",
        headers: _Headers = None,
    ) -> Awaitable[int]: ...
    def position(self, channel: str) -> Optional[Position]: ...
    def history(
        self,
        channel: str,
        *,
        limit: Optional[int] = None,
        since: Union[Position, str, None] = None,
        reverse: bool = False,
    ) -> Awaitable[History]: ...
    def presence(self, channel: str) -> Awaitable[Presence]: ...
    def presence_stats(self, channel: str) -> Awaitable[PresenceStats]: ...
    def wait(self, timeout: Optional[float] = None) -> Awaitable[bool]:
        """Waits until a message (kept for ``next_ready``) or the end is here; ``False`` on timeout."""
    def next_ready(self) -> Union[Message, None, Literal[False]]:
        """The next message already here; ``None`` when none is, ``False`` once ended normally."""
    def wait_recovery(self, timeout: Optional[float] = None) -> Awaitable[bool]:
        """Waits until a recovery notice (kept for ``next_recovery``) or the end is here; ``False`` on timeout."""
    def next_recovery(self) -> Union[Recovery, None, Literal[False]]:
        """The next recovery notice already here; ``None`` when none is, ``False`` once closed."""
    def close(self) -> Awaitable[None]: ...

def aio_connect(
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
    ca_pem: Optional[_Bytes] = None,
    token: Optional[str] = None,
    token_callback: Optional[Callable[[], Awaitable[str]]] = None,
    subscription_token_callback: Optional[Callable[[str], Awaitable[Optional[str]]]] = None,
) -> Awaitable[AsyncClient]: ...
def settle() -> None:
    """Waits (without the GIL, briefly) until the runtime's threads handed every result over."""
def aio_publish(
    base_url: str,
    channels: Union[str, Iterable[str]],
    body: Optional[_Bytes] = None,
    *,
    command: str = "chat",
    headers: _Headers = None,
    token: Optional[str] = None,
) -> Awaitable[int]: ...
