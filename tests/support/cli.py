"""Run the `edge` entry point in this process, as a user would from a shell."""

from __future__ import annotations

import pytest

from edge.cli.main import main


def run_edge(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`edge ARGS...`: its exit code, standard output and standard error."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
