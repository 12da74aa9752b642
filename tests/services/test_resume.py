"""Kill an upload half-way, for real, and resume it: confirmed rows are never sent again,
and rows a later upload already finished are counted as done, not as conflicts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from desktop_app.connectors.scim import ScimClient
from desktop_app.models.document import open_document
from desktop_app.models.scim_mapping import People, server_text
from desktop_app.models.upload_plan import mapped_columns
from desktop_app.models.writers import save
from desktop_app.resource_files import resource
from desktop_app.services.demo import seed
from desktop_app.services.journal import Journal
from desktop_app.services.upload import resume
from tests.helpers.faults import Faults
from tests.helpers.scim_server import running_scim_server
from tests.services.test_upload import State, fix_the_sample


def test_kill_mid_upload_then_resume(tmp_path: Path) -> None:
    download = tmp_path / "atlas-users.xlsx"
    download.write_bytes(resource("samples", "atlas-users.xlsx").read_bytes())
    data = tmp_path / "data"
    with running_scim_server(token="tok", middleware=Faults) as server:
        faults = server.app
        assert isinstance(faults, Faults)
        seed(server, download)
        faults.reset()  # count only the upload's requests
        doc = open_document(download)
        fix_the_sample(doc)
        edited = tmp_path / "atlas-users-edited.xlsx"
        save(doc, edited)
        faults.delay_ms = 400  # each answer is slow: time to kill the upload half-way
        env = dict(os.environ, USER_EDITOR_DATA=str(data), SCIM_TOKEN="tok")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "desktop_app",
                "upload",
                str(edited),
                "--server",
                server.base_url,
                "--token-env",
                "SCIM_TOKEN",
                "--mode",
                "serial",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        folder = data / "uploads"
        deadline = time.monotonic() + 60
        journal: Journal | None = None
        while time.monotonic() < deadline:
            found = list(folder.glob("*.jsonl")) if folder.exists() else []
            if found:
                journal = Journal(found[0])
                if len(journal.outcomes()) >= 3:
                    break
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        # The write the killed upload had in flight may still land, after the slow answer.
        faults.wait_until_idle()
        assert journal is not None
        confirmed = {o.ref for o in journal.outcomes()}
        assert 3 <= len(confirmed) < 7 and not journal.finished
        (unfinished,) = Journal.unfinished(folder)
        pending = unfinished.pending()
        assert {w.ref for w in pending}.isdisjoint(confirmed)
        assert len(pending) == 7 - len(confirmed)

        faults.delay_ms = 0
        header = unfinished.header["writes"]
        patches_before = {
            w.user_id: faults.count("PATCH", f"/v2/Users/{w.user_id}")
            for w in Journal(unfinished.path).pending()
        }
        with ScimClient(server.base_url, "tok") as client:
            outcomes = resume(unfinished, client, State(), mode="serial").outcomes
            assert all(o.ok for o in outcomes), [o.message for o in outcomes]
            assert unfinished.finished and Journal.unfinished(folder) == []
            after = {r["externalId"]: r for r, _ in client.iter_users()}
            people = People(list(client.iter_users()))
        # Confirmed rows were not sent again; pending ones were sent once more at most
        # (not at all when the write sent before the kill had already arrived).
        for write in header:
            sent = faults.count("PATCH", f"/v2/Users/{write['user_id']}")
            if write["ref"] in confirmed:
                assert sent == 1, write["label"]
            else:
                assert sent - patches_before[write["user_id"]] <= 1, write["label"]
    for row in range(doc.row_count):
        for col, path in mapped_columns(doc):
            assert server_text(after[doc.value(row, 0)], path, doc.profile, people) == doc.value(
                row, col
            )
    # Finished, the journal keeps what an undo needs, and no write or server record.
    kept = unfinished.path.read_text(encoding="utf-8")
    assert '"writes"' not in kept and '"resource": {' not in kept
    assert all(u.changes for u in unfinished.users())


def _cli_upload(edited: Path, url: str, data: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, USER_EDITOR_DATA=str(data), SCIM_TOKEN="tok")
    command = [sys.executable, "-m", "desktop_app", "upload", str(edited), "--server", url]
    return subprocess.Popen(
        [*command, "--token-env", "SCIM_TOKEN", "--mode", "serial"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_an_upload_finished_by_a_second_run_resumes_without_false_conflicts(
    tmp_path: Path,
) -> None:
    download = tmp_path / "atlas-users.xlsx"
    download.write_bytes(resource("samples", "atlas-users.xlsx").read_bytes())
    data = tmp_path / "data"
    folder = data / "uploads"
    with running_scim_server(token="tok", middleware=Faults) as server:
        faults = server.app
        assert isinstance(faults, Faults)
        seed(server, download)
        doc = open_document(download)
        fix_the_sample(doc)
        edited = tmp_path / "atlas-users-edited.xlsx"
        save(doc, edited)
        faults.delay_ms = 400
        first = _cli_upload(edited, server.base_url, data)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = list(folder.glob("*.jsonl")) if folder.exists() else []
            if found and len(Journal(found[0]).outcomes()) >= 2:
                break
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        faults.wait_until_idle()  # the write in flight may still land, after the slow answer
        (interrupted,) = Journal.unfinished(folder)
        assert interrupted.pending()

        # The admin runs the upload again from the command line: it sends the rest.
        faults.delay_ms = 0
        second = _cli_upload(edited, server.base_url, data)
        assert second.wait(timeout=60) == 0
        assert [j.path for j in Journal.unfinished(folder)] == [interrupted.path]

        # Then the app starts and finishes the first upload: nothing is left to send.
        faults.reset()
        with ScimClient(server.base_url, "tok") as client:
            resumed = resume(interrupted, client, State(), mode="serial")
        assert resumed.conflicts == [] and all(o.ok for o in resumed.outcomes)
        assert resumed.already_done == len(resumed.outcomes) > 0
        assert faults.count("PATCH") == 0 and faults.count("POST", "/Bulk") == 0
        assert resumed.sentence().startswith("The interrupted upload was already finished")
        assert interrupted.finished and Journal.unfinished(folder) == []
