"""The command line, for support staff and scripts; it shares the core with the window."""

from __future__ import annotations

import argparse
import json
import sys

from desktop_app.models.document import open_document
from desktop_app.models.errors import UserFacingError

COMMANDS = {"check"}

EXIT_VALID, EXIT_PROBLEMS, EXIT_UNREADABLE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {message}", file=sys.stderr)
        sys.exit(EXIT_UNREADABLE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="user-editor", description="Check and fix user downloads.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check",
        help="List the rows the platform would refuse.",
        description="Exit 0 when the file is valid, 1 when it has problems, 2 when it "
        "cannot be read.",
    )
    check.add_argument("file", help="the downloaded .xlsx or .csv file")
    check.add_argument("--profile", help="the platform profile to use instead of detecting it")
    check.add_argument("--json", action="store_true", help="print the problems as JSON")
    return parser


def check(path: str, profile: str | None, as_json: bool) -> int:
    try:
        document = open_document(path, profile)
    except (UserFacingError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) else str(error)
        print(message, file=sys.stderr)
        return EXIT_UNREADABLE
    problems = document.problems()
    if as_json:
        report = {
            "profile": document.profile.name,
            "rows": document.row_count,
            "problems": [
                {"row": p.excel_row, "column": p.header, "value": p.value, "message": p.message}
                for p in problems
            ],
        }
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        rows = document.validator.rows_with_issues
        print(
            f"{document.profile.title}: {document.row_count:,} users, "
            f"{rows:,} {'row' if rows == 1 else 'rows'} with problems."
        )
        for p in problems:
            print(f"Row {p.excel_row}, {p.header}: {p.message}")
    return EXIT_PROBLEMS if problems else EXIT_VALID


def run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "check":
        return check(args.file, args.profile, args.json)
    return EXIT_UNREADABLE
