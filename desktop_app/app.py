"""Entry point: the command line when given a sub-command, the window otherwise."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, NoReturn

from desktop_app import __version__
from desktop_app.i18n import _, install, language_from_environment, translate_argparse

if TYPE_CHECKING:
    import argparse

COMMANDS = {"check", "upload"}  # as desktop_app.cli.COMMANDS, without importing it
# What the window's own options end at: these print and exit before Qt is loaded.
_PRINT_AND_EXIT = {"-h", "--help", "--version"}


def gui_parser() -> argparse.ArgumentParser:
    """The window's options: a file to open, a profile, the demo (argparse is imported
    only when there are options to read)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="user-editor",
        description=_("Open a user download and fix it."),
        epilog=_(
            "From a terminal, without the window: user-editor check FILE [--json] lists "
            "the rows the platform would refuse; user-editor upload FILE --server URL sends the "
            "edited users. See user-editor check --help and user-editor upload --help."
        ),
    )
    parser.add_argument("--version", action="version", version=f"User Editor {__version__}")
    parser.add_argument("file", nargs="?", help=_("the downloaded .xlsx or .csv file to open"))
    parser.add_argument("--profile", help=_("the platform profile to use instead of detecting it"))
    parser.add_argument(
        "--demo",
        action="store_true",
        help=_(
            "start a SCIM server on this computer with a sample organisation, "
            "and open a sample download to fix and upload"
        ),
    )
    return parser


def _end_process(code: int) -> NoReturn:
    """Exit once the command's output is out, without freeing its cells one by one.

    The system takes a process's memory back at once; freeing a million rows' strings
    first took a sixth of a whole `check` of 1,048,574 rows.
    """
    if "logging" in sys.modules:  # its handlers flushed; not imported just to be shut down
        sys.modules["logging"].shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in COMMANDS:
        from desktop_app import cli

        code = cli.run(args)
        if argv is None:  # the whole process was this command
            _end_process(code)
        return code
    if _PRINT_AND_EXIT.intersection(args):
        install(language_from_environment())  # no Qt yet: the terminal's language
        translate_argparse()
        gui_parser().parse_known_args(args)  # prints the help or the version and exits
    from desktop_app.views.application import run_gui

    return run_gui(args)
