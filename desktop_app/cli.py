"""The command line, for support staff and scripts; it shares the core with the window."""

from __future__ import annotations

import argparse
import json
import sys

from desktop_app.models.document import open_document
from desktop_app.models.errors import UserFacingError

COMMANDS = {"check", "upload"}

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
    upload = commands.add_parser(
        "upload",
        help="Send the edited users to the platform over SCIM 2.0.",
        description="Every value in the file that differs from the server is sent; --dry-run "
        "lists them first. Exit 0 when every row went through, 1 when some failed, "
        "2 when nothing could be done. The token comes from the system keyring (saved by "
        "the app's Connect dialog), or from the environment variable named by --token-env.",
    )
    upload.add_argument("file", help="the edited .xlsx or .csv file")
    upload.add_argument("--server", required=True, help="the SCIM base URL, e.g. https://…/scim/v2")
    upload.add_argument(
        "--token-env", metavar="VAR", help="read the token from this environment variable instead"
    )
    upload.add_argument("--profile", help="the platform profile to use instead of detecting it")
    upload.add_argument(
        "--dry-run", action="store_true", help="print what would change and send nothing"
    )
    upload.add_argument("--json", action="store_true", help="print the outcome as JSON")
    upload.add_argument(
        "--mode",
        choices=("auto", "serial", "parallel", "bulk"),
        default="auto",
        help="how to send: /Bulk when the server offers it (auto), or user by "
        "user, one at a time or several at once",
    )
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


def _token(server: str, env: str | None) -> str:
    import os

    from desktop_app.connectors.credentials import load_token

    if env:
        token = os.environ.get(env, "")
        if not token:
            raise UserFacingError(f"The environment variable {env} is empty or not set.")
        return token
    saved = load_token(server)
    if not saved:
        raise UserFacingError(
            f"No token is saved for {server}. Connect once from the app, or pass --token-env."
        )
    return saved


def upload(args: argparse.Namespace) -> int:
    from desktop_app.connectors.scim import ScimClient
    from desktop_app.services.upload import Unattended, prepare, write_results_file
    from desktop_app.services.upload import upload as send

    try:
        document = open_document(args.file, args.profile)
        with ScimClient(args.server, _token(args.server, args.token_env)) as client:
            plan = prepare(document, client)
            # From the command line the file itself is the admin's intent: every value
            # that differs from the server is sent (the review lists each first).
            plan.include_external = True
            if args.dry_run:
                print(plan.summary())
                for line in plan.warnings():
                    print(f"  ! {line}")
                for user in plan.to_update():
                    print(f"Row {user.excel_row} ({user.label}):")
                    for change in user.chosen(plan.include_external):
                        print(f"    {change.describe()}")
                return EXIT_VALID
            result = send(plan, client, Unattended(), mode=args.mode)
            results = write_results_file(result)
    except (UserFacingError, KeyError) as error:
        print(error.args[0] if isinstance(error, KeyError) else str(error), file=sys.stderr)
        return EXIT_UNREADABLE
    if args.json:
        json.dump(result.report(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(result.sentence() + ".")
        for user, message in result.failed:
            print(f"Row {user.excel_row}: {message}")
        print(f"Results: {results}")
    return EXIT_PROBLEMS if result.failed or result.report()["skipped_invalid"] else EXIT_VALID


def run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "check":
        return check(args.file, args.profile, args.json)
    return upload(args)
