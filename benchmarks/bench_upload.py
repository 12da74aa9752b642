"""Upload benchmark: how fast send_all patches many users on a real SCIM server, per mode.

Run from the repository root with the project's virtual environment:

    .venv/bin/python benchmarks/bench_upload.py                 # 10,000 users (~5 minutes)
    .venv/bin/python benchmarks/bench_upload.py --users 2000    # a smoke run
    .venv/bin/python benchmarks/bench_upload.py --serial-subset 200

scim2-server runs in this process on loopback (the tests' helper), seeded with the
users; a fault injector adds a fixed latency to every request. For each latency (0 and
50 ms) and each mode (serial, parallel, bulk) every user is patched once (title and
department, conditional on its ETag), the server's copy is checked, and the wall time,
the requests sent and users/second are reported. Serial at 50 ms would take about ten
minutes, so it is measured on a subset and extrapolated, and labelled so. See
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from machine import machine  # benchmarks/machine.py, beside this script

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from desktop_app.connectors.scim import (  # noqa: E402
    ENTERPRISE_USER_SCHEMA,
    USER_SCHEMA,
    ScimClient,
    create_operation,
)
from desktop_app.services.sending import Outcome, Write, send_all  # noqa: E402
from tests.helpers.faults import Faults  # noqa: E402
from tests.helpers.scim_server import running_scim_server  # noqa: E402

DEFAULT_USERS = 10_000
DEFAULT_SERIAL_SUBSET = 500
LATENCIES_MS = (0, 50)
MODES = ("serial", "parallel", "bulk")
WORKERS = 8
# The target: with 50 ms latency per request, 10,000 users in under 20 s (best mode).
TARGET_LATENCY_MS = 50
TARGET_USERS = 10_000
TARGET_SECONDS = 20.0


def say(text: str) -> None:
    """Progress goes to stderr; stdout gets only the results."""
    print(text, file=sys.stderr, flush=True)


@dataclass
class Measurement:
    """One mode at one latency."""

    mode: str
    latency_ms: int
    users: int  # users patched in this measurement
    seconds: float
    requests: int  # client.request_count: every HTTP attempt, retries included
    failed: int
    subset: bool  # measured on fewer users than the run's total
    projected_seconds: float | None = None  # extrapolated to all users, when subset

    @property
    def users_per_second(self) -> float:
        return self.users / self.seconds if self.seconds else 0.0


class Tally:
    """A SendState keeping each user's new ETag, with a progress line every few seconds."""

    def __init__(self, label: str, etags: dict[str, str | None], ids: list[str]) -> None:
        self.label = label
        self.etags = etags
        self.ids = ids
        self.failed: list[Outcome] = []
        self._last = time.monotonic()

    def progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last >= 5 or done == total:
            self._last = now
            say(f"  {self.label}: {done:,}/{total:,}")

    def cancelled(self) -> bool:
        return False

    def record(self, outcome: Outcome) -> None:
        if outcome.ok:
            self.etags[self.ids[outcome.ref]] = outcome.etag
        else:
            self.failed.append(outcome)


def seed(client: ScimClient, count: int) -> list[str]:
    """Create ``count`` users with /Bulk; return their ids in order."""
    operations = [
        create_operation(
            {
                "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
                "userName": f"bench{i:06d}",
                "name": {"givenName": f"Given{i}", "familyName": "Bench"},
                "emails": [{"value": f"bench{i:06d}@example.org", "type": "work", "primary": True}],
                "active": True,
                ENTERPRISE_USER_SCHEMA: {"employeeNumber": f"E{i:06d}", "department": "Start"},
            },
            f"b{i}",
        )
        for i in range(count)
    ]
    results = client.bulk_all(operations)
    bad = [r for r in results if r["status"] != 201]
    if bad or len(results) != count:
        raise SystemExit(f"seeding failed: {len(bad)} of {count} users not created")
    return [str(r["location"]).rsplit("/", 1)[-1] for r in results]


def check_server(client: ScimClient, ids: list[str], title: str) -> int:
    """Read every user back (no latency) and count those whose title is not ``title``."""
    wanted = set(ids)
    wrong = 0
    for resource, _ in client.iter_users(page_size=1000):
        if resource["id"] in wanted and resource.get("title") != title:
            wrong += 1
    return wrong


def measure(
    client: ScimClient,
    faults: Faults,
    mode: str,
    latency_ms: int,
    ids: list[str],
    etags: dict[str, str | None],
    total_users: int,
    run: int,
) -> Measurement:
    """Patch every user of ``ids`` once with send_all in ``mode`` at ``latency_ms``."""
    title = f"Title of run {run}"
    writes = [
        Write(
            ref=i,
            user_id=user_id,
            etag=etags[user_id],
            resource=None,
            label="",
            operations=(
                {"op": "replace", "path": "title", "value": title},
                {
                    "op": "replace",
                    "path": f"{ENTERPRISE_USER_SCHEMA}:department",
                    "value": f"Department {run}",
                },
            ),
        )
        for i, user_id in enumerate(ids)
    ]
    label = f"{mode} at {latency_ms} ms, {len(ids):,} users"
    say(f"{label} ...")
    tally = Tally(label, etags, ids)
    faults.delay_ms = latency_ms
    requests_before = client.request_count
    started = time.perf_counter()
    outcomes = send_all(client, writes, tally, mode=mode, workers=WORKERS)
    seconds = time.perf_counter() - started
    requests = client.request_count - requests_before
    faults.delay_ms = 0
    failed = len(tally.failed) + (len(writes) - len(outcomes))
    for outcome in tally.failed[:3]:
        say(f"  failed: {outcome.message}")
    wrong = check_server(client, ids, title)
    if wrong:
        say(f"  {wrong:,} users do not have the new title on the server")
    subset = len(ids) < total_users
    say(f"  {seconds:.2f} s, {requests:,} requests")
    return Measurement(
        mode,
        latency_ms,
        len(ids),
        seconds,
        requests,
        max(failed, wrong),
        subset,
        seconds * total_users / len(ids) if subset else None,
    )


def seconds_text(seconds: float) -> str:
    return f"{seconds:,.1f} s" if seconds >= 10 else f"{seconds:.2f} s"


def markdown(results: list[Measurement], total_users: int, info: dict[str, Any]) -> str:
    """The results table, the target verdict and the machine, as Markdown."""
    lines = [
        f"Upload benchmark: {total_users:,} users, scim2-server {info['scim2-server']} "
        f"in-process on loopback, {WORKERS} workers for parallel, {info['started']}",
        "",
        "| Latency | Mode | Users patched | Wall time | Requests | Users/s | Note |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    for m in results:
        note = ""
        if m.subset and m.projected_seconds is not None:
            note = (
                f"measured on a subset of {m.users:,}; extrapolated to {total_users:,}: "
                f"~{seconds_text(m.projected_seconds)}"
            )
        if m.failed:
            note = (note + "; " if note else "") + f"{m.failed:,} FAILED"
        lines.append(
            f"| {m.latency_ms} ms | {m.mode} | {m.users:,} | {seconds_text(m.seconds)} | "
            f"{m.requests:,} | {m.users_per_second:,.0f} | {note} |"
        )
    lines.append("")
    lines.append(target_line(results, total_users))
    lines.append("")
    lines.append(
        f"Machine: {info['platform']}, {info['cpu']}, {info['cpu_count']} CPUs; "
        f"Python {info['python']}, scim2-server {info['scim2-server']}, "
        f"scim2-models {info['scim2-models']}, requests {info['requests']}."
    )
    return "\n".join(lines)


def target_line(results: list[Measurement], total_users: int) -> str:
    """PASS/FAIL: at 50 ms, 10,000 users in under 20 s by the best fully measured mode."""
    full = [
        m for m in results if m.latency_ms == TARGET_LATENCY_MS and not m.subset and not m.failed
    ]
    if not full:
        return (
            f"Target (10,000 users at {TARGET_LATENCY_MS} ms in < {TARGET_SECONDS:g} s): "
            "FAIL, no mode completed without failures."
        )
    best = min(full, key=lambda m: m.seconds)
    scaled = best.seconds * TARGET_USERS / total_users
    how = (
        f"{seconds_text(best.seconds)}"
        if total_users == TARGET_USERS
        else f"{seconds_text(best.seconds)} for {total_users:,} users, ~{seconds_text(scaled)} "
        f"scaled to {TARGET_USERS:,}"
    )
    verdict = "PASS" if scaled < TARGET_SECONDS else "FAIL"
    return (
        f"Target: {TARGET_USERS:,} users at {TARGET_LATENCY_MS} ms latency in under "
        f"{TARGET_SECONDS:g} s, best mode: **{verdict}** ({best.mode}: {how})."
    )


def machine_info() -> dict[str, Any]:
    return {
        **machine("scim2-server", "scim2-models", "requests"),
        "started": dt.datetime.now().isoformat(timespec="seconds"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--users",
        type=int,
        default=DEFAULT_USERS,
        help=f"users to seed and patch (default {DEFAULT_USERS:,})",
    )
    parser.add_argument(
        "--serial-subset",
        type=int,
        default=DEFAULT_SERIAL_SUBSET,
        help="users serial mode patches when latency > 0, extrapolated to all "
        f"(default {DEFAULT_SERIAL_SUBSET})",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    info = machine_info()
    results: list[Measurement] = []
    with running_scim_server(middleware=Faults) as server:
        assert isinstance(server.app, Faults)
        faults = server.app
        with ScimClient(server.base_url, server.token, timeout=120, pool_size=WORKERS) as client:
            say(f"seeding {args.users:,} users ...")
            started = time.perf_counter()
            ids = seed(client, args.users)
            say(f"  seeded in {time.perf_counter() - started:.1f} s")
            etags: dict[str, str | None] = {}
            for resource, etag in client.iter_users(page_size=1000):
                etags[resource["id"]] = etag
            run = 0
            for latency in LATENCIES_MS:
                for mode in MODES:
                    run += 1
                    subset = mode == "serial" and latency > 0 and args.serial_subset < args.users
                    chosen = ids[: args.serial_subset] if subset else ids
                    results.append(
                        measure(client, faults, mode, latency, chosen, etags, args.users, run)
                    )
    table = markdown(results, args.users, info)
    print(table)
    OUT.mkdir(exist_ok=True)
    (OUT / "upload.json").write_text(
        json.dumps(
            {
                "machine": info,
                "users": args.users,
                "results": [{**asdict(m), "users_per_second": m.users_per_second} for m in results],
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return 0 if "**PASS**" in target_line(results, args.users) else 1


if __name__ == "__main__":
    raise SystemExit(main())
