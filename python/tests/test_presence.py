"""Presence (spec section 15) through the sync and asyncio clients, against a real lhttpd
started with presence, join/leave events, no grace and self-declared identities
(`?uid=..&info=..` on the upgrade URL): a subscriber's join, then a publication, then the
leave, in that order and read with Message.presence_event(); the members with their uid and
info; the counts of two connections of one uid; a capped list; a namespace without presence
refused with NoPresence; a reconnect within the grace that neither leaves nor joins; and
events read from messages made by hand, offline."""

import asyncio
import json
import time
import urllib.parse
import urllib.request

import pytest

import lhttp
import lhttp.aio

#: Only a bound for waits that normally end at once; never a performance threshold.
PATIENCE = 30.0
ROOM = "room"
#: Presence and join/leave for the default namespace; a closed connection leaves at once;
#: a connection without a token may say who it is. `quiet:` is a namespace without presence.
PRESENCE = ("--presence", "--join-leave", "--presence-grace", "0", "--client-identity")
ANN = {"name": "Ann"}


@pytest.fixture
def presence_server(start_server, tmp_path):
    config = tmp_path / "namespaces.toml"
    config.write_text("[namespaces.quiet]\npresence = false\njoin_leave = false\n", encoding="utf-8")
    return start_server(*PRESENCE, "--config", str(config))


def as_user(server, uid, info=None):
    """The server's URL for a connection that names its own uid (and info)."""
    query = {"uid": uid}
    if info is not None:
        query["info"] = json.dumps(info)
    return f"{server.url}?{urllib.parse.urlencode(query)}"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, PATIENCE * 2))


# ---- events read from messages, offline ----


def test_join_and_leave_messages_read_as_events():
    join = lhttp.parse(b'LHTTP/1.0 join\r\nchannel:room\r\nclient:n-1\r\nuid:ann\r\n\r\n{"name":"Ann"}')
    event = join.presence_event()
    assert isinstance(event, lhttp.PresenceEvent)
    assert (event.kind, event.channel, event.client, event.uid, event.info, event.reason) == (
        "join",
        "room",
        "n-1",
        "ann",
        {"name": "Ann"},
        "",
    )
    assert isinstance(event.member, lhttp.Member)
    assert (event.member.client, event.member.uid, event.member.info) == ("n-1", "ann", {"name": "Ann"})
    assert event == join.presence_event() and event != None  # noqa: E711
    assert repr(event) == (
        "PresenceEvent(kind='join', channel='room', client='n-1', uid='ann', info={'name': 'Ann'}, reason='')"
    )
    event.info["name"] = "changed"  # a new dict each time
    assert event.info == {"name": "Ann"}

    leave = lhttp.parse(b"LHTTP/1.0 leave\r\nchannel:room\r\nclient:n-2\r\nreason:node-lost\r\n\r\n")
    event = leave.presence_event()
    assert event is not None
    assert (event.kind, event.client, event.uid, event.info, event.reason) == ("leave", "n-2", "", {}, "node-lost")

    # Anything else is no event; a join without its client is the server's fault.
    assert lhttp.parse(b"LHTTP/1.0 chat\r\npublish:room\r\n\r\nhi").presence_event() is None
    assert lhttp.parse(b"LHTTP/1.0 ack\r\nid:1\r\n\r\n").presence_event() is None
    with pytest.raises(lhttp.ServerError) as err:
        lhttp.parse(b"LHTTP/1.0 join\r\nchannel:room\r\n\r\n").presence_event()
    assert err.value.code == "Internal"
    with pytest.raises(lhttp.ServerError) as err:
        lhttp.parse(b"LHTTP/1.0 leave\r\nchannel:room\r\nclient:n-1\r\n\r\n[1]").presence_event()
    assert err.value.code == "Internal"


def test_no_presence_is_a_server_error_name():
    assert "NoPresence" in lhttp.SERVER_ERROR_NAMES


# ---- the synchronous client ----


def test_join_then_message_then_leave_in_order(presence_server):
    with lhttp.connect(as_user(presence_server, "ann", ANN), timeout=5) as ann:
        ann.subscribe(ROOM)
        # Every subscriber gets the joins, its own included.
        own = ann.recv(timeout=PATIENCE).presence_event()
        assert own is not None
        assert (own.kind, own.channel, own.client, own.uid, own.info) == ("join", ROOM, ann.client_id, "ann", ANN)

        with lhttp.connect(as_user(presence_server, "bob"), timeout=5) as bob:
            bob.subscribe(ROOM)
            bob_id = bob.client_id
            assert bob.publish(ROOM, "hi") == 2
            bob.unsubscribe(ROOM)
            got = [ann.recv(timeout=PATIENCE) for _ in range(3)]
            events = [m.presence_event() for m in got]
            joined, said, left = events
            assert joined is not None and (joined.kind, joined.client, joined.uid, joined.info) == (
                "join",
                bob_id,
                "bob",
                {},
            )
            assert said is None and (got[1].command, got[1].text) == ("chat", "hi")
            assert left is not None and (left.kind, left.client, left.uid, left.reason) == (
                "leave",
                bob_id,
                "bob",
                "unsubscribe",
            )
            assert left.member == joined.member

            # Subscribed again, then gone: with no grace, it leaves at once.
            bob.subscribe(ROOM)
            again = ann.recv(timeout=PATIENCE).presence_event()
            assert again is not None and (again.kind, again.client) == ("join", bob_id)
        gone = ann.recv(timeout=PATIENCE).presence_event()
        assert gone is not None and (gone.kind, gone.client, gone.reason) == ("leave", bob_id, "disconnect")


def test_presence_lists_members_with_uid_and_info(presence_server):
    ann_url = as_user(presence_server, "ann", ANN)
    with lhttp.connect(ann_url, timeout=5) as ann, lhttp.connect(presence_server.url, timeout=5) as anon:
        ann.subscribe(ROOM)
        anon.subscribe(ROOM)
        here = anon.presence(ROOM)
        assert isinstance(here, lhttp.Presence)
        members = {m.client: m for m in here.members}
        assert set(members) == {ann.client_id, anon.client_id}
        assert all(isinstance(m, lhttp.Member) for m in here.members)
        assert (members[ann.client_id].uid, members[ann.client_id].info) == ("ann", ANN)
        assert (members[anon.client_id].uid, members[anon.client_id].info) == ("", {})
        assert isinstance(here.stats, lhttp.PresenceStats)
        assert (here.stats.connections, here.stats.users, here.capped) == (2, 1, False)
        # The member a query lists is the one its join told.
        own = ann.recv(timeout=PATIENCE).presence_event()
        assert own is not None and own.member == members[ann.client_id]

        anon.unsubscribe(ROOM)
        after = ann.presence(ROOM)
        assert [(m.client, m.uid) for m in after.members] == [(ann.client_id, "ann")]
        assert (after.stats.connections, after.stats.users) == (1, 1)
        # A channel nobody is in has no members.
        empty = ann.presence("nobody-here")
        assert (empty.members, empty.stats.connections, empty.stats.users, empty.capped) == ([], 0, 0, False)


def test_presence_stats_count_two_connections_of_one_user(presence_server):
    first_url, second_url = as_user(presence_server, "ann", ANN), as_user(presence_server, "ann")
    with lhttp.connect(first_url, timeout=5) as first, lhttp.connect(second_url, timeout=5) as second:
        first.subscribe(ROOM)
        second.subscribe(ROOM)
        stats = first.presence_stats(ROOM)
        assert isinstance(stats, lhttp.PresenceStats)
        assert (stats.connections, stats.users) == (2, 1)
        assert stats == second.presence_stats(ROOM)
        assert repr(stats) == "PresenceStats(connections=2, users=1)"
        second.unsubscribe(ROOM)
        stats = first.presence_stats(ROOM)
        assert (stats.connections, stats.users) == (1, 1)


def test_a_capped_list_keeps_complete_counts(start_server):
    server = start_server("--presence", "--presence-max-members", "1", "--client-identity")
    ann_url, bob_url = as_user(server, "ann"), as_user(server, "bob")
    with lhttp.connect(ann_url, timeout=5) as ann, lhttp.connect(bob_url, timeout=5) as bob:
        ann.subscribe(ROOM)
        bob.subscribe(ROOM)
        here = ann.presence(ROOM)
        assert len(here.members) == 1 and here.members[0].client in {ann.client_id, bob.client_id}
        assert (here.capped, here.stats.connections, here.stats.users) == (True, 2, 2)


def test_presence_without_join_leave_sends_no_events(start_server):
    server = start_server("--presence")
    with lhttp.connect(server.url, timeout=5) as client:
        client.subscribe(ROOM)
        client.publish(ROOM, "first")
        # No join came before the publication.
        msg = client.recv(timeout=PATIENCE)
        assert (msg.command, msg.text, msg.presence_event()) == ("chat", "first", None)
        assert client.presence_stats(ROOM).connections == 1


def test_a_namespace_without_presence_is_refused(presence_server, start_server):
    with lhttp.connect(presence_server.url, timeout=5) as client:
        for ask in (client.presence, client.presence_stats):
            with pytest.raises(lhttp.ServerError) as err:
                ask("quiet:room")
            assert err.value.code == "NoPresence", err.value
        # The connection goes on, and other namespaces answer.
        assert client.presence_stats(ROOM).connections == 0
        with pytest.raises(lhttp.ParseError) as bad:
            client.presence("two words")
        assert bad.value.code == "Channel"
    plain = start_server()
    with lhttp.connect(plain.url, timeout=5) as client:
        with pytest.raises(lhttp.ServerError) as err:
            client.presence(ROOM)
        assert err.value.code == "NoPresence"


def api(server, call, **args):
    """Calls lhttpd's HTTP API (spec/HTTP-API.md); gives the result."""
    request = urllib.request.Request(f"{server.http}/api/{call}", data=json.dumps(args).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=PATIENCE) as answer:
        return json.load(answer)["result"]


def test_a_reconnect_within_the_grace_neither_leaves_nor_joins(start_server):
    # A grace far longer than any reconnect here takes.
    server = start_server("--presence", "--join-leave", "--presence-grace", "60", "--client-identity")
    with lhttp.connect(server.url, timeout=5) as watcher:
        watcher.subscribe(ROOM)
        own = watcher.recv(timeout=PATIENCE).presence_event()
        assert own is not None and own.client == watcher.client_id
        away = {"reconnect": True, "initial_backoff": 0.05, "max_backoff": 0.2}
        with lhttp.connect(as_user(server, "ann", ANN), timeout=5, **away) as ann:
            ann.subscribe(ROOM)
            first = ann.client_id
            joined = watcher.recv(timeout=PATIENCE).presence_event()
            assert joined is not None and (joined.kind, joined.client) == ("join", first)

            # The server drops the connection; the session reconnects and subscribes again.
            assert api(server, "close_client", client=first) is True
            deadline = time.monotonic() + PATIENCE
            while time.monotonic() < deadline:
                members = {m.client: m.uid for m in watcher.presence(ROOM).members}
                if ann.client_id not in (None, first) and ann.client_id in members:
                    break
                time.sleep(0.02)
            else:
                raise AssertionError("ann did not come back")
            # The new connection replaced the old one, and nobody was told it left or joined:
            # the next message is one published after the restore.
            assert members == {watcher.client_id: "", ann.client_id: "ann"}
            stats = watcher.presence_stats(ROOM)
            assert (stats.connections, stats.users) == (2, 1)
            watcher.publish(ROOM, "marker")
            msg = watcher.recv(timeout=PATIENCE)
            assert (msg.command, msg.text, msg.presence_event()) == ("chat", "marker", None)


# ---- the asyncio client ----


def test_async_presence_and_events(presence_server):
    async def main():
        ann_url, again_url = as_user(presence_server, "ann", ANN), as_user(presence_server, "ann")
        async with lhttp.aio.connect(ann_url, timeout=5) as ann, lhttp.aio.connect(again_url, timeout=5) as again:
            await ann.subscribe(ROOM)
            own = (await ann.recv(timeout=PATIENCE)).presence_event()
            assert own is not None and (own.kind, own.client, own.info) == ("join", ann.client_id, ANN)

            await again.subscribe(ROOM)
            again_id = again.client_id
            await again.publish(ROOM, "hi")
            here = await ann.presence(ROOM)
            assert isinstance(here, lhttp.Presence)
            assert {m.client: (m.uid, m.info) for m in here.members} == {
                ann.client_id: ("ann", ANN),
                again_id: ("ann", {}),
            }
            stats = await ann.presence_stats(ROOM)
            assert (stats.connections, stats.users) == (2, 1)
            await again.close()

            got = [await ann.recv(timeout=PATIENCE) for _ in range(3)]
            joined, said, left = (m.presence_event() for m in got)
            assert joined is not None and (joined.kind, joined.client, joined.uid) == ("join", again_id, "ann")
            assert said is None and got[1].text == "hi"
            assert left is not None and (left.kind, left.client, left.reason) == ("leave", again_id, "disconnect")
            stats = await ann.presence_stats(ROOM)
            assert (stats.connections, stats.users) == (1, 1)

            with pytest.raises(lhttp.ServerError) as err:
                await ann.presence("quiet:room")
            assert err.value.code == "NoPresence"
            with pytest.raises(lhttp.ServerError) as err:
                await ann.presence_stats("quiet:room")
            assert err.value.code == "NoPresence"

    run(main())
