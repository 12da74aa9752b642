"""Columns and Platform: what each column of the open file is, and which platform it is for.

The admin sees every header of the file beside the platform field it is taken as
(and in words what the upload does with it), three of its values, the platform
chooser and why the file was recognised as it was. The choice is a ColumnMapping;
the window re-reads the file with it and remembers it.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.i18n import N_, _
from desktop_app.models.column_mapping import ColumnMapping
from desktop_app.models.document import UserDocument
from desktop_app.models.profiles import ColumnRule, Profile, all_profiles, profile_named
from desktop_app.models.recognition import SAMPLE_ROWS, recognise
from desktop_app.views import theme

NOT_UPLOADED = N_("Not uploaded")
NO_KEY = N_("(no column: users are found by their email)")
_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
# What the upload does with each SCIM attribute, in the words of an admin.
_PLAIN = {
    "userName": N_("the user's sign-in name"),
    "name.givenName": N_("the user's first name"),
    "name.familyName": N_("the user's last name"),
    "name.middleName": N_("the user's middle name"),
    "name.honorificPrefix": N_("the name prefix"),
    "displayName": N_("the user's display name"),
    "nickName": N_("the user's nickname"),
    "emails": N_("the user's email address"),
    "title": N_("the user's job title"),
    "preferredLanguage": N_("the user's preferred language"),
    "locale": N_("the user's region"),
    "timezone": N_("the user's time zone"),
    "active": N_("whether the account is active"),
    "externalId": N_("the user's ID in your other systems"),
    "phoneNumbers": N_("the user's phone number"),
    "groups": N_("the groups the user is in"),
    "manager": N_("the user's manager"),
    f"{_ENTERPRISE}department": N_("the user's department"),
    f"{_ENTERPRISE}employeeNumber": N_("the user's employee number"),
    f"{_ENTERPRISE}costCenter": N_("the user's cost center"),
    f"{_ENTERPRISE}organization": N_("the user's organisation"),
    f"{_ENTERPRISE}division": N_("the user's division"),
    f"{_ENTERPRISE}manager": N_("the user's manager"),
}
COLUMNS = (
    N_("Column in the file"),
    N_("What it is"),
    N_("What the upload does with it"),
    N_("Examples"),
)


def plain_words(scim: str | None) -> str:
    """'Uploaded as the user's job title', or why the column stays in the file."""
    if not scim:
        return _("Not uploaded: the server has no field for it")
    words = _PLAIN.get(scim)
    words = _(words) if words is not None else None
    if words is None:
        words = _("the user's {attribute}").format(
            attribute=scim.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
        )
    return _("Uploaded as {words}").format(words=words)


def fields_of(profile: Profile) -> list[ColumnRule]:
    """The fields a column of this platform's file can be taken as."""
    if profile.generic:
        return [rule for _pattern, rule in profile.column_patterns]
    return list(profile.columns)


def examples(values: Sequence[str], count: int = 3) -> str:
    """Up to three different values of a column, as the admin would recognise it."""
    found: list[str] = []
    for value in values:
        text = " ".join(value.split())
        if text and text not in found:
            found.append(text if len(text) <= 40 else text[:39] + "…")
            if len(found) == count:
                break
    return " · ".join(found) or "(empty)"


class MappingDialog(QDialog):
    """The columns of one open file and the platform they are for; OK gives ``mapping()``."""

    def __init__(
        self, document: UserDocument, parent: QWidget | None = None, unsure: bool = False
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Columns and Platform"))
        self.setObjectName("mappingDialog")
        self.document = document
        loaded = document.loaded
        self._headers = list(document.headers)
        self._report = loaded.report.indexes if loaded.report is not None else set()
        recognition = loaded.recognition

        intro = QLabel(
            _("<b>User Editor is not sure which platform this file is from. Check the columns:</b>")
            if unsure
            else _("<b>Check what each column of this file is, and which platform it is for.</b>")
        )
        intro.setWordWrap(True)
        self.reason = QLabel(recognition.reason if recognition is not None else "")
        self.reason.setWordWrap(True)
        theme.quiet(self.reason)

        self.platform_box = QComboBox()
        self.platform_box.setAccessibleName(_("Platform"))
        self._profiles = list(all_profiles())
        for profile in self._profiles:
            self.platform_box.addItem(_(profile.title), profile.name)
        self.key_box = QComboBox()
        self.key_box.setAccessibleName(_("Each user is found by"))
        self.key_note = QLabel()
        self.key_note.setWordWrap(True)
        form = QFormLayout()
        form.addRow(_("Platform:"), self.platform_box)
        form.addRow(_("Each user is found by:"), self.key_box)
        form.addRow("", self.key_note)

        self.table = QTableWidget(len(self._headers), len(COLUMNS))
        self.table.setHorizontalHeaderLabels([_(name) for name in COLUMNS])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.field_boxes: list[QComboBox] = []
        for row, name in enumerate(self._headers):
            self.table.setItem(row, 0, QTableWidgetItem(name))
            box = QComboBox()
            box.setAccessibleName(_("What {name} is").format(name=name))
            box.currentIndexChanged.connect(lambda _i: self._describe_all())
            self.field_boxes.append(box)
            self.table.setCellWidget(row, 1, box)
            self.table.setItem(row, 2, QTableWidgetItem())
            sample = examples(document.columns[row][: SAMPLE_ROWS * 4])
            self.table.setItem(row, 3, QTableWidgetItem(sample))

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("Use These Columns"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        theme.problem(self.warning)
        self.warning.hide()
        note = QLabel(
            _(
                "The file itself is not changed. A column that is not uploaded stays in the file "
                "and is saved as it is. Your choice is remembered for files with these columns."
            )
        )
        note.setWordWrap(True)
        theme.quiet(note)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.reason)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.warning)
        layout.addWidget(note)
        layout.addWidget(buttons)

        current = loaded.mapping
        name = current.profile if current is not None else document.profile.name
        self.platform_box.setCurrentIndex(max(0, self.platform_box.findData(name)))
        self._show_platform(current)
        self.platform_box.currentIndexChanged.connect(lambda _i: self._show_platform(None))
        self.key_box.currentIndexChanged.connect(lambda _i: self._describe_all())
        self.resize(900, min(720, 260 + 34 * len(self._headers)))

    # --- what is shown -------------------------------------------------------------------

    @property
    def profile(self) -> Profile:
        return profile_named(str(self.platform_box.currentData()))

    def _suggested(self, profile: Profile) -> ColumnMapping:
        """What recognition makes of the file's columns as this platform's."""
        doc = self.document
        rows = [self._headers]
        rows += [
            [column[r] for column in doc.columns] for r in range(min(SAMPLE_ROWS, doc.row_count))
        ]
        found = recognise(rows, forced=profile)
        if found is None:
            return ColumnMapping(profile.name, tuple((h, None) for h in self._headers))
        return found.mapping.for_headers(self._headers)

    def _show_platform(self, mapping: ColumnMapping | None) -> None:
        profile = self.profile
        if mapping is None or mapping.profile != profile.name:
            mapping = self._suggested(profile)
        fields = fields_of(profile)
        targets = dict(mapping.columns)
        for row, box in enumerate(self.field_boxes):
            box.blockSignals(True)
            box.clear()
            box.addItem(_(NOT_UPLOADED), None)
            for rule in fields:
                box.addItem(rule.header, rule.header)
            target = None if row in self._report else targets.get(self._headers[row])
            box.setCurrentIndex(max(0, box.findData(target)) if target else 0)
            box.setEnabled(row not in self._report)
            box.blockSignals(False)
        self.key_box.blockSignals(True)
        self.key_box.clear()
        self.key_box.addItem(_(NO_KEY), None)
        for row, name in enumerate(self._headers):
            if row not in self._report:
                self.key_box.addItem(name, name)
        key = mapping.key
        self.key_box.setCurrentIndex(max(0, self.key_box.findData(key)) if key else 0)
        self.key_box.blockSignals(False)
        self._describe_all()

    def _platform_key(self) -> str | None:
        """The file header taken as the platform's own key column (User ID), if any."""
        profile = self.profile
        if profile.generic or profile.key is None:
            return None
        for row, box in enumerate(self.field_boxes):
            if box.currentData() == profile.key:
                return self._headers[row]
        return None

    def _describe_all(self) -> None:
        profile = self.profile
        if not profile.generic and profile.key is not None:
            key = self._platform_key()
            self.key_box.blockSignals(True)
            self.key_box.setCurrentIndex(max(0, self.key_box.findData(key)) if key else 0)
            self.key_box.blockSignals(False)
            self.key_box.setEnabled(False)
            self.key_note.setText(
                _("The column taken as {key} is locked: {platform} finds each user by it.").format(
                    key=profile.key, platform=profile.platform
                )
                if key
                else _(
                    "No column is taken as {key}, which {platform} finds each "
                    "user by: choose it below."
                ).format(key=profile.key, platform=profile.platform)
            )
        else:
            self.key_box.setEnabled(True)
            self.key_note.setText(
                _(
                    "That column is locked in the table, and the upload finds each user on the "
                    "server by it."
                )
            )
        for row in range(len(self._headers)):
            self._describe(row)
        taken: dict[str, list[str]] = {}
        for name, box in zip(self._headers, self.field_boxes, strict=True):
            if box.currentData() is not None:
                taken.setdefault(str(box.currentData()), []).append(name)
        twice = next(((f, names) for f, names in taken.items() if len(names) > 1), None)
        self.warning.setVisible(twice is not None)
        if twice is not None:
            field, names = twice
            self.warning.setText(
                _("{items} are both taken as {field}: choose one of them.").format(
                    items=" and ".join(names), field=field
                )
            )
        self.ok_button.setEnabled(twice is None)

    def _describe(self, row: int) -> None:
        item = self.table.item(row, 2)
        if item is None:
            return
        if row in self._report:
            text = _("Not uploaded: the import's result for this row")
        elif self._headers[row] == self._key():
            text = _("Locked: the upload finds each user by it")
        else:
            target = self.field_boxes[row].currentData()
            rule = next((r for r in fields_of(self.profile) if r.header == target), None)
            text = plain_words(rule.scim if rule is not None else None)
            if target is None:
                text = _("Not uploaded: kept in the file as it is")
        item.setText(text)
        muted = text.startswith("Not uploaded")
        item.setForeground(Qt.GlobalColor.darkGray if muted else Qt.GlobalColor.black)

    def _key(self) -> str | None:
        if not self.profile.generic and self.profile.key is not None:
            return self._platform_key()
        key = self.key_box.currentData()
        return None if key is None else str(key)

    # --- the choice ------------------------------------------------------------------------

    def mapping(self) -> ColumnMapping:
        """The columns as the admin left them."""
        columns = tuple(
            (name, None if row in self._report else box.currentData())
            for row, (name, box) in enumerate(zip(self._headers, self.field_boxes, strict=True))
        )
        return ColumnMapping(self.profile.name, columns, self._key())

    def choose_field(self, header: str, field: str | None) -> None:
        """Take the column ``header`` as ``field`` (None: not uploaded), as the drop-down does."""
        box = self.field_boxes[self._headers.index(header)]
        box.setCurrentIndex(box.findData(field) if field else 0)
