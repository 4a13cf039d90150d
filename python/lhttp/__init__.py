"""lhttp for Python: the LHTTP codec and clients, backed by the project's Rust crates.

LHTTP is an HTTP-like text protocol carried in WebSocket messages::

    LHTTP/1.0 <command>\\r\\n
    <name>:<value>\\r\\n
    \\r\\n
    <body>

Everything that reads or writes the format runs in ``lhttp-core`` (Rust), the same code
the server and every other SDK use; the clients run on ``lhttp-client``.

Codec::

    msg = lhttp.parse(b"LHTTP/1.0 chat\\r\\npublish:room\\r\\n\\r\\nhi")
    msg.command, msg.header("PUBLISH"), msg.body, msg.text
    lhttp.Message("chat", [("publish", "room")], b"hi").encode()
    lhttp.Message.multipart("upload", [([("name", "a.txt")], b"AAA")])
    lhttp.channel_list(["room1", "room2"])  # "room1 room2"

Synchronous client (``lhttp.aio`` has the same for asyncio); options are keywords,
times are in seconds::

    with lhttp.connect("ws://127.0.0.1:8081/", timeout=5) as client:
        client.subscribe("room")
        client.publish("room", "hello")   # command chat; returns the deliveries
        for msg in client:
            print(msg.text)

Channel history (a server with history on, spec section 13)::

    page = client.history("chat:room", limit=20, reverse=True)   # an lhttp.History
    page.channel, str(page.position), [m.text for m in page.publications]
    client.position("chat:room")   # lhttp.Position(epoch, offset), or None
    client.recovery(timeout=5)     # after a reconnect: lhttp.Recovery(channel, recovered)

Presence (a server with presence on, spec section 15)::

    here = client.presence("room")         # an lhttp.Presence
    [(m.client, m.uid, m.info) for m in here.members], here.stats.users, here.capped
    client.presence_stats("room")          # lhttp.PresenceStats(connections, users)
    event = msg.presence_event()           # lhttp.PresenceEvent for join/leave, else None
    event.kind, event.channel, event.client, event.uid, event.info, event.reason

HTTP publish without a WebSocket, with the arguments of ``Client.publish``::

    lhttp.publish("http://127.0.0.1:8081", "room", "hello", command="chat", token=None)

Errors are the exceptions of :mod:`lhttp._errors`, each with a stable ``.code``.
"""

from ._errors import (
    ClosedError,
    ConnectError,
    Error,
    IoError,
    ParseError,
    ServerError,
    TimeoutError,
)
from ._lhttp import (
    ERROR_NAMES,
    DEFAULT_COMMAND,
    MAX_HEADERS,
    SERVER_ERROR_NAMES,
    VERSION,
    Client,
    History,
    Member,
    Message,
    Part,
    Position,
    Presence,
    PresenceEvent,
    PresenceStats,
    Recovery,
    __version__,
    channel_list,
    connect,
    parse,
    publish,
)

__all__ = [
    "ERROR_NAMES",
    "DEFAULT_COMMAND",
    "MAX_HEADERS",
    "SERVER_ERROR_NAMES",
    "VERSION",
    "Client",
    "ClosedError",
    "ConnectError",
    "Error",
    "History",
    "IoError",
    "Member",
    "Message",
    "ParseError",
    "Part",
    "Position",
    "Presence",
    "PresenceEvent",
    "PresenceStats",
    "Recovery",
    "ServerError",
    "TimeoutError",
    "__version__",
    "channel_list",
    "connect",
    "parse",
    "publish",
]
