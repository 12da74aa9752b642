"""Upload benchmark: how fast send_all patches many users on a real SCIM server, per mode.

Run from the repository root with the project's virtual environment:

    .venv/bin/python benchmarks/bench_upload.py                 # 10,000 users (~5 minutes)
    .venv/bin/python benchmarks/bench_upload.py --users 2000    # a smoke run
    .venv/bin/python benchmarks/bench_upload.py --serial-subset 200
    .venv/bin/python benchmarks/bench_upload.py --latencies 50 --modes parallel,bulk --runs 3
    .venv/bin/python benchmarks/bench_upload.py --source /tmp/old-tree   # an older desktop_app
    .venv/bin/python benchmarks/bench_upload.py --in-process   # server sharing the client's GIL

scim2-server runs in a child process on loopback (the tests' helper), seeded with the
users; a fault injector adds a fixed latency to every request. For each latency (0 and
50 ms) and each mode (serial, parallel, bulk) every user is patched once (title and
department, conditional on its ETag), the server's copy is checked, and the wall time,
the requests sent and users/second are reported. Serial at 50 ms would take about ten
minutes, so it is measured on a subset and extrapolated, and labelled so. With
``--runs N`` each figure is the median of N runs, taken in turns. The server has its
own process, as a real platform has its own machines: in this process it would take
the interpreter lock from the client being measured for the ~3 ms of CPU each
PATCH costs it (10,000 PATCHes: 31-32 s of the server's CPU, measured 2026-12-03).
``--in-process`` runs it in this process all the same (the figures before 2026-12-03).
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import multiprocessing
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from machine import machine  # benchmarks/machine.py, beside this script

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"


def _source_first() -> str | None:
    """Put ``--source DIR`` first on the path, before desktop_app is imported.

    The checkout comes last, for ``tests.helpers``: a ``desktop_app`` put on
    PYTHONPATH (bench_all's snapshot of a commit) or given as ``--source`` wins.
    """
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--source")
    source = early.parse_known_args()[0].source
    if source:
        sys.path.insert(0, str(Path(source).resolve()))
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))
    return source


SOURCE = _source_first()

from desktop_app.connectors.scim import (  # noqa: E402
    ENTERPRISE_USER_SCHEMA,
    USER_SCHEMA,
    ScimClient,
    create_operation,
)
from desktop_app.services import sending  # noqa: E402
from desktop_app.services.sending import Outcome, Write, send_all  # noqa: E402
from tests.helpers.faults import Faults  # noqa: E402
from tests.helpers.scim_server import running_scim_server  # noqa: E402

DEFAULT_USERS = 10_000
DEFAULT_SERIAL_SUBSET = 500
LATENCIES_MS = (0, 50)
MODES = ("serial", "parallel", "bulk")
# Parallel mode: as many requests at a time as the app sends (8 in a tree older than that).
WORKERS = int(getattr(sending, "PARALLEL_REQUESTS", 8))
# The target: with 50 ms latency per request, 10,000 users in under 20 s (best mode).
TARGET_LATENCY_MS = 50
TARGET_USERS = 10_000
TARGET_SECONDS = 20.0
# And on a server without /Bulk, PATCH only (parallel mode): under 60 s.
NO_BULK_SECONDS = 60.0


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
    samples: list[float] | None = None  # every run's seconds, when more than one
    connections: int | None = None  # TCP connections the server accepted meanwhile
    cpu_seconds: float | None = None  # CPU of this process (the server's too, in-process)
    server_cpu_seconds: float | None = None  # CPU of the server's process, when its own

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


class _DelayControl:
    """Lets the benchmark set the fault injector's latency over HTTP (``PUT /__delay/<ms>``),
    and read the connections the server accepted and the CPU its process used
    (``GET /__connections``), for a server running in another process."""

    def __init__(self, app: Faults) -> None:
        self.app = app
        self.running: Any = None  # the RunningServer, once started

    def __call__(self, environ: Any, start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/__delay/"):
            self.app.delay_ms = float(path.rsplit("/", 1)[1])
            start_response("204 No Content", [])
            return []
        if path == "/__connections":
            body = f"{_connections_accepted(self.running)} {time.process_time()}".encode()
            start_response("200 OK", [("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)


def _connections_accepted(running: Any) -> int:
    """Connections the server accepted so far; -1 for a tree whose server does not count."""
    return int(getattr(running, "connections_accepted", -1))


class _RemoteFaults:
    """The fault injector of a server in another process: only its latency is set."""

    def __init__(self, root_url: str) -> None:
        self._root_url = root_url
        self._delay_ms = 0.0
        self._control_requests = 0  # each on a connection of its own, not the client's

    def server_counts(self) -> tuple[int, float | None]:
        """Connections the server accepted, but for those of these control requests, and
        the CPU seconds its process has used."""
        import requests

        self._control_requests += 1
        response = requests.get(f"{self._root_url}/__connections", timeout=10)
        response.raise_for_status()
        accepted, cpu = response.text.split()
        return (int(accepted) - self._control_requests if int(accepted) >= 0 else -1), float(cpu)

    @property
    def delay_ms(self) -> float:
        return self._delay_ms

    @delay_ms.setter
    def delay_ms(self, value: float) -> None:
        import requests

        self._control_requests += 1
        requests.put(f"{self._root_url}/__delay/{value:g}", timeout=10).raise_for_status()
        self._delay_ms = value


def _serve(connection: Any) -> None:
    """The child process of ``--server-process``: serve until told to stop."""
    with running_scim_server(middleware=lambda app: _DelayControl(Faults(app))) as server:
        assert isinstance(server.app, _DelayControl)
        server.app.running = server.running
        connection.send((server.base_url, server.token, server.running.root_url))
        connection.recv()


class _LocalFaults:
    """The fault injector of the server in this process, and its connection count."""

    def __init__(self, faults: Faults, running: Any) -> None:
        self._faults = faults
        self._running = running

    @property
    def delay_ms(self) -> float:
        return float(self._faults.delay_ms)

    @delay_ms.setter
    def delay_ms(self, value: float) -> None:
        self._faults.delay_ms = value

    def server_counts(self) -> tuple[int, float | None]:
        """Connections accepted; the server's CPU is this process's, not told apart."""
        return _connections_accepted(self._running), None


@contextmanager
def scim_server(in_process: bool) -> Iterator[tuple[str, str, Any]]:
    """The server's base URL, token and fault injector (or its remote control)."""
    if in_process:
        with running_scim_server(middleware=Faults) as server:
            assert isinstance(server.app, Faults)
            yield server.base_url, server.token, _LocalFaults(server.app, server.running)
        return
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(target=_serve, args=(child,))
    process.start()
    try:
        base_url, token, root_url = parent.recv()
        yield base_url, token, _RemoteFaults(root_url)
    finally:
        parent.send("stop")
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()


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
    faults: _LocalFaults | _RemoteFaults,
    mode: str,
    latency_ms: int,
    ids: list[str],
    etags: dict[str, str | None],
    total_users: int,
    run: int,
    workers: int,
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
    connections_before, server_cpu_before = faults.server_counts()
    started, cpu_started = time.perf_counter(), time.process_time()
    outcomes = send_all(client, writes, tally, mode=mode, workers=workers)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    requests = client.request_count - requests_before
    connections_after, server_cpu_after = faults.server_counts()
    connections = (
        connections_after - connections_before
        if connections_before >= 0 and connections_after >= 0
        else None
    )
    server_cpu = (
        server_cpu_after - server_cpu_before
        if server_cpu_after is not None and server_cpu_before is not None
        else None
    )
    faults.delay_ms = 0
    failed = len(tally.failed) + (len(writes) - len(outcomes))
    for outcome in tally.failed[:3]:
        say(f"  failed: {outcome.message}")
    wrong = check_server(client, ids, title)
    if wrong:
        say(f"  {wrong:,} users do not have the new title on the server")
    subset = len(ids) < total_users
    # CPU of this process: the client's alone, or the server's too with --in-process
    opened = "" if connections is None else f" on {connections:,} new connections"
    in_server = "" if server_cpu is None else f", {server_cpu:.2f} s CPU in the server's"
    say(
        f"  {seconds:.2f} s, {requests:,} requests{opened}, "
        f"{cpu:.2f} s CPU in this process{in_server}"
    )
    return Measurement(
        mode,
        latency_ms,
        len(ids),
        seconds,
        requests,
        max(failed, wrong),
        subset,
        seconds * total_users / len(ids) if subset else None,
        connections=connections,
        cpu_seconds=cpu,
        server_cpu_seconds=server_cpu,
    )


def seconds_text(seconds: float) -> str:
    return f"{seconds:,.1f} s" if seconds >= 10 else f"{seconds:.2f} s"


def markdown(results: list[Measurement], total_users: int, info: dict[str, Any]) -> str:
    """The results table, the target verdict and the machine, as Markdown."""
    lines = [
        f"Upload benchmark: {total_users:,} users, scim2-server {info['scim2-server']} "
        f"{info.get('server', 'in-process')} on loopback, "
        f"{info.get('workers', WORKERS)} workers for parallel, {info['started']}",
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
        if m.samples:
            runs = ", ".join(seconds_text(x) for x in m.samples)
            note = (note + "; " if note else "") + f"median of {len(m.samples)}: {runs}"
        if m.connections is not None:
            note = (note + "; " if note else "") + f"{m.connections:,} new connections"
        if m.server_cpu_seconds is not None and m.cpu_seconds is not None:
            note = (note + "; " if note else "") + (
                f"CPU: client {seconds_text(m.cpu_seconds)}, "
                f"server {seconds_text(m.server_cpu_seconds)}"
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
    lines.append(no_bulk_line(results, total_users))
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


def no_bulk_line(results: list[Measurement], total_users: int) -> str:
    """PASS/FAIL: at 50 ms, 10,000 users in under 60 s without /Bulk (parallel PATCHes)."""
    found = [m for m in results if m.latency_ms == TARGET_LATENCY_MS and m.mode == "parallel"]
    if not found or found[0].subset:
        return "Target without /Bulk: not measured (needs parallel at 50 ms)."
    m = found[0]
    scaled = m.seconds * TARGET_USERS / total_users
    verdict = "PASS" if scaled < NO_BULK_SECONDS and not m.failed else "FAIL"
    return (
        f"Target: {TARGET_USERS:,} users at {TARGET_LATENCY_MS} ms latency in under "
        f"{NO_BULK_SECONDS:g} s without /Bulk (parallel PATCHes): **{verdict}** "
        f"(~{seconds_text(scaled)})."
    )


def machine_info() -> dict[str, Any]:
    return {
        **machine("scim2-server", "scim2-models", "requests"),
        "started": dt.datetime.now().isoformat(timespec="seconds"),
    }


def median_of(runs: list[Measurement]) -> Measurement:
    """One figure from several runs of the same mode and latency: the median time."""
    seconds = [m.seconds for m in runs]
    middle = statistics.median(seconds)
    first = runs[0]
    return Measurement(
        first.mode,
        first.latency_ms,
        first.users,
        middle,
        int(statistics.median(m.requests for m in runs)),
        max(m.failed for m in runs),
        first.subset,
        middle * first.projected_seconds / first.seconds if first.projected_seconds else None,
        seconds if len(runs) > 1 else None,
        None if any(m.connections is None for m in runs) else max(m.connections or 0 for m in runs),
        _median_or_none([m.cpu_seconds for m in runs]),
        _median_or_none([m.server_cpu_seconds for m in runs]),
    )


def _median_or_none(values: list[float | None]) -> float | None:
    known = [x for x in values if x is not None]
    return statistics.median(known) if len(known) == len(values) and known else None


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
    parser.add_argument(
        "--latencies",
        default=",".join(map(str, LATENCIES_MS)),
        help="latencies in ms, comma-separated (default %(default)s)",
    )
    parser.add_argument(
        "--modes", default=",".join(MODES), help="modes, comma-separated (default %(default)s)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=WORKERS,
        help="requests at a time in parallel mode, and the client's pool (default %(default)s)",
    )
    parser.add_argument(
        "--runs", type=int, default=1, help="runs of each figure, in turns; the median is shown"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--server-process",
        dest="server_process",
        action="store_true",
        default=True,
        help="run the server in a child process, its own interpreter lock (the default)",
    )
    where.add_argument(
        "--in-process",
        dest="server_process",
        action="store_false",
        help="run the server in this process, sharing the client's interpreter lock",
    )
    parser.add_argument("--source", help="a tree whose desktop_app is measured (default: this one)")
    parser.add_argument("--json", type=Path, default=OUT / "upload.json", help="where to write")
    args = parser.parse_args(argv)
    latencies = [int(x) for x in args.latencies.split(",") if x.strip()]
    modes = [x.strip() for x in args.modes.split(",") if x.strip()]
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    info = machine_info()
    info["workers"] = args.workers
    info["server"] = "child process" if args.server_process else "in-process"
    info["source"] = SOURCE or "checkout"
    runs: dict[tuple[int, str], list[Measurement]] = {}
    with (
        scim_server(not args.server_process) as (base_url, token, faults),
        ScimClient(base_url, token, timeout=120, pool_size=args.workers) as client,
    ):
        say(f"seeding {args.users:,} users ...")
        started = time.perf_counter()
        ids = seed(client, args.users)
        say(f"  seeded in {time.perf_counter() - started:.1f} s")
        etags: dict[str, str | None] = {}
        for resource, etag in client.iter_users(page_size=1000):
            etags[resource["id"]] = etag
        run = 0
        for _round in range(max(1, args.runs)):
            for latency in latencies:
                for mode in modes:
                    run += 1
                    subset = mode == "serial" and latency > 0 and args.serial_subset < args.users
                    chosen = ids[: args.serial_subset] if subset else ids
                    runs.setdefault((latency, mode), []).append(
                        measure(
                            client,
                            faults,
                            mode,
                            latency,
                            chosen,
                            etags,
                            args.users,
                            run,
                            args.workers,
                        )
                    )
    results = [median_of(measured) for measured in runs.values()]
    table = markdown(results, args.users, info)
    print(table)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "machine": info,
                "users": args.users,
                "runs": args.runs,
                "results": [{**asdict(m), "users_per_second": m.users_per_second} for m in results],
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return 0 if "**PASS**" in target_line(results, args.users) else 1


if __name__ == "__main__":
    raise SystemExit(main())
