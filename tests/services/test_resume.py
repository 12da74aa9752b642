"""Kill an upload half-way, for real, and resume it: confirmed rows are never sent again."""

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
        assert journal is not None
        confirmed = {o.ref for o in journal.outcomes()}
        assert 3 <= len(confirmed) < 7 and not journal.finished
        (unfinished,) = Journal.unfinished(folder)
        pending = unfinished.pending()
        assert {w.ref for w in pending}.isdisjoint(confirmed)
        assert len(pending) == 7 - len(confirmed)

        faults.delay_ms = 0
        patches_before = {
            w.user_id: faults.count("PATCH", f"/v2/Users/{w.user_id}")
            for w in Journal(unfinished.path).pending()
        }
        with ScimClient(server.base_url, "tok") as client:
            outcomes = resume(unfinished, client, State(), mode="serial")
            assert all(o.ok for o in outcomes), [o.message for o in outcomes]
            assert unfinished.finished and Journal.unfinished(folder) == []
            after = {r["externalId"]: r for r, _ in client.iter_users()}
            people = People(list(client.iter_users()))
        # Confirmed rows were not sent again; pending ones were sent once more at most.
        header = unfinished.header["writes"]
        for write in header:
            sent = faults.count("PATCH", f"/v2/Users/{write['user_id']}")
            if write["ref"] in confirmed:
                assert sent == 1, write["label"]
            else:
                assert sent - patches_before[write["user_id"]] == 1, write["label"]
    for row in range(doc.row_count):
        for col, path in mapped_columns(doc):
            assert server_text(after[doc.value(row, 0)], path, doc.profile, people) == doc.value(
                row, col
            )
