"""examples/python/chat_bot.py: its answers, and the bot itself on a real lhttpd."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import lhttp

BOT = Path(__file__).resolve().parents[2] / "examples" / "python" / "chat_bot.py"
PATIENCE = 30.0


def load_bot():
    spec = importlib.util.spec_from_file_location("chat_bot", BOT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_answers():
    bot = load_bot()
    assert bot.answer("!ping") == "pong"
    assert bot.answer("  !echo hello there ") == "hello there"
    assert bot.answer("!echo") == "(nothing to echo)"
    assert bot.answer("!help") == bot.HELP
    assert "T" in bot.answer("!time")
    assert bot.answer("hello everyone") is None


def test_bot_answers_on_its_channel(server):
    proc = subprocess.Popen(
        [sys.executable, str(BOT), server.url, "--channel", "lobby", "--name", "robo"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().startswith("robo: joined lobby")
        with lhttp.connect(server.url) as user:
            user.subscribe("lobby")
            user.publish("lobby", "!echo hi bot")
            # Our own line comes back first, then the bot's answer.
            assert user.recv(timeout=PATIENCE).text == "!echo hi bot"
            reply = user.recv(timeout=PATIENCE)
            assert (reply.command, reply.header("from"), reply.text) == ("chat", "robo", "hi bot")
            user.publish("lobby", "just chatting")
            user.publish("lobby", "!ping")
            assert user.recv(timeout=PATIENCE).text == "just chatting"
            assert user.recv(timeout=PATIENCE).text == "!ping"
            assert user.recv(timeout=PATIENCE).text == "pong"
    finally:
        proc.terminate()
        proc.wait(PATIENCE)
