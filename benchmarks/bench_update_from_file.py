"""Update from another file on 100,000 users, matched on employee number.

Run from the repository root with the project's virtual environment:

    .venv/bin/python benchmarks/bench_update_from_file.py               # 100,000 rows
    .venv/bin/python benchmarks/bench_update_from_file.py --rows 10000  # a quick run

It writes (in benchmarks/out/, ignored by git) a 100,000-user download and an HR export
of the same people in another order: 1% of its rows are people the download does not
have, and 10% of the values in each of three columns (Department, Job title, Location)
differ. Then it measures, each as the median of several runs:

- reading the HR export with the app's reader;
- working out the plan: copying the columns it needs (the GUI thread's share) and
  matching and comparing (the background's share);
- applying every change through the document in one ``apply`` (the validator re-checks
  each cell), and one undo of all of them, checking that the undo restores every cell;
- beside it, in the same run, plain pandas doing the matching alone: a ``merge`` of the
  two frames on the employee number and a comparison of the three columns.

It prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Remembered column mappings are read from the data folder: use a fresh one.
os.environ.setdefault("USER_EDITOR_DATA", tempfile.mkdtemp(prefix="bench-update-"))

from machine import machine  # noqa: E402  (beside this script)

from desktop_app.models.document import UserDocument, invert, open_document  # noqa: E402
from desktop_app.models.update_from_file import (  # noqa: E402
    ColumnPair,
    KeyPair,
    MatchKind,
    TableColumns,
    UpdateChoice,
    plan_update,
    read_other_file,
)

OUT = Path(__file__).resolve().parent / "out"
TABLE_HEADERS = [
    "User ID", "Username", "First name", "Last name", "Email", "Department", "Job title",
    "Status", "Employee number", "Location", "Cost center", "Phone",
]  # fmt: skip
HR_HEADERS = ["Personnel number", "Surname", "Dept", "Job title", "Location", "Start date"]
TAKEN = (("Dept", "Department"), ("Job title", "Job title"), ("Location", "Location"))
DEPARTMENTS = ["Sales", "Marketing", "Finance", "IT", "HR", "Support", "Legal", "Operations"]
TITLES = ["Engineer", "Analyst", "Manager", "Consultant", "Specialist", "Director", "Assistant"]
CITIES = ["Amsterdam", "Utrecht", "Rotterdam", "Berlin", "Paris", "London", "Madrid", "Brussels"]
FIRST = ["Ann", "Bob", "Chloe", "Daan", "Eva", "Femke", "Gert", "Hana", "Ivo", "Joke"]
LAST = ["Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos"]


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def write_files(rows: int, seed: int = 20261203) -> tuple[Path, Path]:
    """The download and the HR export (written once per size, then reused)."""
    OUT.mkdir(exist_ok=True)
    table_path = OUT / f"update-users-{rows}.csv"
    hr_path = OUT / f"update-hr-{rows}.csv"
    if table_path.exists() and hr_path.exists():
        return table_path, hr_path
    rnd = random.Random(seed)
    numbers = rnd.sample(range(1, 10 * rows), rows)
    table = []
    for n, number in enumerate(numbers):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        table.append(
            [
                f"{n + 1:07d}",
                f"user{n}",
                first,
                last,
                f"user{n}@example.com",
                rnd.choice(DEPARTMENTS),
                rnd.choice(TITLES),
                "Active",
                f"{number:08d}",  # leading zeros: text
                rnd.choice(CITIES),
                f"CC{rnd.randrange(100):03d}",
                f"+31 6 {rnd.randrange(10**8):08d}",
            ]
        )
    dept, title, city, number_col = (TABLE_HEADERS.index(h) for h in (
        "Department", "Job title", "Location", "Employee number"))  # fmt: skip
    people = rnd.sample(table, rows - rows // 100)  # another order; 1% of the rows missing
    taken = set(map(id, people))
    unknown = [f"{number:08d}" for number in rnd.sample(range(10 * rows, 11 * rows), rows // 100)]
    hr = []
    for row in people:
        values = []
        for col, pool in ((dept, DEPARTMENTS), (title, TITLES), (city, CITIES)):
            value = row[col]
            if rnd.random() < 0.10:
                value = rnd.choice([v for v in pool if v != value])
            values.append(value)
        hr.append([row[number_col], row[3], *values, "2020-01-06"])
    hr += [[number, "Nieuw", "Sales", "Engineer", "Amsterdam", "2026-12-01"] for number in unknown]
    rnd.shuffle(hr)
    assert len(taken) == len(people)
    for path, headers, body in ((table_path, TABLE_HEADERS, table), (hr_path, HR_HEADERS, hr)):
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(headers)
            writer.writerows(body)
    return table_path, hr_path


def timed(runs: int, work: Callable[[], Any], before: Callable[[], Any] | None = None) -> float:
    """The median wall time of ``runs`` runs of ``work`` (``before`` runs untimed first)."""
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pandas_baseline(
    table: UserDocument, hr_columns: list[list[str]], runs: int
) -> tuple[float, float]:
    """Plain pandas: merge the two frames on the employee number and compare three columns.

    Returns that time, and the time to build the two frames from the same columns (what
    the app would add to use pandas, besides reading the differing cells back out).
    """
    import pandas as pd

    number = TABLE_HEADERS.index("Employee number")

    def frames() -> tuple[Any, Any]:
        left = pd.DataFrame(
            {
                "number": table.columns[number],
                **{target: table.columns[TABLE_HEADERS.index(target)] for _s, target in TAKEN},
            }
        )
        right = pd.DataFrame(
            {
                "number": hr_columns[0],
                **{
                    f"{target} new": hr_columns[HR_HEADERS.index(source)]
                    for source, target in TAKEN
                },
            }
        )
        return left, right

    build = timed(runs, frames)
    left, right = frames()

    def merge_and_compare() -> int:
        merged = left.merge(right, on="number", how="inner")
        return int(sum((merged[target] != merged[f"{target} new"]).sum() for _s, target in TAKEN))

    differing = merge_and_compare()
    log(f"  pandas finds {differing:,} differing cells")
    return timed(runs, merge_and_compare), build


def pandas_import(runs: int) -> float:
    """Importing pandas in a fresh Python: what its first use in a session would add."""
    code = "import time; s = time.perf_counter(); import pandas; print(time.perf_counter() - s)"
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout)
        for _ in range(runs)
    ]  # fmt: skip
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="runs of each quick step")
    parser.add_argument("--slow-runs", type=int, default=3, help="runs of apply and undo")
    args = parser.parse_args()

    log(f"Writing or reusing {args.rows:,}-row files in {OUT}…")
    table_path, hr_path = write_files(args.rows)
    log("Opening the download…")
    doc = open_document(table_path)
    log(f"  {doc.row_count:,} users, platform {doc.profile.name}")

    log("Reading the HR export…")
    read_time = timed(args.runs, lambda: read_other_file(hr_path))
    other = read_other_file(hr_path)

    choice = UpdateChoice(
        KeyPair(TABLE_HEADERS.index("Employee number"), HR_HEADERS.index("Personnel number")),
        tuple(
            ColumnPair(HR_HEADERS.index(source), TABLE_HEADERS.index(target))
            for source, target in TAKEN
        ),
        MatchKind.TEXT,
    )
    log("Working out the plan…")
    copy_time = timed(args.runs, lambda: TableColumns.copy_from(doc, choice))
    table = TableColumns.copy_from(doc, choice)
    plan_time = timed(args.runs, lambda: plan_update(other, table, choice))
    plan = plan_update(other, table, choice)
    log(
        f"  {plan.cells_changing:,} cells in {plan.rows_changing:,} users; "
        f"{len(plan.unmatched_in_other):,} HR rows matched no user; "
        f"{plan.unmatched_in_table:,} users not in the export; {len(plan.ambiguous)} repeated"
    )

    log("Plain pandas: merge and compare…")
    baseline, frames = pandas_baseline(doc, other.columns, args.runs)
    imported = pandas_import(3)

    before = [list(column) for column in doc.columns]
    edits = doc.edits_for(plan.changes)
    assert len(edits) == plan.cells_changing

    def undo() -> None:
        doc.apply(invert(edits))

    log("Applying every change in one step, and undoing it…")
    apply_times, undo_times = [], []
    restored = True
    for _ in range(args.slow_runs):
        start = time.perf_counter()
        step = doc.edits_for(plan.changes)
        doc.apply(step)
        apply_times.append(time.perf_counter() - start)
        assert doc.changed_rows == plan.rows_changing
        start = time.perf_counter()
        doc.apply(invert(step))
        undo_times.append(time.perf_counter() - start)
        restored = restored and doc.columns == before and not doc.originals
    apply_time, undo_time = statistics.median(apply_times), statistics.median(undo_times)
    assert restored, "one undo did not restore every cell"

    ours = copy_time + plan_time
    info = machine("pandas")
    rows = [
        (f"Read the HR export ({args.rows:,} rows, CSV)", f"{read_time:.2f} s", "", ""),
        (
            f"Work out the plan: {plan.cells_changing:,} cells in {plan.rows_changing:,} users, "
            f"{len(plan.unmatched_in_other):,} HR rows unmatched",
            f"{ours:.2f} s ({copy_time * 1000:.0f} ms copying on the GUI thread)",
            f"{baseline:.2f} s (merge + compare)",
            f"{ours / baseline:.2f}×",
        ),
        (
            "Building the two pandas frames from the same columns (not in the baseline)",
            "",
            f"{frames:.2f} s",
            "",
        ),
        ("Importing pandas in a fresh Python (not in the baseline)", "", f"{imported:.2f} s", ""),
        (
            "Apply them as one step through the document (every cell re-checked)",
            f"{apply_time:.2f} s",
            "",
            "",
        ),
        ("One undo of the whole step", f"{undo_time:.2f} s", "", ""),
        ("One undo restores every cell", "yes" if restored else "NO", "", ""),
    ]
    print(
        f"\nUpdate from another file, {args.rows:,} users matched on employee number "
        f"({info['cpu_count']} × {info['cpu']}, Python {info['python']}, "
        f"pandas {info['pandas']}); each figure the median of "
        f"{args.runs} runs ({args.slow_runs} for apply and undo):\n"
    )
    print("| What | Ours | Plain pandas | Ratio |")
    print("|---|---:|---:|---:|")
    for what, mine, theirs, ratio in rows:
        print(f"| {what} | {mine} | {theirs} | {ratio} |")


if __name__ == "__main__":
    main()
