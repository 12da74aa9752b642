"""The plan file: every plan survives a round trip, and any damage or edit is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.models import plan_file
from desktop_app.models.plan_file import (
    Action,
    AttributeChange,
    Plan,
    PlanFileError,
    RowProblem,
    UserRecord,
)

text = st.text(max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
json_objects = st.dictionaries(text, json_values, max_size=4)
changes = st.builds(AttributeChange, text, text, text, text)
rows = st.integers(min_value=2, max_value=1_048_576)
names = st.lists(text, max_size=3, unique=True).map(tuple)

updates = st.builds(
    UserRecord,
    key=text,
    row=rows,
    action=st.just(Action.UPDATE),
    changes=st.lists(changes, max_size=4).map(tuple),
    version=st.none() | text,
    user_id=text,
    label=text,
    operations=st.lists(json_objects, max_size=3).map(tuple),
    resource=st.none(),
    join=names,
    leave=names,
)
creates = st.builds(
    UserRecord,
    key=text,
    row=rows,
    action=st.just(Action.CREATE),
    changes=st.lists(changes, max_size=4).map(tuple),
    version=st.none(),
    user_id=st.none(),
    label=text,
    operations=st.just(()),
    resource=json_objects,
    join=names,
    leave=st.just(()),
)
plans = st.builds(
    Plan,
    server=text,
    file_name=text,
    file_sha256=st.text("0123456789abcdef", min_size=64, max_size=64),
    profile=text,
    created=text,
    users=st.lists(updates | creates, max_size=5).map(tuple),
    problems=st.lists(st.builds(RowProblem, rows, text, st.none() | text, text), max_size=4).map(
        tuple
    ),
    columns_not_uploaded=st.lists(text, max_size=3).map(tuple),
    unchanged=st.integers(min_value=0, max_value=10**6),
    groups=st.dictionaries(text, text, max_size=3),
)


@given(plans)
def test_round_trip(plan: Plan) -> None:
    assert plan_file.loads(plan_file.dumps(plan)) == plan


@settings(max_examples=25)
@given(plans)
def test_round_trip_through_a_file(plan: Plan) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.json"
        plan_file.write(plan, path)
        assert plan_file.read(path) == plan


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every scalar inside a JSON document."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _paths(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _paths(v, (*path, i))]
    return [path]


def _edited(value: Any) -> Any:
    """A different JSON scalar of a similar kind."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    return "x"


@given(plans, st.data())
def test_any_edit_is_refused(plan: Plan, data: st.DataObject) -> None:
    body = plan_file.to_json(plan)
    header = {("checksum",), ("format",), ("version",)}  # their own sentences, tested below
    path = data.draw(st.sampled_from([p for p in _paths(body) if p not in header]))
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = _edited(target[path[-1]])
    with pytest.raises(PlanFileError, match="is damaged or was edited after it was made"):
        plan_file.loads(json.dumps(body), "plan.json")


def test_a_valid_checksum_over_a_wrong_shape_is_still_refused() -> None:
    plan = Plan("https://x/scim/v2", "u.csv", "0" * 64, "scim", "2024-01-01T00:00:00+00:00")
    body = plan_file.to_json(plan)
    body["users"] = [{"key": "k"}]
    body["checksum"] = plan_file._checksum(body)
    with pytest.raises(PlanFileError, match="^plan.json is damaged or was edited"):
        plan_file.from_json(body, "plan.json")


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        ("{not json", "The plan file {path} is damaged or was edited after it was made"),
        ('{"users": []}', "The plan file {path} is not a User Editor plan file."),
        ("[1, 2]", "The plan file {path} is not a User Editor plan file."),
        (
            '{"format": "user-editor-plan", "version": 2}',
            "The plan file {path} is a plan of another format (version 2)",
        ),
    ],
)
def test_what_is_not_a_plan_is_one_sentence(tmp_path: Path, content: str, sentence: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PlanFileError) as caught:
        plan_file.read(path)
    assert str(caught.value).startswith(sentence.format(path=path))


def test_a_missing_plan_file(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="cannot be read: it does not exist"):
        plan_file.read(tmp_path / "nowhere.json")


def test_the_format_on_disk(tmp_path: Path) -> None:
    """What scripts read: a versioned document with one simple record per user."""
    record = UserRecord(
        key="E-1",
        row=4,
        action=Action.UPDATE,
        changes=(AttributeChange("title", "Job title", "Clerk", "Manager"),),
        version='W/"3"',
        user_id="u1",
        label="ann",
        operations=({"op": "replace", "path": "title", "value": "Manager"},),
    )
    plan = Plan(
        "https://x/scim/v2",
        "users.xlsx",
        "a" * 64,
        "atlas",
        "2024-01-01T00:00:00+00:00",
        users=(record,),
        problems=(RowProblem(7, "E-4", "Email", "Email 'x' is not a valid email address"),),
        columns_not_uploaded=("Hire date",),
        unchanged=12,
    )
    body = json.loads(plan_file.dumps(plan))
    assert body["format"] == "user-editor-plan" and body["version"] == 1
    assert body["file"] == {"name": "users.xlsx", "sha256": "a" * 64}
    assert body["users"][0] == {
        "key": "E-1",
        "row": 4,
        "action": "update",
        "changes": [
            {"attribute": "title", "column": "Job title", "before": "Clerk", "after": "Manager"}
        ],
        "version": 'W/"3"',
        "id": "u1",
        "label": "ann",
        "operations": [{"op": "replace", "path": "title", "value": "Manager"}],
        "resource": None,
        "join": [],
        "leave": [],
    }
    assert body["problems"] == [
        {
            "row": 7,
            "key": "E-4",
            "column": "Email",
            "message": "Email 'x' is not a valid email address",
        }
    ]
    assert body["columns_not_uploaded"] == ["Hire date"] and body["unchanged"] == 12
