#!/usr/bin/env python3
"""A small lhttp chat bot: joins a channel and answers chat commands.

    python examples/python/chat_bot.py ws://127.0.0.1:8081/ --channel chatroom

Anyone on the channel (the browser chat, `lhttp pub`, another program) can write
``!ping``, ``!echo <text>``, ``!time`` or ``!help``; the bot answers on the same channel
with a ``chat`` message carrying ``from:<bot name>``. It ignores its own messages,
reconnects and re-joins when the server restarts, and stops on Ctrl-C.
"""

import argparse
import datetime
import sys
from typing import List, Optional

import lhttp

HELP = "commands: !ping, !echo <text>, !time, !help"


def answer(text: str) -> Optional[str]:
    """The bot's reply to one chat line, or None when the line is not a command."""
    word, _, rest = text.strip().partition(" ")
    if word == "!ping":
        return "pong"
    if word == "!echo":
        return rest.strip() or "(nothing to echo)"
    if word == "!time":
        return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    if word == "!help":
        return HELP
    return None


def serve(client: lhttp.Client, channel: str, name: str) -> None:
    """Answers every command on `channel` until the connection closes."""
    for msg in client:
        if msg.command == "error":
            print(f"{name}: server error {msg.header('code')}: {msg.header('detail')}", file=sys.stderr)
            continue
        if msg.header("from") == name:
            continue  # our own reply, delivered back to us
        try:
            text = msg.text
        except UnicodeDecodeError:
            continue  # not a chat line
        reply = answer(text)
        if reply is not None:
            # The command is chat unless named, as in every lhttp SDK.
            client.publish(channel, reply, headers=[("from", name)])


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("url", nargs="?", default="ws://127.0.0.1:8081/", help="the server's WebSocket URL")
    parser.add_argument("--channel", default="chatroom", help="the channel to join")
    parser.add_argument("--name", default="bot", help="the bot's name (its `from` header)")
    args = parser.parse_args(argv)
    try:
        with lhttp.connect(args.url, reconnect=True) as client:
            client.subscribe(args.channel)
            print(f"{args.name}: joined {args.channel} on {args.url}", flush=True)
            serve(client, args.channel, args.name)
    except KeyboardInterrupt:
        pass
    except lhttp.Error as e:
        print(f"{args.name}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
