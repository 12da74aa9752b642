"""The whole upload against a real scim2-server seeded like the demo: plan, send, read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop_app.connectors.scim import ScimClient
from desktop_app.models.document import UserDocument, open_document
from desktop_app.models.scim_mapping import People, server_text
from desktop_app.models.upload_plan import mapped_columns
from desktop_app.services.demo import Demo, sample_fixes
from desktop_app.services.journal import Journal
from desktop_app.services.sending import Outcome
from desktop_app.services.upload import (
    prepare,
    results_path,
    undo,
    upload,
    write_results_file,
)


class State:
    def __init__(self) -> None:
        self.recorded: list[Outcome] = []

    def progress(self, done: int, total: int) -> None:
        pass

    def cancelled(self) -> bool:
        return False

    def record(self, outcome: Outcome) -> None:
        self.recorded.append(outcome)


def server_users(client: ScimClient) -> dict[str, dict[str, Any]]:
    return {r["externalId"]: r for r, _ in client.iter_users()}


def fix_the_sample(doc: UserDocument) -> None:
    """What an admin does to the Atlas sample: fix every red row, and a few real edits."""
    col = doc.headers.index
    doc.apply(
        doc.edits_for(
            [
                *sample_fixes(doc),
                (0, col("Department"), "Sales"),  # a real change
                (3, col("Job title"), ""),  # a blank that clears
                (4, col("Status"), "Inactive"),  # a deactivation
                (11, col("Email"), "julia.vos@example.com"),  # an email change (not a manager)
            ]
        )
    )
    assert doc.problems() == []


def test_upload_edits_then_read_back_every_attribute(demo: Demo) -> None:
    doc = open_document(demo.download)
    fix_the_sample(doc)
    with ScimClient(demo.url, demo.token) as client:
        before = server_users(client)
        plan = prepare(doc, client)
        assert plan.summary() == "7 users will be updated · 0 will be added"
        warnings = " ".join(plan.warnings())
        assert (
            "the email changes from julia.vos@atlas-demo.com to julia.vos@example.com" in warnings
            and "keeps the same account" in warnings
        )
        assert "will be deactivated" in warnings
        assert "the blank Job title cell will clear 'Financial Controller'" in warnings
        result = upload(plan, client, State())
        assert result.sentence() == "7 users were successfully edited"
        assert result.failed == []
        after = server_users(client)
        people = People(list(client.iter_users()))
    for row in range(doc.row_count):
        key = doc.value(row, 0)
        for col, path in mapped_columns(doc):
            assert server_text(after[key], path, doc.profile, people) == doc.value(row, col), (
                row,
                path,
            )
    changed = {u.key for u in plan.to_update()}
    for key, resource in after.items():
        if key not in changed:
            assert resource["meta"]["version"] == before[key]["meta"]["version"], key
    # The results file lists every row sent, and the values from before.
    path = write_results_file(result)
    assert path == results_path(demo.download, result.started) and path.exists()
    import openpyxl

    book = openpyxl.load_workbook(path)
    statuses = [r[-2] for r in book["Results"].iter_rows(min_row=2, values_only=True)]
    assert statuses.count("Edited") == 7
    assert book["Before upload"].max_row == 8


def test_a_user_changed_on_the_server_meanwhile_is_not_overwritten(demo: Demo) -> None:
    doc = open_document(demo.download)
    fix_the_sample(doc)
    with ScimClient(demo.url, demo.token) as client:
        plan = prepare(doc, client)
        target = next(u for u in plan.to_update() if u.key == "000101")
        # Someone else renames the department after our check and before the upload.
        client.patch_user(
            target.user_id,
            [
                {
                    "op": "replace",
                    "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                    "value": "Legal",
                }
            ],
            None,
        )
        result = upload(plan, client, State())
        assert result.updated == 6
        failed = dict((u.key, m) for u, m in result.failed)
        assert "changed this user on the server" in failed["000101"]
        assert result.outcomes[target.row].conflict
        dept = server_users(client)["000101"][
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ]["department"]
        assert dept == "Legal"


def test_undo_puts_back_the_values_from_before(demo: Demo) -> None:
    doc = open_document(demo.download)
    fix_the_sample(doc)
    with ScimClient(demo.url, demo.token) as client:
        before = server_users(client)
        plan = prepare(doc, client)
        result = upload(plan, client, State())
        undone = undo(result, client, State())
        assert undone.failed == [] and len(undone.outcomes) == 7
        after = server_users(client)
        people = People(list(client.iter_users()))
    for key, resource in before.items():
        for _col, path in mapped_columns(doc):
            assert server_text(after[key], path, doc.profile, people) == server_text(
                resource, path, doc.profile, people
            ), (key, path)


def test_unchanged_file_sends_nothing(demo: Demo) -> None:
    doc = open_document(demo.download)
    with ScimClient(demo.url, demo.token) as client:
        plan = prepare(doc, client)
        assert plan.to_update() == [] and plan.to_create() == []
        assert "6 rows have problems and will not be uploaded" in plan.summary()
        counted = client.request_count
        result = upload(plan, client, State())
        assert client.request_count == counted
        assert result.sentence() == "0 users were successfully edited"


def test_a_new_row_is_added(demo: Demo, tmp_path: Path) -> None:
    doc = open_document(demo.download)
    fix_the_sample(doc)
    with ScimClient(demo.url, demo.token) as client:
        client_users = server_users(client)
        # A user the server does not know: the key is an external id, so it is added.
        key = doc.value(7, 0)
        user_id = client_users[key]["id"]
        client.replace_user(
            user_id,
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "someone.else",
                "externalId": "gone",
            },
            None,
        )
        plan = prepare(doc, client)
        assert len(plan.to_create()) == 1
        result = upload(plan, client, State())
        assert result.added == 1
        assert "1 user was added" in result.sentence()


def test_journal_records_each_outcome_and_is_finished(demo: Demo, tmp_path: Path) -> None:
    doc = open_document(demo.download)
    fix_the_sample(doc)
    with ScimClient(demo.url, demo.token) as client:
        upload(prepare(doc, client), client, State(), journal_folder=tmp_path)
    (journal,) = [Journal(p) for p in tmp_path.glob("*.jsonl")]
    assert journal.finished and len(journal.outcomes()) == 7 and journal.pending() == []
    assert demo.token not in journal.path.read_text()


def test_download_from_the_server_edit_and_upload(demo: Demo, tmp_path: Path) -> None:
    from desktop_app.models.writers import save
    from desktop_app.services.download import download_document

    with ScimClient(demo.url, demo.token) as client:
        doc = download_document(client, tmp_path)
        assert doc.row_count == 40 and doc.profile.name == "scim"
        assert doc.key_column == 0 and not doc.is_editable(0)
        row = next(r for r in range(doc.row_count) if doc.value(r, 1) == "abakker")
        doc.apply(doc.edits_for([(row, doc.headers.index("department"), "Sales")]))
        plan = prepare(doc, client)
        # The server itself holds one email twice: those two rows wait for a fix.
        assert plan.summary() == (
            "1 user will be updated · 0 will be added · 2 rows have "
            "problems and will not be uploaded"
        )
        assert upload(plan, client, State()).updated == 1
        resource = client.get_user(doc.value(row, 0))[0]
    assert (
        resource["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"]
        == "Sales"
    )
    # A downloaded table saves as a plain workbook that opens again as the same table.
    saved = save(doc, doc.loaded.path)
    again = open_document(saved)
    assert again.profile.name == "scim" and again.row_count == 40
    assert again.value(row, again.headers.index("department")) == "Sales"


def test_a_manager_is_set_by_email_and_sent_as_an_id(demo: Demo) -> None:
    doc = open_document(demo.download)
    fix_the_sample(doc)
    manager = doc.headers.index("Manager email")
    doc.apply(
        doc.edits_for(
            [
                (10, manager, "julia.vos@example.com"),  # her new address
                (12, manager, "nobody@atlas-demo.com"),
            ]
        )
    )
    with ScimClient(demo.url, demo.token) as client:
        plan = prepare(doc, client)
        missing = {u.row: u.message for u in plan.not_sendable()}
        assert missing == {12: "The manager nobody@atlas-demo.com is not a user on the server."}
        result = upload(plan, client, State())
        assert result.updated == 8
        users = server_users(client)
    # Julia's email changed in this upload too; the manager was found by either address.
    julia = users[doc.value(11, 0)]["id"]
    boss = users[doc.value(10, 0)]["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]
    assert boss["manager"]["value"] == julia


def test_two_uploads_keep_two_results_files_and_the_older_is_undone_after_a_review(
    demo: Demo,
) -> None:
    from desktop_app.services.journal import history
    from desktop_app.services.upload import plan_undo, read_server

    doc = open_document(demo.download)
    fix_the_sample(doc)
    col = doc.headers.index
    with ScimClient(demo.url, demo.token) as client:
        before = server_users(client)
        first = upload(prepare(doc, client), client, State())
        first_file = write_results_file(first)
        # A second upload: one more change, and a second change to a user of the first.
        doc.apply(doc.edits_for([(5, col("Department"), "Legal"), (0, col("Job title"), "CEO")]))
        second = upload(prepare(doc, client), client, State())
        second_file = write_results_file(second)
        assert second.updated == 2
        assert first_file != second_file and first_file.exists() and second_file.exists()
        listed = history(demo.download)
        assert [e.journal.path for e in listed] == [second.journal.path, first.journal.path]
        assert [e.results for e in listed] == [second_file, first_file]
        assert listed[1].outcome() == "7 edited"

        # The review of undoing the first: what goes back, who is left as is; nothing sent.
        assert first.journal is not None
        counted = client.request_count
        review = plan_undo(first.journal, read_server(client))
        assert client.request_count - counted <= 3  # reads only: groups and users
        assert review.summary() == (
            "6 users will be put back as they were before the upload · 1 changed on the "
            "server since the upload and will be left as it is"
        )
        back = {u.row: [c.describe() for c in u.changes] for u in review.to_update()}
        assert back[3] == ["Job title: (empty) → 'Financial Controller'"]
        assert back[4] == ["Status: 'Inactive' → 'Active'"]
        # Row 0 changed again in the second upload: its user is left as the server has it.
        (moved,) = review.not_sendable()
        assert moved.row == 0 and 0 not in back
        assert "Someone changed this user on the server after the upload" in (moved.message or "")
        assert client.request_count - counted <= 3  # still nothing sent

        undone = upload(review, client, State())
        assert undone.sentence() == "6 users were put back as they were before the upload"
        undo_file = write_results_file(undone)
        assert undo_file.name.startswith("atlas-users-undo-results-")
        after = server_users(client)
        people = People(list(client.iter_users()))
        listed = history(demo.download)
        assert listed[0].undoes == first.journal.name and listed[0].results == undo_file
    for key, resource in before.items():
        for column, path in mapped_columns(doc):
            now = server_text(after[key], path, doc.profile, people)
            if key in (doc.value(0, 0), doc.value(5, 0)):  # changed by the second upload
                assert now == doc.value(doc.value(0, 0) != key and 5 or 0, column), path
            else:
                assert now == server_text(resource, path, doc.profile, people), (key, path)


def test_edits_that_cannot_reach_the_server_are_said_so(demo: Demo) -> None:
    doc = open_document(demo.download)
    hire = doc.headers.index("Hire date")
    doc.apply(doc.edits_for([(0, hire, "2020-01-01")]))
    with ScimClient(demo.url, demo.token) as client:
        plan = prepare(doc, client)
        assert plan.to_update() == []
        assert (
            "your edits are only in columns that are not uploaded (Hire date): nothing will "
            "reach the server" in plan.summary()
        )
        department = doc.headers.index("Department")
        doc.apply(doc.edits_for([(0, department, "Finance")]))
        plan = prepare(doc, client)
        assert len(plan.to_update()) == 1
        assert plan.summary().endswith("your edits in Hire date are not uploaded")
