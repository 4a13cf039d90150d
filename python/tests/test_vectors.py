"""Every case of spec/vectors/ through the Python API: the binding proves the same
behaviour as the Rust core, case by case (a failing test names the vector's id).

The vectors' storage knobs (``max_parts``, ``max_part_headers``, ``buffer_len``) belong to
core's caller-owned-storage API. The Python binding sizes storage itself, so for those
vectors the test checks the Python outcome instead: the storage error cannot happen and
the operation succeeds. ``max_headers`` maps to ``lhttp.parse(..., max_headers=N)``.

``replies.json`` is read through ``parse`` and header lookup (the binding has no reply
reader of its own): the reply is told by its exact command, its fields are its headers.

``positions.json``: its ``position`` cases through ``lhttp.Position.parse``, ``lhttp.Position(epoch,
offset)`` and ``str()``
(what ``history(since=...)`` reads); its ``channel`` cases (``<ch> <epoch>:<offset>``, the
``since`` and ``position`` header values) are skipped, since those headers are the session's
and the binding writes none; core and the wasm build run them.
"""

import json
from pathlib import Path

import pytest

import lhttp

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"
STORAGE_ERRORS = {"TooManyParts", "BufferTooSmall", "TooManyHeaders"}


def load(name):
    cases = json.loads((VECTORS / name).read_text(encoding="utf-8"))["vectors"]
    return [pytest.param(c, id=c["id"]) for c in cases]


def raw(case, key):
    """A byte string given as ``key`` (UTF-8 text) or ``key_hex``."""
    if key + "_hex" in case:
        return bytes.fromhex(case[key + "_hex"])
    return case[key].encode("utf-8")


def pairs(headers):
    return [tuple(h) for h in headers]


def parse_case(case):
    return lhttp.parse(raw(case, "input"), max_headers=case.get("max_headers"))


def test_vectors_are_present():
    assert sorted(p.name for p in VECTORS.glob("*.json")) == [
        "channel_lists.json",
        "channels.json",
        "encode.json",
        "multipart.json",
        "parse_invalid.json",
        "parse_valid.json",
        "positions.json",
        "replies.json",
    ]


def test_every_error_name_the_vectors_use_is_a_core_name():
    assert len(lhttp.ERROR_NAMES) == 13 and lhttp.ERROR_NAMES[-1] == "Position"
    for path in VECTORS.glob("*.json"):
        for case in json.loads(path.read_text(encoding="utf-8"))["vectors"]:
            for key in ("error", "upstream_error"):
                if key in case:
                    assert case[key] in lhttp.ERROR_NAMES, (path.name, case["id"])


@pytest.mark.parametrize("case", load("parse_valid.json"))
def test_parse_valid(case):
    msg = parse_case(case)
    assert msg.command == case["command"]
    assert msg.headers == pairs(case["headers"])
    assert msg.body == raw(case, "body")
    for name, value in case.get("lookup", []):
        assert msg.header(name) == value
    # The same input given as str parses the same when it is UTF-8.
    data = raw(case, "input")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    assert lhttp.parse(text, max_headers=case.get("max_headers")) == msg


@pytest.mark.parametrize("case", load("parse_invalid.json"))
def test_parse_invalid(case):
    with pytest.raises(lhttp.ParseError) as err:
        parse_case(case)
    assert err.value.code == case["error"]
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("case", load("multipart.json"))
def test_multipart(case):
    storage_knob = "max_parts" in case or "max_part_headers" in case
    if case.get("error") in STORAGE_ERRORS and storage_knob:
        # Python grows part and part-header storage: the parts are read.
        parts = parse_case(case).parts
        if case["error"] == "TooManyParts":
            assert len(parts) > case["max_parts"]
        else:
            assert max(len(p.headers) for p in parts) > case["max_part_headers"]
        return
    if "error" in case:
        with pytest.raises(lhttp.ParseError) as err:
            parse_case(case).parts
        assert err.value.code == case["error"]
        return
    msg = parse_case(case)
    got = [(p.start, p.len, p.body_start, p.headers, p.body) for p in msg.parts]
    want = [(p["start"], p["len"], p["body_start"], pairs(p["headers"]), raw(p, "body")) for p in case["parts"]]
    assert got == want
    for part, expected in zip(msg.parts, case["parts"]):
        # Offsets are into the message body, as in every binding.
        assert msg.body[part.start : part.start + part.len].endswith(part.body)
        assert msg.body[part.body_start : part.start + part.len] == raw(expected, "body")


@pytest.mark.parametrize("case", load("encode.json"))
def test_encode(case):
    headers = pairs(case["headers"])
    if "parts" in case:
        parts = [(pairs(p["headers"]), raw(p, "body")) for p in case["parts"]]
        build = lambda: lhttp.Message.multipart(case["command"], parts, headers).encode()  # noqa: E731
    else:
        build = lambda: lhttp.Message(case["command"], headers, raw(case, "body")).encode()  # noqa: E731
    if case.get("error") == "BufferTooSmall":
        # Python sizes the output itself: a short buffer cannot happen.
        out = build()
        assert len(out) > case["buffer_len"]
        assert lhttp.parse(out).command == case["command"]
        return
    if "error" in case:
        with pytest.raises(lhttp.ParseError) as err:
            build()
        assert err.value.code == case["error"]
        return
    out = build()
    assert out == raw(case, "output")
    back = lhttp.parse(out)
    assert back.command == case["command"]
    if "parts" in case:
        assert back.headers[: len(headers)] == headers
        assert back.headers[len(headers)][0] == "multipart"
        assert [(p.headers, p.body) for p in back.parts] == parts
    else:
        assert back.headers == headers
        assert back.body == raw(case, "body")


@pytest.mark.parametrize("case", load("channels.json"))
def test_channels(case):
    msg = lhttp.parse(raw(case, "input"))
    for name in ("subscribe", "publish", "unsubscribe"):
        assert msg.channels(name) == case.get(name, [])
    if "upstream_error" in case:
        with pytest.raises(lhttp.ParseError) as err:
            msg.upstream
        assert err.value.code == case["upstream_error"]
    elif case.get("upstream") is None:
        assert msg.upstream is None
    else:
        assert msg.upstream == (case["upstream"]["method"], case["upstream"]["url"])


@pytest.mark.parametrize("case", load("channel_lists.json"))
def test_channel_lists(case):
    if "error" in case:
        with pytest.raises(lhttp.ParseError) as err:
            lhttp.channel_list(case["channels"])
        assert err.value.code == case["error"]
        return
    out = lhttp.channel_list(case["channels"])
    assert out == case["output"]
    # The value reads back as the same channels.
    assert lhttp.parse(f"LHTTP/1.0 c\r\nsubscribe:{out}\r\n\r\n").channels("subscribe") == case["channels"]


def reply_number(msg, name, bits):
    """A number header of a reply: decimal digits that fit ``bits``, else absent."""
    value = msg.header(name)
    if value is None or not (value.isascii() and value.isdigit()) or int(value) >= 2**bits:
        return None
    return int(value)


def read_reply(msg):
    """The reply fields a vector expects, read from the parsed message's headers."""
    if msg.command == "connected":
        return {
            "kind": "connected",
            "client_id": msg.header("client-id"),
            "max_channels": reply_number(msg, "max-channels", 32),
            "max_subscriptions": reply_number(msg, "max-subscriptions", 32),
            "max_message_size": reply_number(msg, "max-message-size", 64),
            "max_headers": reply_number(msg, "max-headers", 32),
        }
    if msg.command == "ack":
        return {"kind": "ack", "id": msg.header("id"), "deliveries": reply_number(msg, "deliveries", 64)}
    if msg.command == "error":
        code = msg.header("code", "Internal")
        known = code if code in lhttp.ERROR_NAMES or code in lhttp.SERVER_ERROR_NAMES else "Unknown"
        return {
            "kind": "error",
            "code": code,
            "known": known,
            "detail": msg.header("detail", ""),
            "command": msg.header("command"),
            "id": msg.header("id"),
        }
    return None


@pytest.mark.parametrize("case", load("replies.json"))
def test_replies(case):
    msg = lhttp.parse(raw(case, "input"))
    assert read_reply(msg) == case["reply"]


@pytest.mark.parametrize("case", load("positions.json"))
def test_positions(case):
    if case["form"] != "position":
        pytest.skip("channel position headers are the session's; core and wasm run them")
    if "write" in case:
        make = lambda: lhttp.Position(case["write"]["epoch"], int(case["write"]["offset"]))  # noqa: E731
    else:
        make = lambda: lhttp.Position.parse(case["input"])  # noqa: E731
    if "error" in case:
        with pytest.raises(lhttp.ParseError) as err:
            make()
        assert err.value.code == case["error"]
        return
    p = make()
    if "write" in case:
        assert str(p) == case["output"]
        return
    assert (p.epoch, p.offset, str(p)) == (case["epoch"], int(case["offset"]), case["output"])
