"""What the client session does for every SDK, checked through both Python clients
(sync and asyncio) against a real lhttpd: subscriptions restored in batches within
the server's channel limit after a restart, channel names refused before anything
is sent, a publisher's own message kept until it reads, and a refused handshake
reported with its HTTP status instead of a timeout."""

import asyncio
import time

import pytest

import lhttp
import lhttp.aio

#: Only a bound for waits that normally end at once; never a performance threshold.
PATIENCE = 30.0

#: More channels than the server takes in one message (64 by default).
CHANNELS = [f"restore-{i}" for i in range(150)]


def wait_until(check, what):
    """Polls `check()` until it returns a true value."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


async def await_until(check, what):
    """Polls the coroutine function `check` until it gives a true value."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, PATIENCE * 4))


# ---- every subscription comes back after a restart, 150 channels over a limit of 64 ----


def test_reconnect_restores_150_channels(server):
    with lhttp.connect(server.url, timeout=5, reconnect=True, max_backoff=0.5) as client:
        for i in range(0, len(CHANNELS), 10):
            client.subscribe(*CHANNELS[i : i + 10])
        first_id = client.client_id
        server.restart()  # same port
        for channel in CHANNELS:
            wait_until(lambda: lhttp.publish(server.http, channel, channel) == 1, f"{channel} restored")
        got = [client.recv(timeout=PATIENCE).text for _ in CHANNELS]
        assert sorted(got) == sorted(CHANNELS)
        assert client.client_id != first_id


def test_async_reconnect_restores_150_channels(server):
    async def main():
        async with lhttp.aio.connect(server.url, timeout=5, reconnect=True, max_backoff=0.5) as client:
            for i in range(0, len(CHANNELS), 10):
                await client.subscribe(*CHANNELS[i : i + 10])
            first_id = client.client_id
            server.restart()  # same port
            for channel in CHANNELS:

                async def delivered(channel=channel):
                    return await lhttp.aio.publish(server.http, channel, channel) == 1

                await await_until(delivered, f"{channel} restored")
            got = [(await client.recv(timeout=PATIENCE)).text for _ in CHANNELS]
            assert sorted(got) == sorted(CHANNELS)
            assert client.client_id != first_id

    run(main())


# ---- a channel name with a space is refused, and nothing is subscribed ----


def test_channel_with_a_space_is_refused(server):
    assert "Channel" in lhttp.ERROR_NAMES
    with lhttp.connect(server.url) as client:
        for channels in (["a b"], ["c", "a b"]):
            with pytest.raises(lhttp.ParseError) as err:
                client.subscribe(*channels)
            assert err.value.code == "Channel"
        # Neither half of the name, nor the good name beside it, was subscribed.
        assert lhttp.publish(server.http, ["a", "b", "c"], "x") == 0
        # The connection is still fine.
        client.subscribe("fine")
        assert client.publish("fine", "ok") == 1
        assert client.recv(timeout=PATIENCE).text == "ok"


def test_async_channel_with_a_space_is_refused(server):
    async def main():
        async with lhttp.aio.connect(server.url) as client:
            for channels in (["a b"], ["c", "a b"]):
                with pytest.raises(lhttp.ParseError) as err:
                    await client.subscribe(*channels)
                assert err.value.code == "Channel"
            assert await lhttp.aio.publish(server.http, ["a", "b", "c"], "x") == 0
            await client.subscribe("fine")
            assert await client.publish("fine", "ok") == 1
            assert (await client.recv(timeout=PATIENCE)).text == "ok"

    run(main())


# ---- a publisher's own messages, published before it reads, are all received ----


def test_own_messages_published_before_reading_are_received(server):
    with lhttp.connect(server.url) as client:
        client.subscribe("self")
        assert [client.publish("self", text) for text in ("one", "two", "three")] == [1, 1, 1]
        assert [client.recv(timeout=PATIENCE).text for _ in range(3)] == ["one", "two", "three"]


def test_async_own_messages_published_before_reading_are_received(server):
    async def main():
        async with lhttp.aio.connect(server.url) as client:
            await client.subscribe("self")
            assert [await client.publish("self", text) for text in ("one", "two", "three")] == [1, 1, 1]
            got = []
            async for msg in client:
                got.append(msg.text)
                if len(got) == 3:
                    break
            assert got == ["one", "two", "three"]

    run(main())


# ---- a refused handshake is a ConnectError naming the status, not a timeout ----

#: A page origin lhttpd does not allow: its handshake is refused with 403 OriginNotAllowed.
FOREIGN_ORIGIN = "https://elsewhere.example"


@pytest.mark.parametrize("reconnect", [False, True])
def test_refused_handshake_is_a_connect_error_with_its_status(server, reconnect):
    started = time.monotonic()
    with pytest.raises(lhttp.ConnectError) as err:
        lhttp.connect(server.url, timeout=PATIENCE, reconnect=reconnect, origin=FOREIGN_ORIGIN)
    # Not the connect timeout running out (nor retries): the refusal ended it.
    assert time.monotonic() - started < PATIENCE
    assert err.value.status == 403
    assert "403" in str(err.value) and "OriginNotAllowed" in str(err.value)


@pytest.mark.parametrize("reconnect", [False, True])
def test_async_refused_handshake_is_a_connect_error_with_its_status(server, reconnect):
    async def main():
        started = time.monotonic()
        with pytest.raises(lhttp.ConnectError) as err:
            await lhttp.aio.connect(server.url, timeout=PATIENCE, reconnect=reconnect, origin=FOREIGN_ORIGIN)
        assert time.monotonic() - started < PATIENCE
        assert err.value.status == 403
        assert "403" in str(err.value) and "OriginNotAllowed" in str(err.value)

    run(main())


@pytest.fixture
def full(start_server):
    """An lhttpd that takes no connection at all: every handshake is refused with 503."""
    return start_server("--max-connections", "0")


def test_full_server_is_a_connect_error_with_503(full):
    started = time.monotonic()
    with pytest.raises(lhttp.ConnectError) as err:
        lhttp.connect(full.url, timeout=PATIENCE)
    assert time.monotonic() - started < PATIENCE
    assert err.value.status == 503


def test_async_full_server_is_a_connect_error_with_503(full):
    async def main():
        started = time.monotonic()
        with pytest.raises(lhttp.ConnectError) as err:
            await lhttp.aio.connect(full.url, timeout=PATIENCE)
        assert time.monotonic() - started < PATIENCE
        assert err.value.status == 503

    run(main())


# ---- a channel the restarted server refuses is raised, and the client goes on ----

KEPT = [f"keep-{i}" for i in range(10)]


def refused_channel(err):
    """The channel a RestoreRefused error names (its detail starts with it)."""
    assert err.code == "RestoreRefused", err
    return err.detail.split()[0]


def test_refused_restore_is_raised_and_the_client_goes_on(server):
    with lhttp.connect(server.url, timeout=5, reconnect=True, max_backoff=0.5) as client:
        client.subscribe(*KEPT)
        server.args = ["--max-subscriptions", "5"]
        server.restart()  # same port, room for 5 of the 10
        refused = set()
        while len(refused) < 5:
            with pytest.raises(lhttp.ServerError) as err:
                client.recv(timeout=PATIENCE)
            refused.add(refused_channel(err.value))
        kept = [c for c in KEPT if c not in refused]
        assert len(kept) == 5
        for channel in kept:
            assert lhttp.publish(server.http, channel, channel) == 1
        assert [client.recv(timeout=PATIENCE).text for _ in kept] == kept


def test_async_refused_restore_is_raised_and_the_client_goes_on(server):
    async def main():
        async with lhttp.aio.connect(server.url, timeout=5, reconnect=True, max_backoff=0.5) as client:
            await client.subscribe(*KEPT)
            server.args = ["--max-subscriptions", "5"]
            server.restart()
            refused = set()
            while len(refused) < 5:
                with pytest.raises(lhttp.ServerError) as err:
                    await client.recv(timeout=PATIENCE)
                refused.add(refused_channel(err.value))
            kept = [c for c in KEPT if c not in refused]
            assert len(kept) == 5
            for channel in kept:
                assert await lhttp.aio.publish(server.http, channel, channel) == 1
            got = []
            async for msg in client:  # iteration goes on after the errors
                got.append(msg.text)
                if len(got) == len(kept):
                    break
            assert got == kept

    run(main())
