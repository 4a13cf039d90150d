"""Every Python block of python/README.md, saved as a file in a fresh folder and run against
a real lhttpd, so that an example that drifts from the package fails CI; and mypy --strict
over them, the package and examples/python, as a user's type checker would see them.

The blocks come from scripts/snippets.py (the one way every test gets README text, and the
record scripts/test checks for blocks no test ran); the only change to a block is the demo
address 127.0.0.1:8081 replaced by the test server's.
"""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = "python/README.md"
PATIENCE = 30.0
# A `print(...)` line whose comment states what it prints (the README says so).
PRINT = re.compile(r"^\s*print\(.*\)\s*#\s*(.*?)\s*$")


def load_snippets() -> ModuleType:
    spec = importlib.util.spec_from_file_location("snippets", ROOT / "scripts" / "snippets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SNIPPETS = load_snippets()
PROGRAMS = [name for name, _, _, _ in SNIPPETS.blocks(README) if name and name.endswith(".py")]
# The blocks that read channel history run against a server that keeps it (spec 13).
HISTORY_PROGRAMS = {"history.py"}
HISTORY_FLAGS = ("--history-size", "100", "--history-ttl", "300")
# The blocks that read presence run against a server that keeps it (spec 15).
PRESENCE_PROGRAMS = {"presence.py"}
PRESENCE_FLAGS = ("--presence", "--join-leave", "--client-identity")


def flags_of(name):
    """The lhttpd flags the block `name` needs."""
    if name in HISTORY_PROGRAMS:
        return HISTORY_FLAGS
    if name in PRESENCE_PROGRAMS:
        return PRESENCE_FLAGS
    return ()


def expected_output(code):
    """The lines the block's print comments promise, in order."""
    return [m.group(1) for m in map(PRINT.match, code.splitlines()) if m]


def test_readme_has_the_examples():
    assert set(PROGRAMS) >= {"codec.py", "client.py", "client_async.py", "http_publish.py", *HISTORY_PROGRAMS, *PRESENCE_PROGRAMS}
    assert "asyncio.run(main())" in SNIPPETS.get(README, "client_async.py")


def test_print_comments_are_read():
    # The convention the output check relies on, so that a reworded comment cannot
    # silently turn the check into comparing nothing.
    assert expected_output(SNIPPETS.get(README, "client.py")) == ["1", "chat hello", "again"]
    assert expected_output(SNIPPETS.get(README, "client_async.py")) == ["1", "chat hello"]
    assert expected_output(SNIPPETS.get(README, "history.py")) == [
        "['one', 'two', 'three']",
        "['three', 'two']",
        "True",
        "True",
    ]
    assert expected_output(SNIPPETS.get(README, "presence.py")) == [
        "['', 'ann']",
        "[{'name': 'Ann'}]",
        "2 1 False",
        "[('join', 'ann', ''), ('join', '', ''), ('leave', '', 'unsubscribe')]",
    ]


@pytest.mark.parametrize("name", PROGRAMS)
def test_readme_example_runs_as_a_file(start_server, tmp_path, name):
    server = start_server(*flags_of(name))
    code = SNIPPETS.get(README, name, f"127.0.0.1:{server.port}")
    (tmp_path / name).write_text(code, encoding="utf-8")
    # In its own folder, outside the checkout, so `import lhttp` is the installed package.
    out = subprocess.run(
        [sys.executable, name], cwd=tmp_path, capture_output=True, text=True, timeout=PATIENCE
    )
    assert out.returncode == 0, f"{code}\n---\n{out.stderr}"
    assert out.stdout.splitlines() == expected_output(code), out.stdout


def mypy(folder, *paths):
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(folder / ".mypy_cache"), *map(str, paths)],
        cwd=folder,
        capture_output=True,
        text=True,
    )


def test_mypy_strict_is_clean_on_the_examples_and_the_package(tmp_path):
    files = []
    for name in PROGRAMS:
        path = tmp_path / "readme" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(SNIPPETS.get(README, name), encoding="utf-8")
        files.append(path)
    out = mypy(tmp_path, *files, *sorted((ROOT / "examples" / "python").glob("*.py")), ROOT / "python" / "lhttp")
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_sees_the_installed_stubs(tmp_path):
    # Outside the checkout mypy finds only the installed package: a wrong type must be an
    # error, which it would not be if the wheel lost py.typed or the stubs (lhttp as Any).
    (tmp_path / "wrong.py").write_text('import lhttp\n\nn: int = lhttp.parse(b"").command\n')
    out = mypy(tmp_path, tmp_path / "wrong.py")
    assert out.returncode == 1, out.stdout + out.stderr
    assert 'Incompatible types in assignment (expression has type "str", variable has type "int")' in out.stdout
