"""Channel history and recovery (spec section 13) through the sync and asyncio clients,
against a real lhttpd started with history on: a history read (limit, reverse, since), a
position after subscribe and receive, NoHistory from a server without history,
Unrecovered raised after a restart of the server (a new epoch) while the client reconnects,
and the recovery notices (lhttp.Recovery) after the server dropped the connection (its HTTP
API's close_client) and publications were missed, or trimmed away."""

import asyncio
import json
import time
import urllib.request

import pytest

import lhttp
import lhttp.aio

PATIENCE = 30.0
HISTORY = ("--history-size", "100", "--history-ttl", "300")
ROOM = "chat:room"


@pytest.fixture
def history_server(start_server):
    return start_server(*HISTORY)


def offsets(history):
    return [int(m.header("offset")) for m in history.publications]


def test_position_reads_writes_and_compares():
    p = lhttp.Position("e1", 5)
    assert (p.epoch, p.offset, str(p)) == ("e1", 5, "e1:5")
    assert lhttp.Position.parse("e1:5") == p and hash(lhttp.Position.parse("e1:005")) == hash(p)
    assert repr(p) == "Position(\"e1\", 5)"
    for bad in ("e1", "e1:x", ":5", "e 1:5", "e1:-1"):
        with pytest.raises(lhttp.ParseError) as err:
            lhttp.Position.parse(bad)
        assert err.value.code == "Position", bad
    with pytest.raises(lhttp.ParseError):
        lhttp.Position("bad epoch", 1)


def test_history_position_and_reads(history_server):
    with lhttp.connect(history_server.url, timeout=5) as client:
        assert client.position(ROOM) is None  # not subscribed
        client.subscribe(ROOM)
        start = client.position(ROOM)
        assert isinstance(start, lhttp.Position) and start.offset == 0
        for n in range(1, 6):
            client.publish(ROOM, f"m{n}")
        got = [client.recv(timeout=PATIENCE) for _ in range(5)]
        assert [m.text for m in got] == ["m1", "m2", "m3", "m4", "m5"]
        assert got[-1].header("channel") == ROOM and got[-1].header("epoch") == start.epoch
        assert client.position(ROOM) == lhttp.Position(start.epoch, 5)

        everything = client.history(ROOM)
        assert isinstance(everything, lhttp.History)
        assert (everything.channel, str(everything.position)) == (ROOM, f"{start.epoch}:5")
        assert offsets(everything) == [1, 2, 3, 4, 5]
        assert everything.publications[0].command == "chat"
        assert everything.publications[0] == got[0]  # as it was delivered live

        newest = client.history(ROOM, limit=2, reverse=True)
        assert ([m.text for m in newest.publications], offsets(newest)) == (["m5", "m4"], [5, 4])
        after = client.history(ROOM, since=lhttp.Position(start.epoch, 3))
        assert offsets(after) == [4, 5]
        assert offsets(client.history(ROOM, since=f"{start.epoch}:4", limit=10)) == [5]
        assert client.history(ROOM, limit=0).publications == []
        # Another epoch's since: no publications, and the current position says so.
        other = client.history(ROOM, since="elsewhere:1")
        assert (other.publications, other.position.epoch) == ([], start.epoch)
        # A channel of the namespace that nobody published to: empty, at offset 0.
        assert client.history("chat:empty").position.offset == 0

        with pytest.raises(lhttp.ParseError) as err:
            client.history(ROOM, since="no-offset")
        assert err.value.code == "Position"
        with pytest.raises(TypeError):
            client.history(ROOM, since=3)
        with pytest.raises(TypeError):
            client.history(ROOM, 2)  # limit is a keyword


def test_no_history_from_a_server_without_history(server):
    with lhttp.connect(server.url, timeout=5) as client:
        client.subscribe("room")
        assert client.position("room") is None  # no history, no position
        with pytest.raises(lhttp.ServerError) as err:
            client.history("room")
        assert err.value.code == "NoHistory", err.value


def unrecovered_channel(err):
    """The channel an Unrecovered error names (its detail starts with it)."""
    assert err.code == "Unrecovered", err
    assert err.detail.startswith(ROOM + ":"), err.detail
    return ROOM


def test_unrecovered_after_a_restart_then_live_again(history_server):
    server = history_server
    with lhttp.connect(server.url, timeout=5, reconnect=True, initial_backoff=0.1, max_backoff=0.3) as client:
        client.subscribe(ROOM)
        client.publish(ROOM, "before")
        assert client.recv(timeout=PATIENCE).text == "before"
        before = client.position(ROOM)
        assert before is not None and before.offset == 1
        server.restart()  # same port; the memory history is gone: a new epoch
        with pytest.raises(lhttp.ServerError) as err:
            client.recv(timeout=PATIENCE)
        unrecovered_channel(err.value)
        now = client.position(ROOM)
        assert now is not None and now.epoch != before.epoch and now.offset == 0
        # The client goes on: subscribed again, it gets the new stream's publications.
        lhttp.publish(server.http, ROOM, "after")
        msg = client.recv(timeout=PATIENCE)
        assert (msg.text, msg.header("offset"), msg.header("epoch")) == ("after", "1", now.epoch)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, PATIENCE * 2))


def test_async_history_position_and_unrecovered(history_server, server):
    async def main():
        async with lhttp.aio.connect(
            history_server.url, timeout=5, reconnect=True, initial_backoff=0.1, max_backoff=0.3
        ) as client:
            await client.subscribe(ROOM)
            start = client.position(ROOM)  # a plain call
            assert start is not None and start.offset == 0
            for n in range(1, 4):
                await client.publish(ROOM, f"m{n}")
            for n in range(1, 4):
                assert (await client.recv(timeout=PATIENCE)).text == f"m{n}"
            assert client.position(ROOM) == lhttp.Position(start.epoch, 3)
            page = await client.history(ROOM, limit=2, reverse=True)
            assert (page.channel, offsets(page), page.position.offset) == (ROOM, [3, 2], 3)
            assert offsets(await client.history(ROOM, since=page.position)) == []
            assert offsets(await client.history(ROOM, since=f"{start.epoch}:1")) == [2, 3]

            history_server.restart()
            with pytest.raises(lhttp.ServerError) as err:
                await client.recv(timeout=PATIENCE)
            unrecovered_channel(err.value)
            await lhttp.aio.publish(history_server.http, ROOM, "after")
            async for msg in client:  # iteration goes on after the error
                assert (msg.text, msg.header("offset")) == ("after", "1")
                break

        async with lhttp.aio.connect(server.url, timeout=5) as plain:
            with pytest.raises(lhttp.ServerError) as err:
                await plain.history("room")
            assert err.value.code == "NoHistory"

    run(main())


def api(server, call, **args):
    """Calls lhttpd's HTTP API (spec/HTTP-API.md); gives the result."""
    request = urllib.request.Request(f"{server.http}/api/{call}", data=json.dumps(args).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=PATIENCE) as answer:
        return json.load(answer)["result"]


def drop_connection(server, client_id):
    """Has the server close the connection (code 1000: the client reconnects) and waits
    until it is gone, so what is published next is missed."""
    assert api(server, "close_client", client=client_id) is True
    for _ in range(400):
        if not api(server, "is_online", client=client_id):
            return
        time.sleep(0.01)
    raise AssertionError(f"{client_id} is still online")


# The first retry waits 0.5 to 1 s: what the tests publish meanwhile is missed.
AWAY = {"reconnect": True, "initial_backoff": 1.0, "max_backoff": 1.0}


def test_recovered_after_a_dropped_connection(start_server):
    server = start_server("--history-size", "50", "--history-ttl", "60")
    with lhttp.connect(server.url, timeout=5, **AWAY) as client:
        client.subscribe(ROOM)
        assert client.try_recovery() is None, "a first subscribe reports nothing"
        lhttp.publish(server.http, ROOM, "before")
        assert client.recv(timeout=PATIENCE).text == "before"
        drop_connection(server, client.client_id)
        for n in (1, 2, 3):
            lhttp.publish(server.http, ROOM, f"missed {n}")
        assert [client.recv(timeout=PATIENCE).text for _ in range(3)] == ["missed 1", "missed 2", "missed 3"]
        notice = client.recovery(timeout=PATIENCE)
        assert isinstance(notice, lhttp.Recovery)
        assert (notice.channel, notice.recovered) == (ROOM, True)
        assert repr(notice) == f'Recovery(channel="{ROOM}", recovered=True)'
        assert client.try_recovery() is None
        with pytest.raises(lhttp.TimeoutError):
            client.recovery(timeout=0.01)
    with pytest.raises(lhttp.ClosedError):
        client.recovery(timeout=PATIENCE)


def test_unrecovered_after_a_trimmed_history(start_server):
    server = start_server("--history-size", "2", "--history-ttl", "60")
    with lhttp.connect(server.url, timeout=5, **AWAY) as client:
        client.subscribe(ROOM)
        lhttp.publish(server.http, ROOM, "before")
        assert client.recv(timeout=PATIENCE).text == "before"
        drop_connection(server, client.client_id)
        for n in (1, 2, 3, 4):  # two kept: the one after the client's position is gone
            lhttp.publish(server.http, ROOM, f"missed {n}")
        with pytest.raises(lhttp.ServerError) as err:
            client.recv(timeout=PATIENCE)
        unrecovered_channel(err.value)
        notice = client.recovery(timeout=PATIENCE)
        assert (notice.channel, notice.recovered) == (ROOM, False)
        position = client.position(ROOM)
        assert position is not None and position.offset == 5
        lhttp.publish(server.http, ROOM, "live")
        assert client.recv(timeout=PATIENCE).text == "live", "none of the old ones, then the live one"


def test_async_recovery_notices(start_server):
    recovering = start_server("--history-size", "50", "--history-ttl", "60")
    trimming = start_server("--history-size", "2", "--history-ttl", "60")

    async def main():
        async with lhttp.aio.connect(recovering.url, timeout=5, **AWAY) as client:
            await client.subscribe(ROOM)
            await lhttp.aio.publish(recovering.http, ROOM, "before")
            assert (await client.recv(timeout=PATIENCE)).text == "before"
            with pytest.raises(lhttp.TimeoutError):
                await client.recovery(timeout=0.01)
            # A wait cancelled by its caller loses nothing.
            waiting = asyncio.ensure_future(client.recovery())
            await asyncio.sleep(0)
            waiting.cancel()
            await asyncio.to_thread(drop_connection, recovering, client.client_id)
            for n in (1, 2):
                await lhttp.aio.publish(recovering.http, ROOM, f"missed {n}")
            assert [(await client.recv(timeout=PATIENCE)).text for _ in range(2)] == ["missed 1", "missed 2"]
            notice = await client.recovery(timeout=PATIENCE)
            assert (notice.channel, notice.recovered) == (ROOM, True)
        with pytest.raises(lhttp.ClosedError):
            await client.recovery(timeout=PATIENCE)

        async with lhttp.aio.connect(trimming.url, timeout=5, **AWAY) as client:
            await client.subscribe(ROOM)
            await lhttp.aio.publish(trimming.http, ROOM, "before")
            assert (await client.recv(timeout=PATIENCE)).text == "before"
            await asyncio.to_thread(drop_connection, trimming, client.client_id)
            for n in (1, 2, 3, 4):
                await lhttp.aio.publish(trimming.http, ROOM, f"missed {n}")
            notice = await client.recovery(timeout=PATIENCE)
            assert (notice.channel, notice.recovered) == (ROOM, False)
            with pytest.raises(lhttp.ServerError) as err:
                await client.recv(timeout=PATIENCE)
            unrecovered_channel(err.value)

    run(main())
