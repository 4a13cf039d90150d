"""The asyncio client against a real lhttpd."""

import asyncio

import pytest

import lhttp
import lhttp.aio

PATIENCE = 30.0


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, PATIENCE * 2))


def test_async_pubsub_and_iteration(server):
    async def main():
        async with lhttp.aio.connect(server.url) as sub:
            pub = await lhttp.aio.connect(server.url)
            assert sub.client_id != pub.client_id
            await sub.subscribe("aroom")
            assert await pub.publish("aroom", "one", headers={"n": "1"}) == 1
            assert await pub.publish(["aroom"], b"two", command="note") == 1
            got = []
            async for msg in sub:
                got.append((msg.command, msg.header("n"), msg.text))
                if len(got) == 2:
                    break
            assert got == [("chat", "1", "one"), ("note", None, "two")]
            await pub.close()

    run(main())


def test_async_send_unsubscribe_and_http_publish(server):
    async def main():
        async with lhttp.aio.connect(server.url) as client:
            await client.subscribe("anews")
            await client.send(lhttp.Message("say", [("publish", "anews")], "mine"))
            assert (await client.recv(timeout=PATIENCE)).text == "mine"
            assert await lhttp.aio.publish(server.http, "anews", "by http", command="headline") == 1
            msg = await client.recv(timeout=PATIENCE)
            assert (msg.command, msg.text) == ("headline", "by http")
            assert await lhttp.aio.publish(server.http, "anews", "plain") == 1
            msg = await client.recv(timeout=PATIENCE)
            assert (msg.command, msg.text) == ("chat", "plain")
            await client.unsubscribe("anews")
            assert await lhttp.aio.publish(server.http, "anews", body="lost") == 0

    run(main())


def test_async_recv_timeout_and_cancellation_lose_nothing(server):
    async def main():
        async with lhttp.aio.connect(server.url) as client:
            await client.subscribe("atime")
            with pytest.raises(lhttp.TimeoutError):
                await client.recv(timeout=0.2)
            waiting = asyncio.ensure_future(client.recv())
            await asyncio.sleep(0.05)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            # A message published after the cancelled receive still arrives.
            assert await client.publish("atime", "kept") == 1
            assert (await client.recv(timeout=PATIENCE)).text == "kept"

    run(main())


def test_async_errors(server):
    async def main():
        async with lhttp.aio.connect(server.url) as client:
            with pytest.raises(lhttp.ServerError) as err:
                await client.publish([f"c{i}" for i in range(100)], "x")
            assert err.value.code == "TooManyChannels"
            with pytest.raises(lhttp.ParseError):
                await client.send(lhttp.Message("bad command"))
        port = server.port
        server.stop()
        with pytest.raises(lhttp.ConnectError):
            await lhttp.aio.connect(f"ws://127.0.0.1:{port}/", timeout=5)

    run(main())


def test_async_iteration_ends_when_the_server_closes(start_server):
    # lhttpd closes a connection silent at its ping time with 1001 "idle timeout": a normal closure.
    server = start_server("--idle-timeout", "0.5", "--ping-interval", "1")

    async def main():
        client = await lhttp.aio.connect(server.url)
        await client.subscribe("aend")
        assert [m async for m in client] == []
        with pytest.raises(lhttp.ClosedError):
            await client.recv()
        await client.close()

    run(main())


def test_async_concurrent_receivers_share_the_stream(server):
    async def main():
        async with lhttp.aio.connect(server.url) as client:
            await client.subscribe("share")

            async def reader(out):
                while True:
                    text = (await client.recv(timeout=PATIENCE)).text
                    if text == "end":
                        return
                    out.append(int(text))

            a, b = [], []
            readers = asyncio.gather(reader(a), reader(b))
            for i in range(500):
                await client.publish("share", str(i))
            for _ in range(2):  # one for each reader
                await client.publish("share", "end")
            await readers
            # Every message reached exactly one reader, each in the order sent.
            assert sorted(a + b) == list(range(500))
            assert a == sorted(a) and b == sorted(b)

    run(main())


def test_async_burst_arrives_whole_and_in_order(server):
    # More messages than one take() hands over, and than the client buffers unread.
    async def main():
        async with lhttp.aio.connect(server.url, max_buffered=100) as client:
            await client.subscribe("burst")
            for i in range(2000):
                await client.send(lhttp.Message("chat", [("publish", "burst")], str(i)))
            got = []
            async for msg in client:
                got.append(int(msg.text))
                if len(got) == 2000:
                    break
            assert got == list(range(2000))

    run(main())
