"""The console entry points end the process without the interpreter's teardown: the exit code, the
buffered output and every exit handler must survive that, in a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _python(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, check=False
    )


def test_exit_code_output_and_later_exit_handlers_survive(tmp_path: Path) -> None:
    done = _python(
        "import atexit, sys\n"
        "from snpm.cli.main import _exit_without_teardown\n"
        "def command():\n"
        "    atexit.register(lambda: print('handler ran', flush=False))\n"
        "    sys.stdout.write('x' * 100000)\n"
        "    sys.stderr.write('to stderr')\n"
        "    return 3\n"
        "_exit_without_teardown(command)\n",
        tmp_path,
    )
    assert done.returncode == 3
    assert done.stdout == "x" * 100000 + "handler ran\n"
    assert done.stderr == "to stderr"


def test_an_escaping_exception_keeps_the_normal_exit(tmp_path: Path) -> None:
    done = _python(
        "from snpm.cli.main import _exit_without_teardown\n"
        "def command():\n"
        "    raise RuntimeError('boom')\n"
        "_exit_without_teardown(command)\n",
        tmp_path,
    )
    assert done.returncode == 1
    assert "RuntimeError: boom" in done.stderr


def test_the_snpm_entry_point_exits_with_the_command_code(tmp_path: Path) -> None:
    prefix = f"import sys; sys.argv = ['snpm', '--userconfig', {str(tmp_path / 'rc')!r}, "
    unknown = _python(prefix + "'no-such-command']\nfrom snpm.cli.main import main; main()", tmp_path)
    assert unknown.returncode == 1
    assert "Unknown command" in unknown.stdout
    version = _python(prefix + "'--version']\nfrom snpm.cli.main import main; main()", tmp_path)
    assert version.returncode == 0
    assert version.stdout.strip()


def test_the_collector_pauses_for_the_imports_and_runs_for_the_command(tmp_path: Path) -> None:
    # a command that reports the collector's state as it runs: `config get` under a stand-in class
    code = (
        "import gc, sys\n"
        f"sys.argv = ['snpm', '--userconfig', {str(tmp_path / 'rc')!r}, 'config', 'get', 'x']\n"
        "from snpm.cli import command_table\n"
        "real = command_table.load_command\n"
        "def load(name):\n"
        "    sys.stderr.write(f'loading enabled={gc.isenabled()}\\n')\n"
        "    cls = real(name)\n"
        "    class Probe(cls):\n"
        "        async def run(self, args):\n"
        "            sys.stderr.write(f'running enabled={gc.isenabled()} {gc.get_threshold()[0]}\\n')\n"
        "            await super().run(args)\n"
        "    return Probe\n"
        "import snpm.cli.main as m\n"
        "m.load_command = load\n"
        "m.main()\n"
    )
    done = _python(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == ["loading enabled=False", "running enabled=True 20000"]


def test_local_commands_run_without_an_event_loop(tmp_path: Path) -> None:
    # config, get, set, prefix and root await nothing: asyncio (~half their time) is never imported
    for argv in (["config", "get", "registry"], ["get", "registry"], ["prefix"], ["root"]):
        code = (
            "import sys\n"
            "from snpm.cli.main import run\n"
            f"code = run(['--userconfig', {str(tmp_path / 'rc')!r}, *{argv!r}])\n"
            "sys.stderr.write(f'code={code} asyncio={\"asyncio\" in sys.modules}')\n"
        )
        done = _python(code, tmp_path)
        assert done.stdout.strip() and done.stderr.endswith("code=0 asyncio=False"), (argv, done.stderr)


def test_a_command_without_an_event_loop_may_not_await_one() -> None:
    import asyncio

    import pytest

    from snpm.cli.main import _run_at_once

    async def local() -> None:
        return None

    async def awaits() -> None:
        await asyncio.sleep(0)

    _run_at_once(local())
    with pytest.raises(RuntimeError, match="awaited"):
        _run_at_once(awaits())
