"""After close codes 4001 (taken over) and 1008 (policy: a message flood) the client
does not reconnect, even with reconnect on (spec 9.7, 12): checked against a live
lhttpd by its own count of connections, long after the first reconnect would have
gone out."""
import json
import time
import urllib.request

import pytest

import lhttp

# Several reconnect steps (max_backoff 0.5 s): a client that was going to come back has.
PAST_BACKOFF = 2.0


def client_count(server):
    request = urllib.request.Request(server.http + "/api/client_count", data=b"{}", method="POST")
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.load(answer)["result"]


def closed_code(client):
    """Reads until the connection ends; the close code it ended with."""
    with pytest.raises(lhttp.ClosedError) as ended:
        while True:
            client.recv(timeout=10)
    return ended.value.close_code


def test_taken_over_with_4001_is_not_reconnected(start_server):
    server = start_server("--takeover-key", "device")
    old = lhttp.connect(server.url + "?device=phone", timeout=5, reconnect=True, max_backoff=0.5)
    new = lhttp.connect(server.url + "?device=phone", timeout=5)
    try:
        assert closed_code(old) == 4001
        time.sleep(PAST_BACKOFF)
        assert client_count(server) == 1
        # Had the old client come back, it would have taken the key again and closed this one.
        assert new.publish("room", "still here") == 0
    finally:
        new.close()
        old.close()


def test_closed_with_1008_for_a_flood_is_not_reconnected(start_server):
    server = start_server("--message-rate", "1", "--message-burst", "2")
    flooder = lhttp.connect(server.url, timeout=5, reconnect=True, max_backoff=0.5)
    try:
        for _ in range(20):
            try:
                flooder.send_raw(b"LHTTP/1.0 chat\r\n\r\nflood")
            except lhttp.Error:
                break
        assert closed_code(flooder) == 1008
        time.sleep(PAST_BACKOFF)
        assert client_count(server) == 0, "a client closed for its flood came back"
    finally:
        flooder.close()
