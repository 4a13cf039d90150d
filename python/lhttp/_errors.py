"""The exceptions of lhttp. Every one carries ``.code``, the stable short name that
every lhttp binding (Rust, C, Python, Node) uses for the same failure.

======================  ====================================  =========================
exception               raised when                           ``.code``
======================  ====================================  =========================
``ParseError``          a message cannot be parsed, split     the core's error name:
(a ``ValueError``)      or encoded                            ``Version``, ``Command``,
                                                              ``NewLine``, ``HeaderName``,
                                                              ``HeaderValue``,
                                                              ``TooManyHeaders``,
                                                              ``Upstream``, ``PartOffset``,
                                                              ``Part``, ``TooManyParts``,
                                                              ``BufferTooSmall``,
                                                              ``Channel``, ``Position``
``ConnectError``        the connection could not be made      ``Connect``
(a ``ConnectionError``) (refused, DNS, TLS, handshake);
                        ``.status``: the HTTP status of a
                        refused handshake
``ClosedError``         the connection is over (closed by     ``Closed``
(a ``ConnectionError``) the server or by ``close()``)
``TimeoutError``        a wait ran out (connect, an           ``Timeout``
(a builtin              acknowledged request, ``recv``)
``TimeoutError``)
``ServerError``         the server answered a request with    the server's code, e.g.
                        an ``error`` reply, or HTTP publish   ``Forbidden``,
                        was refused                           ``Unauthorized``,
                                                              ``NoHistory``,
                                                              ``NoPresence``
``IoError``             reading or writing the connection     ``Io``
(a ``ConnectionError``) failed
======================  ====================================  =========================
"""

import builtins
from typing import Optional

__all__ = [
    "Error",
    "ParseError",
    "ConnectError",
    "ClosedError",
    "TimeoutError",
    "ServerError",
    "IoError",
]


class Error(Exception):
    """Base class of every lhttp exception."""

    #: The stable short name of the failure.
    code: str = ""
    #: Human text saying what happened.
    detail: str = ""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail

    def __str__(self) -> str:
        return self.detail


class _NamedError(Error):
    """An error whose ``.code`` is given with it (a core or server error name)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail)
        self.code = code
        self.args = (code, detail)

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


class ParseError(_NamedError, ValueError):
    """A message could not be parsed, split or encoded; ``.code`` is the core's error name."""


class ConnectError(Error, ConnectionError):
    """The connection could not be made. ``status`` is the HTTP status when the server
    refused the WebSocket handshake (e.g. 403, 503), else ``None``."""

    code = "Connect"

    def __init__(self, detail: str = "", status: Optional[int] = None) -> None:
        super().__init__(detail)
        self.status = status
        self.args = (detail, status)


class ClosedError(Error, ConnectionError):
    """The connection is over. ``close_code`` is the WebSocket close code when the
    server sent one, ``reason`` its reason or how the connection ended."""

    code = "Closed"

    def __init__(self, detail: str = "", close_code: Optional[int] = None, reason: str = "") -> None:
        super().__init__(detail)
        self.close_code = close_code
        self.reason = reason
        self.args = (detail, close_code, reason)


class TimeoutError(Error, builtins.TimeoutError):
    """A wait ran out: connecting, an acknowledged request, or ``recv(timeout=...)``."""

    code = "Timeout"


class ServerError(_NamedError):
    """The server refused a request; ``.code`` is its error name, ``.detail`` its text,
    ``.command`` and ``.id`` the refused request's command and id when the reply said.

    ``recv()`` and iteration raise it too, without ending the connection, for
    ``RestoreRefused`` (a channel the server would not take back after a reconnect;
    it is no longer subscribed) and ``Unrecovered`` (a channel with history whose
    publications made while disconnected could not be recovered; it is subscribed again
    and gets every later one). Their ``.detail`` starts with the channel's name."""

    def __init__(self, code: str, detail: str = "", command: Optional[str] = None, id: Optional[str] = None) -> None:
        super().__init__(code, detail)
        self.command = command
        self.id = id
        self.args = (code, detail, command, id)


class IoError(Error, ConnectionError):
    """Reading or writing the connection failed."""

    code = "Io"
