"""The users table: key column frozen at the left, drop-downs for listed values, paste."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from desktop_app.views.table_model import UserTableModel

Index = QModelIndex | QPersistentModelIndex
# Longer values are not opened in an editor (QLineEdit's maxLength); they are cleared or
# cleared with Delete, or replaced by a paste or a fix.


class ChoiceDelegate(QStyledItemDelegate):
    """A drop-down editor where the column has a list of allowed values; plain text elsewhere."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.model: UserTableModel | None = None

    def _choices(self, index: Index) -> list[str]:
        if self.model is None:
            return []
        col = _source(index).column()
        checker = self.model.document.validator.checkers[col]
        if checker.rule.type == "flag":
            return ["x", ""]
        if checker.rule.type == "choice":
            return checker.allowed
        return []

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        choices = self._choices(index)
        if not choices:
            return super().createEditor(parent, option, index)
        combo = QComboBox(parent)
        combo.setEditable(True)
        combo.addItems(choices)
        combo.setAccessibleName(
            f"Choose {index.model().headerData(index.column(), Qt.Orientation.Horizontal)}"
        )
        return combo

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        if isinstance(editor, QComboBox):
            editor.setCurrentText(str(index.data(Qt.ItemDataRole.EditRole) or ""))
            return
        super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)
            return
        super().setModelData(editor, model, index)


def _source(index: Index) -> QModelIndex:
    model = index.model()
    plain = model.index(index.row(), index.column())
    return model.mapToSource(plain) if isinstance(model, QSortFilterProxyModel) else plain


class UserTableView(QTableView):
    """A table whose key column stays at the left while the rest scrolls sideways.

    Built as Qt's frozen-column example: a second view over the same model and
    selection shows only the key column, laid over the first visual column.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key_column: int | None = None
        self.frozen = QTableView(self)
        self.frozen.setObjectName("frozenKeyColumn")
        self.frozen.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.frozen.verticalHeader().hide()
        self.frozen.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.frozen.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.frozen.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.frozen.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.frozen.setStyleSheet(
            "QTableView#frozenKeyColumn { border: none; border-right: 2px solid #a0aec0; }"
        )
        self.frozen.setAccessibleName("Locked key column")
        self.viewport().stackUnder(self.frozen)
        self.frozen.hide()
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setAlternatingRowColors(False)
        self.setWordWrap(False)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.verticalHeader().setDefaultSectionSize(24)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.frozen.verticalHeader().setDefaultSectionSize(24)
        self.horizontalHeader().setHighlightSections(False)
        self.delegate = ChoiceDelegate(self)
        self.setItemDelegate(self.delegate)
        self.horizontalHeader().sectionResized.connect(self._section_resized)
        self.frozen.verticalScrollBar().valueChanged.connect(self.verticalScrollBar().setValue)
        self.verticalScrollBar().valueChanged.connect(self.frozen.verticalScrollBar().setValue)
        self.setAccessibleName("Users")

    def set_table(self, proxy: QSortFilterProxyModel, source: UserTableModel) -> None:
        """Show a new document's users; its key column moves to the left and is frozen."""
        self.setModel(proxy)
        self.delegate.model = source
        self.frozen.setModel(proxy)
        self.frozen.setSelectionModel(self.selectionModel())
        self.key_column = source.document.key_column
        header = self.horizontalHeader()
        for col in range(proxy.columnCount()):
            self.frozen.setColumnHidden(col, col != self.key_column)
        if self.key_column is not None:
            for view_header in (header, self.frozen.horizontalHeader()):
                view_header.moveSection(view_header.visualIndex(self.key_column), 0)
        self.resize_columns()
        self.frozen.setVisible(self.key_column is not None)
        self._update_frozen_geometry()

    def resize_columns(self) -> None:
        """Fit columns to their headers and the first rows, not the whole file (fast)."""
        metrics = self.fontMetrics()
        model = self.model()
        rows = min(model.rowCount(), 200)
        for col in range(model.columnCount()):
            header = str(model.headerData(col, Qt.Orientation.Horizontal) or "")
            width = metrics.horizontalAdvance(header) + 48
            for row in range(rows):
                text = str(model.index(row, col).data() or "")
                width = max(width, metrics.horizontalAdvance(text) + 40)
            self.setColumnWidth(col, min(width, 320))

    # --- keep the frozen column in step --------------------------------------------------

    def _section_resized(self, logical: int, _old: int, new: int) -> None:
        if logical == self.key_column:
            self.frozen.setColumnWidth(logical, new)
            self._update_frozen_geometry()

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self._update_frozen_geometry()

    def _update_frozen_geometry(self) -> None:
        if self.key_column is None:
            return
        self.frozen.setColumnWidth(self.key_column, self.columnWidth(self.key_column))
        self.frozen.setGeometry(
            self.verticalHeader().width() + self.frameWidth(),
            self.frameWidth(),
            self.columnWidth(self.key_column),
            self.viewport().height() + self.horizontalHeader().height(),
        )

    def updateGeometries(self) -> None:
        super().updateGeometries()
        self._update_frozen_geometry()

    def moveCursor(
        self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        current = super().moveCursor(action, modifiers)
        if self.key_column is None or not current.isValid():
            return current
        frozen_width = self.columnWidth(self.key_column)
        if (
            action == QAbstractItemView.CursorAction.MoveLeft
            and current.column() != self.key_column
            and self.visualRect(current).topLeft().x() < frozen_width
        ):
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() + self.visualRect(current).topLeft().x() - frozen_width)
        return current

    def scrollTo(
        self,
        index: Index,
        hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible,
    ) -> None:
        if index.column() != self.key_column:
            super().scrollTo(index, hint)
        else:
            # Only scroll vertically: the key column is always in view.
            column = self.horizontalScrollBar().value()
            super().scrollTo(index, hint)
            self.horizontalScrollBar().setValue(column)

    # --- context menu: clipboard and one-click fixes ----------------------------------------

    def contextMenuEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        model = self.delegate.model
        proxy = self.model()
        if model is None or not isinstance(proxy, QSortFilterProxyModel):
            return
        menu = QMenu(self)
        index = self.indexAt(event.pos())
        if index.isValid():
            source = proxy.mapToSource(index)
            row, col = source.row(), source.column()
            for issue in model.document.cell_issues(row, col):
                if issue.fix is not None:
                    shown = issue.fix if issue.fix else "(empty)"
                    action = menu.addAction(f"Use '{shown}'")
                    action.triggered.connect(
                        lambda _=False, r=row, c=col, v=issue.fix: model.set_cells(
                            [(r, c, v)], "Fix"
                        )
                    )
            if not menu.isEmpty():
                menu.addSeparator()
        menu.addAction("Copy", self.copy_selection)
        menu.addAction("Paste", self.paste)
        menu.addAction("Clear", self.clear_selection)
        menu.exec(event.globalPos())

    # --- clipboard ---------------------------------------------------------------------

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
        elif event.matches(QKeySequence.StandardKey.Paste):
            self.paste()
        elif (
            event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
            and self.state() != QAbstractItemView.State.EditingState
        ):
            self.clear_selection()
        else:
            super().keyPressEvent(event)

    def _selected_source_cells(self) -> list[tuple[int, int]]:
        proxy = self.model()
        assert isinstance(proxy, QSortFilterProxyModel)
        cells = []
        for index in self.selectionModel().selectedIndexes():
            source = proxy.mapToSource(index)
            cells.append((source.row(), source.column()))
        return sorted(cells)

    def copy_selection(self) -> None:
        """Copy the selected cells as tab-separated lines, as Excel does."""
        indexes = sorted(
            self.selectionModel().selectedIndexes(),
            key=lambda i: (i.row(), self.horizontalHeader().visualIndex(i.column())),
        )
        if not indexes:
            return
        rows: dict[int, list[str]] = {}
        for index in indexes:
            rows.setdefault(index.row(), []).append(str(index.data(Qt.ItemDataRole.EditRole) or ""))
        QGuiApplication.clipboard().setText("\n".join("\t".join(r) for r in rows.values()))

    def paste(self) -> None:
        """Paste a block from Excel at the current cell; the locked key column is skipped."""
        source_model = self.delegate.model
        proxy = self.model()
        if source_model is None or not isinstance(proxy, QSortFilterProxyModel):
            return
        text = QGuiApplication.clipboard().text()
        current = self.currentIndex()
        if not text or not current.isValid():
            return
        block = [line.split("\t") for line in text.rstrip("\r\n").replace("\r\n", "\n").split("\n")]
        selected = self.selectionModel().selectedIndexes()
        header = self.horizontalHeader()
        if len(block) == 1 and len(block[0]) == 1 and len(selected) > 1:
            # One value into a selection fills the selection, as in Excel.
            targets = [
                (proxy.mapToSource(i).row(), proxy.mapToSource(i).column()) for i in selected
            ]
            changes = [(r, c, block[0][0]) for r, c in targets]
        else:
            changes = []
            first_visual = header.visualIndex(current.column())
            for dr, values in enumerate(block):
                proxy_row = current.row() + dr
                if proxy_row >= proxy.rowCount():
                    break
                for dc, value in enumerate(values):
                    logical = header.logicalIndex(first_visual + dc)
                    if logical < 0:
                        break
                    source = proxy.mapToSource(proxy.index(proxy_row, logical))
                    changes.append((source.row(), source.column(), value))
        source_model.set_cells(changes, "Paste")

    def clear_selection(self) -> None:
        """Empty the selected cells (never the key column)."""
        if self.delegate.model is None:
            return
        changes = [(r, c, "") for r, c in self._selected_source_cells()]
        self.delegate.model.set_cells(changes, "Clear")
