"""The API's shape, the same across lhttp's SDKs in Python's idiom: options are
keywords and an unknown one is a TypeError, publish takes (channels, body) with the
command `chat` unless named, and every time is in seconds."""

import asyncio
import inspect

import pytest

import lhttp
import lhttp.aio

PATIENCE = 30.0


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, PATIENCE * 2))


def test_unknown_options_are_type_errors(server):
    with pytest.raises(TypeError):
        lhttp.connect(server.url, timout=5)
    with pytest.raises(TypeError):
        lhttp.aio.connect(server.url, timout=5)
    with pytest.raises(TypeError):
        lhttp.publish(server.http, "room", "x", tokn="t")
    with lhttp.connect(server.url) as client:
        with pytest.raises(TypeError):
            client.publish("room", "x", comand="note")
        with pytest.raises(TypeError):
            client.recv(timout=1)

    async def main():
        with pytest.raises(TypeError):
            await lhttp.aio.publish(server.http, "room", "x", tokn="t")
        async with lhttp.aio.connect(server.url) as client:
            with pytest.raises(TypeError):
                await client.publish("room", "x", comand="note")
            with pytest.raises(TypeError):
                await client.recv(timout=1)

    run(main())


def test_options_are_keywords(server):
    # A positional option could be mistaken for another; each must be named.
    with pytest.raises(TypeError):
        lhttp.connect(server.url, 5)
    with pytest.raises(TypeError):
        lhttp.aio.connect(server.url, 5)
    with pytest.raises(TypeError):
        lhttp.publish(server.http, "room", "body", "note")
    with lhttp.connect(server.url) as client:
        with pytest.raises(TypeError):
            client.publish("room", "body", "note")


def test_publish_signatures_agree():
    """Client.publish, lhttp.publish and their asyncio twins take the same arguments."""

    def shape(fn):
        params = list(inspect.signature(fn).parameters.values())
        return [(p.name, p.kind, p.default) for p in params]

    client_side = shape(lhttp.aio.Client.publish)[1:]  # without self
    http_side = shape(lhttp.aio.publish)
    assert http_side[0][0] == "base_url"
    assert http_side[1:-1] == client_side
    assert http_side[-1][0] == "token"
    names = [name for name, _, _ in client_side]
    assert names == ["channels", "body", "command", "headers"]
    assert dict((n, d) for n, _, d in client_side)["command"] == "chat"


def test_default_command_is_chat_everywhere(server):
    with lhttp.connect(server.url) as client:
        client.subscribe("cmd")
        assert client.publish("cmd", "ws") == 1
        assert lhttp.publish(server.http, "cmd", "http") == 1
        got = [client.recv(timeout=PATIENCE) for _ in range(2)]
        assert [(m.command, m.text) for m in got] == [("chat", "ws"), ("chat", "http")]

    async def main():
        async with lhttp.aio.connect(server.url) as client:
            await client.subscribe("cmd")
            assert await client.publish("cmd", "ws") == 1
            assert await lhttp.aio.publish(server.http, "cmd", "http") == 1
            got = [await client.recv(timeout=PATIENCE) for _ in range(2)]
            assert [(m.command, m.text) for m in got] == [("chat", "ws"), ("chat", "http")]

    run(main())


def test_times_are_seconds(server):
    with lhttp.connect(server.url, timeout=0.5) as client:
        client.subscribe("t")
        with pytest.raises(lhttp.TimeoutError):
            client.recv(timeout=0.1)
    with pytest.raises(ValueError):
        lhttp.connect(server.url, timeout=-1)

    async def main():
        async with lhttp.aio.connect(server.url, timeout=0.5) as client:
            await client.subscribe("t")
            with pytest.raises(lhttp.TimeoutError):
                await client.recv(timeout=0.1)
        with pytest.raises(ValueError):
            await lhttp.aio.connect(server.url, timeout=-1)

    run(main())
