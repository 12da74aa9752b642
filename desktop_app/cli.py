"""The command line, for support staff and scripts; it shares the core with the window."""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

# Only what every command needs is imported here: `check` must start in a blink, so the
# models, the HTTP client and the keyring are imported by the command that uses them.
from desktop_app.i18n import (
    N_,
    _,
    install,
    language_from_environment,
    ngettext,
    numeral,
    translate_argparse,
)
from desktop_app.models.errors import UserFacingError

if TYPE_CHECKING:
    from desktop_app.connectors.scim import ScimClient
    from desktop_app.connectors.udemy import UdemyInviteClient
    from desktop_app.models.column_mapping import ColumnMapping
    from desktop_app.models.document import UserDocument
    from desktop_app.models.plan_file import Plan, UserRecord
    from desktop_app.models.upload_plan import UploadPlan
    from desktop_app.services.journal import Journal
    from desktop_app.services.sending import Outcome

COMMANDS = {"check", "upload"}

EXIT_VALID, EXIT_PROBLEMS, EXIT_UNREADABLE = 0, 1, 2
MAPPING_HELP = N_(
    "a column mapping (JSON, as View > Columns and Platform saves it, or "
    '{"profile": NAME, "columns": {"Header": "Column"}}) to use instead of recognising one'
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {message}", file=sys.stderr)
        sys.exit(EXIT_UNREADABLE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="user-editor", description=_("Check and fix user downloads."))
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check",
        help=_("List the rows the platform would refuse."),
        description=_(
            "Exit 0 when the file is valid, 1 when it has problems, 2 when it cannot be read."
        ),
    )
    check.add_argument("file", help=_("the downloaded .xlsx or .csv file"))
    check.add_argument("--profile", help=_("the platform profile to use instead of detecting it"))
    check.add_argument("--mapping", metavar="FILE", help=_(MAPPING_HELP))
    check.add_argument("--json", action="store_true", help=_("print the problems as JSON"))
    upload = commands.add_parser(
        "upload",
        help=_("Send the edited users to the platform over SCIM 2.0."),
        description=_(
            "Every value in the file that differs from the server is sent; --dry-run "
            "lists them first, and --save-plan keeps that review in a plan file that --plan "
            "sends later, exactly as reviewed. Exit 0 when every row went through (or, with "
            "--dry-run, when no row has problems), 1 when some failed or have problems, 2 when "
            "nothing could be done. The token comes from the system keyring (saved by the app's "
            "Connect dialog), or from the environment variable named by --token-env."
        ),
        epilog=_(
            "Review, then send what was reviewed:  user-editor upload users.xlsx --server "
            "URL --dry-run --save-plan plan.json;  user-editor upload --plan plan.json --server "
            "URL [users.xlsx]. A user changed on the server after the review is reported as a "
            "conflict and left as it is."
        ),
    )
    upload.add_argument(
        "file",
        nargs="?",
        help=_(
            "the edited .xlsx or .csv file (with --plan: optional, checked to be the file "
            "the plan was made from)"
        ),
    )
    upload.add_argument(
        "--server", required=True, help=_("the SCIM base URL, e.g. https://…/scim/v2")
    )
    upload.add_argument(
        "--token-env",
        metavar="VAR",
        help=_("read the token from this environment variable instead"),
    )
    upload.add_argument("--profile", help=_("the platform profile to use instead of detecting it"))
    upload.add_argument("--mapping", metavar="FILE", help=_(MAPPING_HELP))
    upload.add_argument(
        "--dry-run",
        action="store_true",
        help=_("print what would change and send nothing (with --json: the plan as JSON)"),
    )
    upload.add_argument(
        "--save-plan",
        metavar="PLAN.json",
        help=_(
            "with --dry-run: write the reviewed changes, with each user's version on the "
            "server, to this plan file"
        ),
    )
    upload.add_argument(
        "--plan",
        metavar="PLAN.json",
        help=_(
            "send exactly the changes of a plan saved by --save-plan, each only if the user "
            "is unchanged on the server since the review"
        ),
    )
    upload.add_argument("--json", action="store_true", help=_("print the outcome as JSON"))
    upload.add_argument(
        "--mode",
        choices=("auto", "serial", "parallel", "bulk"),
        default="auto",
        help=_(
            "how to send: /Bulk when the server offers it (auto), or user by "
            "user, one at a time or several at once"
        ),
    )
    upload.add_argument(
        "--udemy-org",
        metavar="UUID",
        help=_(
            "Udemy Business: the organisation id; new rows are invited through Udemy's "
            "user API, never created over SCIM"
        ),
    )
    upload.add_argument(
        "--udemy-token-env",
        metavar="VAR",
        help=_(
            "Udemy Business: read the personal access token from this environment "
            "variable (otherwise from the keyring, as the Connect dialog saved it)"
        ),
    )
    upload.add_argument("--udemy-url", metavar="URL", help=argparse.SUPPRESS)
    return parser


def _mapping(path: str | None) -> ColumnMapping | None:
    """The column mapping saved in ``path`` (JSON), if one was given."""
    if not path:
        return None
    from desktop_app.models.column_mapping import ColumnMapping

    return ColumnMapping.load(Path(path))


# The last document checked, kept: when the command is the whole process, it ends without
# freeing the table cell by cell (a second of a check of 1,048,574 rows).
_checked: list[object] = []


def check(path: str, profile: str | None, as_json: bool, mapping: str | None = None) -> int:
    from desktop_app.models.document import collector_paused, open_document

    # The process ends once the report is written, and nothing it makes holds a cycle:
    # the collector would only walk the whole table again and again as problems are listed.
    with collector_paused(), _made_objects_set_aside():
        try:
            document = open_document(path, profile, mapping=_mapping(mapping))
        except (UserFacingError, KeyError) as error:
            message = error.args[0] if isinstance(error, KeyError) else str(error)
            print(message, file=sys.stderr)
            return EXIT_UNREADABLE
        _checked[:] = [document]
        if as_json:
            lines = _problem_json_lines(document)
            written = _write_check_json_lines(
                document.profile.name, document.row_count, lines, sys.stdout
            )
            return EXIT_PROBLEMS if written else EXIT_VALID
        problems = _problem_lines(document)
        rows = document.validator.rows_with_issues
        users = ngettext("{count} user", "{count} users", document.row_count).format(
            count=numeral(document.row_count)
        )
        print(
            ngettext(
                "{platform}: {users}, {count} row with problems.",
                "{platform}: {users}, {count} rows with problems.",
                rows,
            ).format(platform=_(document.profile.title), users=users, count=numeral(rows))
        )
        sys.stdout.writelines(
            _("Row {row}, {column}: {message}").format(row=row, column=header, message=message)
            + "\n"
            for row, header, _value, message in problems
        )
    return EXIT_PROBLEMS if problems else EXIT_VALID


@contextmanager
def _made_objects_set_aside() -> Iterator[None]:
    """On the way out, move what was made into the collector's oldest generation unwalked.

    Made while the collector was paused, every cell would otherwise sit in its youngest
    generation, and the first collection once it runs again would walk them all (a third
    of a second at 100,000 rows) just before the process ends.
    """
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()


def _problem_lines(document: UserDocument) -> list[tuple[int, str, str, str]]:
    """(Excel row, header, value, message) of each of ``document.problems()``, in its order.

    A file just opened has no refusals from a server, so its problems are the validator's
    issues as they are, in row then column order; they are read straight from it, which
    at a million rows is much quicker than making a Problem of each.
    """
    if document.server_messages:
        return [(p.excel_row, p.header, p.value, p.message) for p in document.problems()]
    headers, columns, excel_row = document.headers, document.columns, document.excel_row
    return [
        (excel_row(row), headers[col], columns[col][row], issue.message)
        for row, col, issue in document.validator.all_issues()
    ]


def _problem_json_lines(document: UserDocument) -> Iterator[str]:
    """Each of ``document.problems()`` as its line of the ``check --json`` report, in order.

    Made straight from the validator's issues in one pass (see ``_problem_lines``), each
    header encoded once: no tuple, Problem or second pass per problem. The lines are made
    as they are written, so a million of them are never held at once.
    """
    text = json.encoder.encode_basestring  # a str as a JSON string, non-ASCII kept as it is
    if document.server_messages:
        yield from (_problem_json(*line) for line in _problem_lines(document))
        return
    problems = document.validator.problems
    # What comes between the row number and the value, for each column.
    between = [f', "column": {text(header)}, "value": ' for header in document.headers]
    columns = document.columns
    first = document.excel_row(0)  # Excel's row numbers follow the table's one to one
    for row in sorted(problems):
        cells = problems[row]
        number = row + first
        for col, issues in sorted(cells.items()) if len(cells) > 1 else cells.items():
            value = text(columns[col][row])
            for issue in issues:
                yield f'{{"row": {number}{between[col]}{value}, "message": {text(issue.message)}}}'


def _problem_json(row: int, header: str, value: str, message: str) -> str:
    text = json.encoder.encode_basestring
    return (
        f'{{"row": {row}, "column": {text(header)}, "value": {text(value)}, '
        f'"message": {text(message)}}}'
    )


def _write_check_json(
    profile: str, rows: int, problems: Sequence[tuple[int, str, str, str]], out: TextIO
) -> None:
    """The report of ``check --json``, one problem to a line.

    ``{"profile": NAME, "rows": N, "problems": [{"row", "column", "value", "message"}]}``:
    the same JSON as one ``json.dump`` of it, laid out so a file of a million problems
    is written in a moment and still read by eye, a line per problem.
    """
    lines = [_problem_json(*problem) for problem in problems]
    _write_check_json_lines(profile, rows, lines, out)


# Lines joined and written at a time: the memory of a few thousand lines is used again
# and again, where one string of them all would be new memory for every line (and as
# wide as its widest character: one 'é' doubles the bytes of every line to encode).
WRITE_LINES = 4096


def _write_check_json_lines(profile: str, rows: int, lines: Iterable[str], out: TextIO) -> int:
    """``_write_check_json`` of the problems' lines (``_problem_json_lines``); how many."""
    text = json.encoder.encode_basestring
    out.write(f'{{\n  "profile": {text(profile)},\n  "rows": {rows},\n  "problems": [')
    between = ",\n    "
    lines = iter(lines)
    written = 0
    while chunk := list(islice(lines, WRITE_LINES)):
        out.write(between if written else "\n    ")
        out.write(between.join(chunk))
        written += len(chunk)
    out.write("\n  ]\n}\n" if written else "]\n}\n")
    return written


def _token(server: str, env: str | None) -> str:
    import os

    from desktop_app.connectors.credentials import load_token

    if env:
        token = os.environ.get(env, "")
        if not token:
            raise UserFacingError(
                _("The environment variable {env} is empty or not set.").format(env=env)
            )
        return token
    saved = load_token(server)
    if not saved:
        raise UserFacingError(
            _(
                "No token is saved for {server}. Connect once from the app, or pass --token-env."
            ).format(server=server)
        )
    return saved


def upload(args: argparse.Namespace) -> int:
    if args.plan:
        return send_plan(args)
    from desktop_app.connectors.scim import ScimClient
    from desktop_app.models import plan_file
    from desktop_app.models.document import open_document
    from desktop_app.services.upload import prepare

    try:
        document = open_document(args.file, args.profile, mapping=_mapping(args.mapping))
        with ScimClient(args.server, _token(args.server, args.token_env)) as client:
            plan = prepare(document, client)
            # From the command line the file itself is the admin's intent: every value
            # that differs from the server is sent (the review lists each first).
            plan.include_external = True
            if args.dry_run:
                reviewed = plan_file.from_upload_plan(
                    plan, document, client.base_url, Path(args.file)
                )
                if args.save_plan:
                    versioned = client.capabilities().etag_supported
                    _save_plan(reviewed, Path(args.save_plan), client.host, versioned)
                return _print_review(plan, reviewed, args)
            return _send_file(plan, client, args, document)
    except (UserFacingError, KeyError) as error:
        print(error.args[0] if isinstance(error, KeyError) else str(error), file=sys.stderr)
        return EXIT_UNREADABLE


def _send_file(
    plan: UploadPlan, client: ScimClient, args: argparse.Namespace, document: UserDocument
) -> int:
    from desktop_app.services.upload import Unattended, save_created_keys, write_results_file
    from desktop_app.services.upload import upload as send

    inviter = _inviter(plan, args)
    try:
        result = send(plan, client, Unattended(), mode=args.mode, inviter=inviter)
    finally:
        if inviter is not None:
            inviter.close()
    results = write_results_file(result)
    try:
        copy = save_created_keys(result, document)
        copy_problem = None
    except (OSError, UserFacingError) as error:  # the upload happened: say so, then why
        copy, copy_problem = (
            None,
            _("The copy with the new users' IDs could not be saved: {error}").format(error=error),
        )
    if args.json:
        report = result.report()
        report["saved_copy"] = str(copy) if copy is not None else None
        _print_json(report)
    else:
        print(result.sentence() + ".")
        for user, message in result.failed:
            print(_("Row {row}: {message}").format(row=user.excel_row, message=message))
        print(_("Results: {results}").format(results=results))
        if copy is not None:
            print(
                _("The new users' IDs are in {copy}: upload that file next time.").format(copy=copy)
            )
    if copy_problem:
        print(copy_problem, file=sys.stderr)
    return EXIT_PROBLEMS if result.failed or result.report()["skipped_invalid"] else EXIT_VALID


def _inviter(plan: UploadPlan, args: argparse.Namespace) -> UdemyInviteClient | None:
    """The invite API's client when the profile adds new users through it and the plan
    has new rows; without an organisation id those rows are reported as not added."""
    import os

    from desktop_app.connectors.credentials import load_invite_token
    from desktop_app.services.upload import invite_client

    profile = plan.source.profile
    if not profile.invite_api or not plan.to_create() or not args.udemy_org:
        return None
    if args.udemy_token_env:
        token = os.environ.get(args.udemy_token_env, "")
        if not token:
            raise UserFacingError(
                _("The environment variable {udemy_token_env} is empty or not set.").format(
                    udemy_token_env=args.udemy_token_env
                )
            )
    else:
        token = load_invite_token(profile.invite_api, args.udemy_org) or ""
        if not token:
            raise UserFacingError(
                _(
                    "No personal access token is saved for the organisation {udemy_org}. "
                    "Connect once from the app, or pass --udemy-token-env."
                ).format(udemy_org=args.udemy_org)
            )
    return invite_client(profile, args.udemy_org, token, args.udemy_url)


def _print_json(report: object) -> None:
    json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


# -- Reviewing: --dry-run, --save-plan ---------------------------------------------------------


def _save_plan(reviewed: Plan, path: Path, host: str, versioned: bool) -> None:
    """Write the plan; refused when the server could not tell a user changed since
    (no ETag support announced, or users without a version)."""
    from desktop_app.models import plan_file

    if not versioned or reviewed.without_versions():
        raise UserFacingError(
            _(
                "The server {host} gives its users no version, so a plan sent later could "
                "overwrite changes made after the review; upload the file directly instead."
            ).format(host=host)
        )
    try:
        plan_file.write(reviewed, path)
    except OSError as error:
        raise UserFacingError(
            _("Could not write the plan to {path}: {value}.").format(
                path=path, value=error.strerror or error
            )
        ) from error


def _print_review(plan: UploadPlan, reviewed: Plan, args: argparse.Namespace) -> int:
    """Print the review (as JSON: the plan itself); 1 when rows have problems."""
    from desktop_app.models import plan_file

    if args.json:
        _print_json(plan_file.to_json(reviewed))
    else:
        print(plan.summary())
        for line in plan.warnings():
            print(f"  ! {line}")
        for user in plan.to_update():
            print(_("Row {row} ({label}):").format(row=user.excel_row, label=user.label))
            for change in user.chosen(plan.include_external):
                print(f"    {change.describe()}")
        for problem in reviewed.problems:
            where = (
                _("Row {row}, {column}").format(row=problem.row, column=problem.column)
                if problem.column
                else _("Row {row}").format(row=problem.row)
            )
            print(_("{where}: {message}").format(where=where, message=problem.message))
        if reviewed.columns_not_uploaded:
            print(
                _("Not uploaded (no SCIM attribute): {items}.").format(
                    items=", ".join(reviewed.columns_not_uploaded)
                )
            )
        if args.save_plan:
            print(
                _(
                    "Plan saved to {save_plan}; send it with: user-editor upload --plan "
                    "{save_plan} --server {server}"
                ).format(save_plan=args.save_plan, server=reviewed.server)
            )
    return EXIT_PROBLEMS if reviewed.problems else EXIT_VALID


# -- Sending a plan: --plan --------------------------------------------------------------------

PLAN_CONFLICT = N_(
    "Someone changed this user on the server after the plan was made; it was not overwritten."
)


class _Quiet:
    """The state of an unattended send: nothing shown, never cancelled; outcomes by row,
    each put in the journal first."""

    def __init__(self, journal: Journal | None) -> None:
        self.journal = journal
        self.outcomes: dict[int, Outcome] = {}

    def progress(self, done: int, total: int) -> None:
        pass

    def cancelled(self) -> bool:
        return False

    def record(self, outcome: Outcome) -> None:
        if self.journal is not None:
            self.journal.record(outcome)
        self.outcomes[outcome.ref] = outcome


def send_plan(args: argparse.Namespace) -> int:
    """Send a saved plan to the server it was made for; refuse it in one sentence if it
    was made for another server, was damaged or edited, or its file changed since."""
    from desktop_app.connectors.scim import ScimClient, scim_base_url
    from desktop_app.models import plan_file

    if args.dry_run or args.save_plan:
        print(
            _("--plan sends a plan already reviewed; leave out --dry-run and --save-plan."),
            file=sys.stderr,
        )
        return EXIT_UNREADABLE
    try:
        reviewed = plan_file.read(Path(args.plan))
        server = scim_base_url(args.server)
        if server != reviewed.server:
            raise UserFacingError(
                _(
                    "The plan {plan} was made for {server}, not {this_server}; make a "
                    "new plan against this server with --dry-run --save-plan."
                ).format(plan=args.plan, server=reviewed.server, this_server=server)
            )
        data_file = Path(args.file) if args.file else Path(reviewed.file_name)
        if args.file:
            _check_unchanged(data_file, reviewed, args.plan)
        with ScimClient(server, _token(server, args.token_env)) as client:
            outcomes = send_reviewed(reviewed, client, data_file, mode=args.mode)
    except UserFacingError as error:
        print(str(error), file=sys.stderr)
        return EXIT_UNREADABLE
    return _print_sent(reviewed, outcomes, args.json)


def _check_unchanged(data_file: Path, reviewed: Plan, plan_name: str) -> None:
    from desktop_app.models import plan_file

    try:
        digest = plan_file.file_sha256(data_file)
    except OSError as error:
        raise UserFacingError(
            _("The file {data_file} cannot be read: {value}.").format(
                data_file=data_file, value=error.strerror or error
            )
        ) from error
    if digest != reviewed.file_sha256:
        raise UserFacingError(
            _(
                "{data_file} has changed since the plan {plan_name} was made; review it again "
                "with --dry-run --save-plan."
            ).format(data_file=data_file, plan_name=plan_name)
        )


def send_reviewed(
    reviewed: Plan, client: ScimClient, data_file: Path, *, mode: str = "auto"
) -> dict[int, Outcome]:
    """Send a plan's writes, journalled, each update with If-Match on its reviewed version;
    then its changes of group membership. Returns the outcome of each row sent."""
    from desktop_app.services.journal import Journal
    from desktop_app.services.sending import Write, send_all

    writes = [
        Write(u.row, u.user_id, u.operations, None, u.version, u.label)
        for u in reviewed.to_update()
        if u.operations
    ]
    writes += [Write(u.row, None, (), u.resource, None, u.label) for u in reviewed.to_create()]
    journal = Journal.start(data_file, client.base_url, writes) if writes else None
    state = _Quiet(journal)
    send_all(client, writes, state, mode=mode)
    _settle_groups(reviewed, client, state.outcomes)
    if journal is not None:
        journal.finish()
    return {
        row: replace(o, message=_(PLAN_CONFLICT)) if o.conflict else o
        for row, o in state.outcomes.items()
    }


def _settle_groups(reviewed: Plan, client: ScimClient, outcomes: dict[int, Outcome]) -> None:
    """Join and leave groups, one PATCH per group, for the users whose own write went through.

    A user whose only change is its groups is read first: when its version is no longer
    the reviewed one, it changed since and is reported as a conflict, left as it is.
    """
    from desktop_app.connectors.scim import ScimError
    from desktop_app.services.sending import Outcome
    from desktop_app.services.upload import change_members

    joins: dict[str, list[str]] = {}
    leaves: dict[str, list[str]] = {}
    rows_in: dict[str, list[int]] = {}
    for user in reviewed.users:
        if not user.join and not user.leave:
            continue
        outcome = outcomes.get(user.row)
        if outcome is not None and not outcome.ok:
            continue
        user_id = user.user_id or (outcome.user_id if outcome else None)
        if user_id is None:
            continue
        if outcome is None:
            try:
                _current, version = client.get_user(user_id)
            except ScimError as error:
                outcomes[user.row] = Outcome(user.row, False, None, None, str(error))
                continue
            if version != user.version:
                outcomes[user.row] = Outcome(
                    user.row, False, None, None, _(PLAN_CONFLICT), conflict=True, user_id=user_id
                )
                continue
            outcome = Outcome(user.row, True, None, version, None, user_id=user_id)
        unknown = sorted(set(user.join + user.leave) - set(reviewed.groups))
        if unknown:
            outcomes[user.row] = Outcome(
                user.row,
                False,
                None,
                None,
                _(
                    "The group '{unknown}' does not exist on the server: create it there, "
                    "or correct the name."
                ).format(unknown=unknown[0]),
            )
            continue
        outcomes[user.row] = outcome
        for name in user.join:
            joins.setdefault(name, []).append(user_id)
        for name in user.leave:
            leaves.setdefault(name, []).append(user_id)
        for name in (*user.join, *user.leave):
            rows_in.setdefault(name, []).append(user.row)
    for name in sorted(rows_in):
        try:
            change_members(
                client, reviewed.groups[name], name, joins.get(name, []), leaves.get(name, [])
            )
        except ScimError as error:
            for row in rows_in[name]:
                outcomes[row] = Outcome(row, False, None, None, str(error))


def _print_sent(reviewed: Plan, outcomes: dict[int, Outcome], as_json: bool) -> int:
    """Say what happened, in the shape of the upload report; 1 when anything was left out."""

    def done(users: list[UserRecord]) -> int:
        return sum(1 for u in users if u.row in outcomes and outcomes[u.row].ok)

    failed = [
        {"row": row, "message": o.message or _("The server refused this user.")}
        for row, o in sorted(outcomes.items())
        if not o.ok
    ]
    failed += [{"row": p.row, "message": p.message} for p in reviewed.problems if p.column is None]
    failed.sort(key=lambda f: int(str(f["row"])))
    invalid = len({p.row for p in reviewed.problems if p.column is not None})
    updated, added = done(reviewed.to_update()), done(reviewed.to_create())
    if as_json:
        _print_json(
            {
                "updated": updated,
                "added": added,
                "failed": failed,
                "skipped_invalid": invalid,
                "unchanged": reviewed.unchanged,
            }
        )
    else:
        text = ngettext(
            "{count} user was successfully edited",
            "{count} users were successfully edited",
            updated,
        ).format(count=numeral(updated))
        if added:
            text += ". " + ngettext(
                "{count} user was added", "{count} users were added", added
            ).format(count=numeral(added))
        print(text + ".")
        for failure in failed:
            print(_("Row {row}: {message}").format(row=failure["row"], message=failure["message"]))
    return EXIT_PROBLEMS if failed or invalid else EXIT_VALID


def run(argv: list[str]) -> int:
    install(language_from_environment())  # LANGUAGE, LC_ALL, LC_MESSAGES, LANG
    translate_argparse()
    args = build_parser().parse_args(argv)
    if args.command == "check":
        return check(args.file, args.profile, args.json, args.mapping)
    if not args.file and not args.plan:
        print(_("Name the file to upload, or a plan with --plan."), file=sys.stderr)
        return EXIT_UNREADABLE
    if args.save_plan and not args.dry_run:
        print(_("--save-plan keeps a review: add --dry-run."), file=sys.stderr)
        return EXIT_UNREADABLE
    return upload(args)
