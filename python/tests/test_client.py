"""The synchronous client against a real lhttpd: pub/sub between Python clients and the
Rust CLI, HTTP publish, reconnect after a server restart, and the documented exceptions."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import lhttp

#: Only a bound for waits that normally end at once; never a performance threshold.
PATIENCE = 30.0


def wait_until(check, what):
    """Polls `check()` until it returns a true value."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def test_python_subscriber_receives_python_publish(server):
    with lhttp.connect(server.url, timeout=5) as sub, lhttp.connect(server.url, timeout=5) as pub:
        assert sub.client_id and pub.client_id and sub.client_id != pub.client_id
        sub.subscribe("room", "other")
        deliveries = pub.publish("room", "hello", command="chat", headers=[("x-from", "py")])
        assert deliveries == 1
        msg = sub.recv(timeout=PATIENCE)
        assert msg.command == "chat"
        assert msg.header("X-FROM") == "py"
        assert msg.channels("publish") == ["room"]
        assert msg.text == "hello"


def test_publisher_subscribed_gets_its_own_message_and_messages_roundtrip(server):
    with lhttp.connect(server.url) as client:
        client.subscribe("echo")
        sent = lhttp.Message("note", [("publish", "echo"), ("k", "v")], b"\x00\xffbinary")
        client.send(sent)
        got = client.recv(timeout=PATIENCE)
        assert (got.command, got.header("k"), got.body) == ("note", "v", b"\x00\xffbinary")
        client.unsubscribe("echo")
        assert client.publish(["echo"], "nobody") == 0


def test_python_subscriber_receives_rust_cli_publish(server, lhttp_cli):
    with lhttp.connect(server.url) as sub:
        sub.subscribe("from-rust")
        out = subprocess.run(
            [lhttp_cli, "pub", server.url, "from-rust", "hi from rust", "--command", "chat", "-H", "lang:rust"],
            capture_output=True,
            text=True,
            timeout=PATIENCE,
        )
        assert out.returncode == 0, out.stderr
        assert "delivered to 1 subscriber" in out.stdout
        msg = sub.recv(timeout=PATIENCE)
        assert (msg.command, msg.header("lang"), msg.text) == ("chat", "rust", "hi from rust")


def test_rust_cli_subscriber_receives_python_publish(server, lhttp_cli):
    cli = subprocess.Popen(
        [lhttp_cli, "sub", server.url, "from-python", "--body-only", "--count", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The CLI says on stderr when its subscription is acknowledged.
        assert "subscribed to from-python" in cli.stderr.readline()
        with lhttp.connect(server.url) as pub:
            assert pub.publish("from-python", "hello from python") == 1
        out, _ = cli.communicate(timeout=PATIENCE)
        assert out == "hello from python\n"
        assert cli.returncode == 0
    finally:
        cli.kill()
        cli.wait()


def test_http_publish_reaches_python_subscriber(server):
    with lhttp.connect(server.url) as sub:
        sub.subscribe("news")
        n = lhttp.publish(server.http, ["news"], b"extra", command="headline", headers=[("lang", "en")])
        assert n == 1
        msg = sub.recv(timeout=PATIENCE)
        assert (msg.command, msg.header("lang"), msg.body) == ("headline", "en", b"extra")
        # The body second, as in Client.publish; the command is chat unless named.
        assert lhttp.publish(server.http, "news", "hello") == 1
        msg = sub.recv(timeout=PATIENCE)
        assert (msg.command, msg.text) == ("chat", "hello")
        # The keyword form, a ws:// base.
        assert lhttp.publish(server.url, "news", body="second") == 1
        assert sub.recv(timeout=PATIENCE).text == "second"


def test_http_publish_with_wrong_token_is_a_server_error(start_server):
    server = start_server("--publish-token", "s3cret")
    with pytest.raises(lhttp.ServerError) as err:
        lhttp.publish(server.http, "room", body="x", token="wrong")
    assert err.value.code == "Unauthorized"
    assert lhttp.publish(server.http, "room", body="x", token="s3cret") == 0


def test_http_publish_refused_connection_is_a_connect_error(server):
    port = server.port
    server.stop()
    with pytest.raises(lhttp.ConnectError):
        lhttp.publish(f"http://127.0.0.1:{port}", "room", body="x")


def test_reconnect_restores_subscriptions_after_restart(server):
    with lhttp.connect(server.url, timeout=5, reconnect=True, max_backoff=0.5) as client:
        client.subscribe("durable")
        first_id = client.client_id
        server.restart()  # same port
        # Once the client is back and has re-subscribed, HTTP publish reaches it.
        wait_until(lambda: lhttp.publish(server.http, "durable", body="after restart") == 1, "the re-subscription")
        msg = client.recv(timeout=PATIENCE)
        assert msg.text == "after restart"
        assert client.client_id != first_id


def test_recv_timeout_raises_lhttp_timeout_error(server):
    with lhttp.connect(server.url) as client:
        client.subscribe("quiet")
        with pytest.raises(lhttp.TimeoutError) as err:
            client.recv(timeout=0.2)
        assert isinstance(err.value, TimeoutError)
        assert err.value.code == "Timeout"
        assert client.try_recv() is None


def test_connect_refused_raises_connect_error(server):
    port = server.port
    server.stop()
    with pytest.raises(lhttp.ConnectError) as err:
        lhttp.connect(f"ws://127.0.0.1:{port}/", timeout=5)
    assert isinstance(err.value, ConnectionError)
    assert err.value.code == "Connect"


def test_bad_url_raises_connect_error():
    with pytest.raises(lhttp.ConnectError):
        lhttp.connect("ftp://127.0.0.1:1/")
    with pytest.raises(ValueError):
        lhttp.connect("ws://127.0.0.1:1/", timeout=-1)


def test_server_close_ends_iteration_and_recv_raises_closed(start_server):
    # lhttpd closes a connection silent at its ping time with 1001 "idle timeout": a normal closure.
    server = start_server("--idle-timeout", "0.5", "--ping-interval", "1")
    client = lhttp.connect(server.url)
    client.subscribe("room")
    assert list(client) == []
    with pytest.raises(lhttp.ClosedError) as err:
        client.recv(timeout=PATIENCE)
    assert err.value.code == "Closed"
    with pytest.raises(lhttp.ClosedError):
        client.publish("room", "x")
    client.close()


def test_server_shutdown_makes_calls_raise_connection_errors(server):
    client = lhttp.connect(server.url)
    client.subscribe("room")
    server.stop()
    # A close frame gives ClosedError; a connection cut before it, IoError.
    with pytest.raises((lhttp.ClosedError, lhttp.IoError)):
        client.recv(timeout=PATIENCE)
    with pytest.raises(lhttp.ClosedError):
        client.recv(timeout=PATIENCE)
    client.close()


def test_close_ends_iteration(server):
    client = lhttp.connect(server.url)
    client.close()
    client.close()  # twice is fine
    assert list(client) == []
    with pytest.raises(lhttp.ClosedError):
        client.subscribe("room")


def test_refused_request_raises_server_error(server):
    with lhttp.connect(server.url) as client:
        # More channels in one publish than the server allows (64 by default).
        with pytest.raises(lhttp.ServerError) as err:
            client.publish([f"c{i}" for i in range(100)], "x")
        assert err.value.code == "TooManyChannels"
        assert err.value.detail


def test_invalid_message_gets_an_error_reply_as_a_message(server):
    with lhttp.connect(server.url) as client:
        client.send_raw(b"LHTTP/1.0 chat\r\nbad header line\r\n\r\n")
        reply = client.recv(timeout=PATIENCE)
        assert reply.command == "error"
        assert reply.header("code") == "HeaderName"
        # The connection stays open.
        client.subscribe("still-open")


def test_invalid_outgoing_message_raises_parse_error(server):
    with lhttp.connect(server.url) as client:
        with pytest.raises(lhttp.ParseError) as err:
            client.send(lhttp.Message("bad command"))
        assert err.value.code == "Command"
        with pytest.raises(lhttp.ParseError) as err:
            client.publish("room", "x", headers=[("bad name", "v")])
        assert err.value.code == "HeaderName"


def test_gil_is_released_while_recv_waits(server):
    with lhttp.connect(server.url) as sub, lhttp.connect(server.url) as pub:
        sub.subscribe("gil")
        got = []
        waiter = threading.Thread(target=lambda: got.append(sub.recv(timeout=PATIENCE)))
        waiter.start()
        # This thread runs Python code (and publishes) while the other one waits in recv();
        # that is only possible when the wait does not hold the GIL.
        counted = sum(range(100_000))
        wait_until(lambda: pub.publish("gil", str(counted)), "a subscriber")
        waiter.join(PATIENCE)
        assert [m.text for m in got] == [str(counted)]


def test_ctrl_c_interrupts_a_blocking_recv(server, tmp_path):
    script = tmp_path / "blocked.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import lhttp
            client = lhttp.connect({server.url!r})
            client.subscribe("nothing-comes")
            try:
                print("ready", flush=True)
                client.recv()
            except KeyboardInterrupt:
                print("interrupted", flush=True)
            """
        )
    )
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "ready\n"
        time.sleep(0.3)  # let the child get into recv(); an earlier signal is caught the same way
        os.kill(child.pid, signal.SIGINT)
        out, _ = child.communicate(timeout=PATIENCE)
        assert out == "interrupted\n"
        assert child.returncode == 0
    finally:
        child.kill()
        child.wait()
