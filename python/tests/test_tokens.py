"""Tokens (spec 14) against a real lhttpd with an HMAC secret: ``token=``, ``token_callback=``
(on connect, on reconnect, before expiry) and ``subscription_token_callback=`` for a namespace
whose subscribe rule is ``token``; sync and asyncio. Test tokens are HS256, signed here with
hmac/hashlib as an application's backend would."""

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
from typing import Optional

import pytest

import lhttp
import lhttp.aio

SECRET = "python-test-secret"
PATIENCE = 30.0


def _part(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def hs256(claims: dict) -> str:
    signed = f"{_part({'alg': 'HS256', 'typ': 'JWT'})}.{_part(claims)}"
    sig = hmac.new(SECRET.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"


def exp(seconds: int) -> int:
    return int(time.time()) + seconds


@pytest.fixture
def auth_server(start_server, tmp_path):
    config = tmp_path / "lhttpd.toml"
    config.write_text('[namespaces.priv]\nsubscribe = "token"\n')
    return start_server("--token-hmac-secret", SECRET, "--token-grace", "0", "--config", str(config))


def wait_for(predicate, what):
    deadline = time.monotonic() + PATIENCE
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_token_option_authenticates_and_a_refused_one_is_unauthorized(start_server):
    server = start_server("--token-hmac-secret", SECRET, "--require-token")
    with lhttp.connect(server.url, token=hs256({"sub": "ann", "exp": exp(600)})) as client:
        client.subscribe("room")
        assert client.publish("room", "hi") == 1
    bad = hs256({"sub": "eve"}).rsplit(".", 1)[0] + ".bm90LXRoZS1zaWduYXR1cmU"
    with pytest.raises(lhttp.Error) as raised:
        lhttp.connect(server.url, token=bad)
    assert raised.value.code == "Unauthorized"
    assert bad not in str(raised.value) and bad not in repr(raised.value)


def test_token_callback_refreshes_before_expiry(auth_server):
    """A fixed token of the same short lifetime is closed with 4004 (the control); the
    callback's connection is refreshed and outlives it without reconnecting."""
    calls = []

    def get_token() -> str:
        calls.append(threading.current_thread().name)
        return hs256({"sub": "ann", "exp": exp(3)})

    fixed = lhttp.connect(auth_server.url, token=hs256({"sub": "ann", "exp": exp(3)}))
    with lhttp.connect(auth_server.url, token_callback=get_token) as client:
        first_id = client.client_id
        assert len(calls) == 1
        with pytest.raises(lhttp.ClosedError) as closed:
            fixed.recv(timeout=PATIENCE)
        assert closed.value.close_code == 4004
        wait_for(lambda: len(calls) >= 3, "two refreshes")
        assert client.client_id == first_id, "no reconnect"
        client.subscribe("room")
        assert client.publish("room", "still here") == 1
    fixed.close()


def test_callbacks_on_reconnect_and_subscription_tokens(auth_server):
    tokens = []
    asked = []

    def get_token() -> str:
        tokens.append(1)
        return hs256({"sub": "ann", "exp": exp(600)})

    def get_sub_token(channel: str) -> Optional[str]:
        asked.append(channel)
        if channel.startswith("priv:"):
            return hs256({"sub": "ann", "channel": channel, "exp": exp(600)})
        return None

    with lhttp.connect(
        auth_server.url,
        reconnect=True,
        initial_backoff=0.05,
        max_backoff=0.2,
        token_callback=get_token,
        subscription_token_callback=get_sub_token,
    ) as ann:
        ann.subscribe("priv:x", "room")
        assert sorted(asked) == ["priv:x", "room"]
        assert ann.publish("priv:x", "secret") == 1
        assert ann.recv(timeout=PATIENCE).text == "secret"

        with lhttp.connect(auth_server.url) as anonymous:
            with pytest.raises(lhttp.ServerError) as refused:
                anonymous.subscribe("priv:x")
            assert refused.value.code == "Forbidden"

        auth_server.restart()
        wait_for(lambda: asked.count("priv:x") == 2, "priv:x restored with a new token")
        assert len(tokens) == 1, "a still-good connection token is used again (the session's choice)"
        # The restore is done once the publish goes through (requests wait for it).
        assert ann.publish("priv:x", "again") == 1
        assert ann.recv(timeout=PATIENCE).text == "again"


def test_aio_token_callbacks(auth_server):
    async def main() -> None:
        calls = 0

        async def get_token() -> str:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0)
            if calls == 1:
                raise RuntimeError("backend down")
            return hs256({"sub": "ann", "exp": exp(600)})

        async def get_sub_token(channel: str) -> Optional[str]:
            return hs256({"sub": "ann", "channel": channel}) if channel.startswith("priv:") else None

        # connect raises the first attempt's failure at once: the callback's, as Io.
        with pytest.raises(lhttp.Error) as raised:
            await lhttp.aio.connect(auth_server.url, token_callback=get_token)
        assert raised.value.code == "Io" and "backend down" in str(raised.value)
        async with lhttp.aio.connect(
            auth_server.url,
            token_callback=get_token,
            subscription_token_callback=get_sub_token,
        ) as client:
            assert calls == 2
            await client.subscribe("priv:y")
            assert await client.publish("priv:y", "aio") == 1
            assert (await client.recv(PATIENCE)).text == "aio"

    asyncio.run(asyncio.wait_for(main(), PATIENCE * 2))
