"""Run a program on a pseudo-terminal and answer its prompts (npm only prompts on a TTY).

    code, output = run_in_pty(argv, env, cwd, [("Username:", "alice"), ("Password:", secret)])

Each answer is typed once its prompt (a string, or a compiled regex) has appeared in the output after
the previous prompt. An answer may be a function of the output so far, for codes that depend on what
was shown (an OTP computed from the secret printed during 2FA enrolment), or for a side effect such
as completing a web login in the "browser" (the text it returns is then typed too).
"""

from __future__ import annotations

import codecs
import os
import re
import select
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

Answer = str | Callable[[str], str]
Prompt = str | re.Pattern[str]


def run_in_pty(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    answers: Sequence[tuple[Prompt, Answer]],
    *,
    timeout: float = 60,
) -> tuple[int, str]:
    """Run `argv` on a pseudo-terminal (stdin, stdout and stderr), typing the answers."""
    import pty  # POSIX only, like npm's prompts

    master, slave = pty.openpty()
    process = subprocess.Popen(
        list(argv), stdin=slave, stdout=slave, stderr=slave, env=dict(env), cwd=cwd, start_new_session=True
    )
    os.close(slave)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = ""
    seen = 0
    pending = list(answers)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                raise AssertionError(f"{argv} timed out; output so far:\n{text}")
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    chunk = b""
                if not chunk:
                    break
                text += decoder.decode(chunk)
                while pending:
                    prompt, answer = pending[0]
                    if isinstance(prompt, str):
                        at = text.find(prompt, seen)
                        if at < 0:
                            break
                        seen = at + len(prompt)
                    else:
                        found = prompt.search(text, seen)
                        if found is None:
                            break
                        seen = found.end()
                    pending.pop(0)
                    typed = answer(text) if callable(answer) else answer
                    os.write(master, typed.encode() + b"\r")
            elif process.poll() is not None:
                break
        process.wait(timeout=30)
    finally:
        os.close(master)
    text += decoder.decode(b"", final=True)
    assert not pending, f"never asked {pending[0][0]!r}:\n{text}"
    return process.returncode, text
