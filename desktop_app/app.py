"""Entry point: the command line when given a sub-command, the window otherwise."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    from desktop_app import cli

    if args and args[0] in cli.COMMANDS:
        return cli.run(args)
    from desktop_app.views.application import run_gui

    return run_gui(args)
