"""The report for support: what it holds, and that nothing private gets through."""

from __future__ import annotations

from email.message import Message
from pathlib import Path

import pytest

from desktop_app.services.support_report import (
    CRASH_NAME,
    LOG_NAME,
    ColumnSummary,
    FileSummary,
    Library,
    build_report,
    describe_setting,
    licence_of,
    redact,
    report_name,
    runtime_libraries,
    tail_lines,
    write_report,
)

HOME = "/home/ann"


def clean(text: str) -> str:
    return redact(text, home=HOME, user="ann")


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("Opened the file of ann.de-vries+hr@atlas-demo.co.uk today", "ann.de-vries+hr@atlas-demo"),
        ("User M.Jong@Example.ORG refused", "M.Jong@Example.ORG"),
        ("Authorization: Bearer 9f8e7d6c5b4a.token-value", "9f8e7d6c5b4a"),
        ("headers={'Authorization': 'Bearer abcDEF123'}", "abcDEF123"),
        ('"authorization": "Basic dXNlcjpwYXNz"', "dXNlcjpwYXNz"),
        ("sent Bearer s3cr3t-t0ken to the server", "s3cr3t-t0ken"),
        ("url?access_token=qwerty12&x=1", "qwerty12"),
        ("api_key: 'hunter22'", "hunter22"),
        ("password=correcthorse", "correcthorse"),
        ("client_secret=zzz999", "zzz999"),
        ("key sk_live_4eC39HqLyjWDarjtT1zdp7dc used", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        ("GET /Users/2819c223-7f76-453a-919d-413861904646", "2819c223-7f76-453a-919d"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "eyJzdWIiOiIxIn0"),
        ("blob QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk= end", "QUJDREVGR0hJSktMTU5P"),
    ],
)
def test_secrets_and_addresses_are_replaced(line: str, secret: str) -> None:
    assert secret not in clean(line)


def test_user_names_in_paths_are_replaced() -> None:
    text = clean(
        "Opening /home/ann/Downloads/users.xlsx; also /home/bob/x.csv, /Users/carol/y.csv, "
        r"C:\Users\Dave\Desktop\z.csv, c:/users/erin/w.xlsx, 'C:\\Users\\Finn\\v.csv', "
        "and /mnt/share/ann/u.csv"
    )
    for name in ("ann", "bob", "carol", "Dave", "erin", "Finn"):
        assert f"/{name}/" not in text and f"\\{name}\\" not in text, name
    assert "~/Downloads/users.xlsx" in text
    assert "/Users/<user>/y.csv" in text
    assert r"C:\Users\<user>\Desktop\z.csv" in text
    assert "/mnt/share/<user>/u.csv" in text


def test_a_home_elsewhere_becomes_a_tilde() -> None:
    assert redact("saved /srv/people/ann/x.xlsx", home="/srv/people/ann", user="ann") == (
        "saved ~/x.xlsx"
    )


def test_what_support_needs_is_kept() -> None:
    line = (
        "2026-05-09 14:05:01,123 ERROR desktop_app.views.main_window: Unexpected KeyError at\n"
        '  File "/opt/app/desktop_app/views/main_window.py", line 412, in save_as\n'
        "HTTP 503 from https://atlas.example.com/scim/v2/Bulk after 3 tries (Retry-After 20)"
    )
    assert clean(line) == line


def test_tail_reads_the_last_lines_of_a_large_log(tmp_path: Path) -> None:
    log = tmp_path / LOG_NAME
    log.write_text("".join(f"line {n} " + "x" * 200 + "\n" for n in range(20_000)), "utf-8")
    lines = tail_lines(log, 5)
    assert [line.split()[1] for line in lines] == [str(n) for n in range(19_995, 20_000)]


def folder_with_logs(tmp_path: Path) -> Path:
    (tmp_path / LOG_NAME).write_text(
        "2026-05-09 INFO old line that is cut\n"
        "2026-05-09 INFO Opening /home/zoe-ward/Downloads/atlas-users.xlsx\n"
        "2026-05-09 INFO Connected with Authorization: Bearer abcdef123456\n"
        "2026-05-09 WARNING server refused jan.devries@atlas-demo.com\n",
        "utf-8",
    )
    (tmp_path / CRASH_NAME).write_text(
        'Fatal Python error: Segmentation fault\n  File "/home/zoe-ward/app/x.py", line 3 in run\n',
        "utf-8",
    )
    return tmp_path


SETTINGS = {
    "lastFolder": "/home/zoe-ward/Downloads",
    "serverUrl": "https://atlas.example.com/scim/v2",
    "geometry": b"\x01\xd9\xd0\xcb" * 20,
    "recentFiles": ["/home/zoe-ward/Downloads/a.xlsx", "/home/zoe-ward/Downloads/b.csv"],
    "columnWidths/atlas": '{"Department": 120}',
    "apiToken": "should-never-be-here-but-is-hidden",
}
SUMMARY = FileSummary(
    platform="Atlas user data download",
    rows=40,
    columns=(
        ColumnSummary("User ID", 0),
        ColumnSummary("Email", 1),
        ColumnSummary("Department", 3),
    ),
)


def make(tmp_path: Path, summary: FileSummary | None) -> str:
    return build_report(
        versions={"Qt": "6.11.3", "PySide6": "6.11.3"},
        settings=SETTINGS,
        log_folder=folder_with_logs(tmp_path),
        libraries=[Library("openpyxl", "3.1.5", "MIT")],
        file_summary=summary,
        log_lines=3,
    )


def test_report_holds_versions_settings_log_and_crash(tmp_path: Path) -> None:
    text = make(tmp_path, None)
    for expected in (
        "User Editor: 0.1.0",
        "Qt: 6.11.3",
        "Operating system:",
        "openpyxl 3.1.5 (MIT)",
        "lastFolder: /home/<user>/Downloads",
        "serverUrl: https://atlas.example.com/scim/v2",
        "geometry: (window layout, 80 bytes)",
        "recentFiles: (2 entries)",
        "apiToken: <hidden>",
        "Opening /home/<user>/Downloads/atlas-users.xlsx",
        "Authorization: <hidden>",
        "server refused <email>",
        "Segmentation fault",
    ):
        assert expected in text, expected
    assert "old line that is cut" not in text  # only the last lines
    for private in ("abcdef123456", "jan.devries", "a.xlsx", "should-never", "zoe-ward"):
        assert private not in text, private


def test_without_the_box_the_open_file_is_not_described(tmp_path: Path) -> None:
    text = make(tmp_path, None)
    assert "Department" not in text and "User ID" not in text and "Atlas user data" not in text


def test_with_the_box_only_column_names_and_counts(tmp_path: Path) -> None:
    text = make(tmp_path, SUMMARY)
    assert "Platform: Atlas user data download" in text
    assert "Rows: 40; problems: 4" in text
    assert "  Email: 1 problem\n" in text
    assert "  Department: 3 problems" in text
    assert "  User ID: 0 problems" in text


def test_settings_are_described_without_their_values() -> None:
    assert describe_setting("columnWidths/atlas", '{"Department": 120}') == "(set)"
    assert describe_setting("serverToken", "x") == "<hidden>"
    assert describe_setting("lastFolder", r"C:\Users\Ann\Docs") == r"C:\Users\<user>\Docs"


def test_a_report_without_logs_says_so(tmp_path: Path) -> None:
    text = build_report(versions={}, settings={}, log_folder=tmp_path)
    assert "(no log file)" in text and "Crash report" not in text and "(none)" in text


def test_report_is_written_whole(tmp_path: Path) -> None:
    target = tmp_path / report_name()
    write_report(target, "hello\n")
    assert target.read_text("utf-8") == "hello\n"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
    assert target.name.startswith("user-editor-report-") and target.suffix == ".txt"


def meta(**fields: str | list[str]) -> Message:
    message = Message()
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            message[name.replace("_", "-")] = one
    return message


def test_licence_names_come_from_the_metadata() -> None:
    def licence(message: Message) -> str:
        # A Message is what importlib.metadata's PackageMetadata is built on.
        return licence_of(message)  # type: ignore[arg-type]

    assert licence(meta(License_Expression="MIT", License="ignored")) == "MIT"
    assert licence(meta(License="BSD-3-Clause")) == "BSD-3-Clause"
    long_text = "Apache License\n  Version 2.0, January 2004\n..."
    assert (
        licence(
            meta(
                License=long_text, Classifier=["License :: OSI Approved :: Apache Software License"]
            )
        )
        == "Apache Software License"
    )
    assert licence(meta(License=long_text)) == "Apache License"
    assert licence(meta()) == "Not stated"


def test_the_runtime_libraries_are_the_installed_dependencies() -> None:
    libraries = {library.name.lower().replace("_", "-"): library for library in runtime_libraries()}
    # Direct dependencies from pyproject.toml, and what they need in turn.
    for name in ("openpyxl", "requests", "keyring", "pyside6-essentials", "et-xmlfile", "certifi"):
        assert name in libraries, name
        assert libraries[name].version and libraries[name].licence != "Not stated", name
    # Test tools (an extra) are not part of the app.
    assert "pytest" not in libraries and "hypothesis" not in libraries
    assert libraries["certifi"].licence == "MPL-2.0"
