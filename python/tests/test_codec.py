"""The Python shape of the codec: argument types, lookups, errors, multipart building.
What the format accepts is covered by test_vectors.py; this file covers the binding."""

import pytest

import lhttp

CHAT = b"LHTTP/1.0 chat\r\nPublish:room1 room2\r\nx-tag:a\r\nX-Tag:b\r\n\r\nhello"


def test_parse_gives_fields_and_case_insensitive_lookup():
    msg = lhttp.parse(CHAT)
    assert msg.command == "chat"
    assert msg.headers == [("Publish", "room1 room2"), ("x-tag", "a"), ("X-Tag", "b")]
    assert msg.header("publish") == "room1 room2"
    assert msg.header("X-TAG") == "a"
    assert msg.header_values("x-tag") == ["a", "b"]
    assert msg.header("missing") is None
    assert msg.header("missing", "default") == "default"
    assert msg.channels("publish") == ["room1", "room2"]
    assert (msg.body, msg.text) == (b"hello", "hello")
    assert msg.parts == []
    assert msg.upstream is None


@pytest.mark.parametrize("data", [CHAT, bytearray(CHAT), memoryview(CHAT), CHAT.decode()])
def test_parse_accepts_bytes_like_and_str(data):
    assert lhttp.parse(data) == lhttp.parse(CHAT)


def test_parse_rejects_other_types():
    with pytest.raises(TypeError):
        lhttp.parse(42)


def test_headers_list_is_a_copy():
    msg = lhttp.parse(CHAT)
    msg.headers.append(("evil", "1"))
    assert msg.header("evil") is None


def test_text_of_binary_body_raises_unicode_error():
    msg = lhttp.parse(b"LHTTP/1.0 bin\r\n\r\n\xff\xfe")
    assert msg.body == b"\xff\xfe"
    with pytest.raises(UnicodeDecodeError):
        msg.text


def test_message_encode_round_trip_with_mapping_and_str_body():
    msg = lhttp.Message("chat", {"publish": "room", "id": "7"}, "héllo")
    out = msg.encode()
    assert out == "LHTTP/1.0 chat\r\npublish:room\r\nid:7\r\n\r\nhéllo".encode()
    assert bytes(msg) == out
    assert lhttp.parse(out) == msg
    assert lhttp.Message("ping").encode() == b"LHTTP/1.0 ping\r\n\r\n"


def test_message_repr_shows_fields():
    msg = lhttp.Message("chat", [("publish", "room")], b"hi")
    assert repr(msg) == "Message('chat', headers=[('publish', 'room')], body=b'hi')"


@pytest.mark.parametrize(
    "command, headers, code",
    [
        ("bad command", None, "Command"),
        ("", None, "Command"),
        ("chat", [("bad name", "v")], "HeaderName"),
        ("chat", [("name", " padded")], "HeaderValue"),
        ("chat", [("name", "line\r\nbreak")], "HeaderValue"),
    ],
)
def test_invalid_fields_fail_at_encode_with_core_names(command, headers, code):
    msg = lhttp.Message(command, headers)
    with pytest.raises(lhttp.ParseError) as err:
        msg.encode()
    assert err.value.code == code
    assert str(err.value).startswith(code + ": ")


def test_bad_header_argument_is_a_type_error():
    with pytest.raises(TypeError):
        lhttp.Message("chat", [("only-a-name",)])
    with pytest.raises(TypeError):
        lhttp.Message("chat", [("name", 3)])


def test_multipart_builds_through_core_and_reads_back():
    msg = lhttp.Message.multipart(
        "upload",
        [([("k1", "v1")], b"body1"), ({"k2": "v2"}, "body2")],
        [("id", "9")],
    )
    assert msg.encode() == b"LHTTP/1.0 upload\r\nid:9\r\nmultipart:0 14\r\n\r\nk1:v1\r\n\r\nbody1k2:v2\r\n\r\nbody2"
    first, second = msg.parts
    assert (first.start, first.len, first.body_start) == (0, 14, 9)
    assert (second.header("K2"), second.body, second.text) == ("v2", b"body2", "body2")
    assert second.header("nope", "x") == "x"
    # Parts of a parsed message can be reused to build another one.
    again = lhttp.Message.multipart("copy", msg.parts)
    assert again.parts == msg.parts


def test_multipart_errors():
    with pytest.raises(lhttp.ParseError) as err:
        lhttp.Message.multipart("upload", [])
    assert err.value.code == "PartOffset"
    with pytest.raises(TypeError):
        lhttp.Message.multipart("upload", [b"not a pair"])
    bad = lhttp.Message("upload", [("multipart", "0 99")], b"a:b\r\n\r\nc")
    with pytest.raises(lhttp.ParseError) as err:
        bad.parts
    assert err.value.code == "PartOffset"


def test_header_storage_grows_to_max_headers():
    many = lhttp.Message("many", [(f"h{i}", "v") for i in range(lhttp.MAX_HEADERS)]).encode()
    assert len(lhttp.parse(many).headers) == lhttp.MAX_HEADERS
    too_many = lhttp.Message("many", [(f"h{i}", "v") for i in range(lhttp.MAX_HEADERS + 1)]).encode()
    with pytest.raises(lhttp.ParseError) as err:
        lhttp.parse(too_many)
    assert err.value.code == "TooManyHeaders"
    with pytest.raises(ValueError):
        lhttp.parse(many, max_headers=lhttp.MAX_HEADERS + 1)


def test_upstream_header():
    msg = lhttp.Message("rec", [("upstream", "POST http://127.0.0.1:9/x")])
    assert msg.upstream == ("POST", "http://127.0.0.1:9/x")
    with pytest.raises(lhttp.ParseError) as err:
        lhttp.Message("rec", [("upstream", "nourl")]).upstream
    assert err.value.code == "Upstream"


def test_error_names_and_exception_hierarchy():
    assert lhttp.ERROR_NAMES == [
        "Version", "Command", "NewLine", "HeaderName", "HeaderValue", "TooManyHeaders",
        "Upstream", "PartOffset", "Part", "TooManyParts", "BufferTooSmall", "Channel", "Position",
    ]  # fmt: skip
    assert issubclass(lhttp.ParseError, (lhttp.Error, ValueError))
    assert issubclass(lhttp.ConnectError, ConnectionError)
    assert issubclass(lhttp.ClosedError, ConnectionError)
    assert issubclass(lhttp.IoError, ConnectionError)
    assert issubclass(lhttp.TimeoutError, TimeoutError)
    assert issubclass(lhttp.ServerError, lhttp.Error)
    err = lhttp.ServerError("Forbidden", "not allowed")
    assert (err.code, err.detail, str(err)) == ("Forbidden", "not allowed", "Forbidden: not allowed")
    assert lhttp.TimeoutError("x").code == "Timeout"
    refused = lhttp.ConnectError("refused with HTTP 403", 403)
    assert (refused.code, refused.status, str(refused)) == ("Connect", 403, "refused with HTTP 403")
    assert lhttp.ConnectError("no route").status is None
