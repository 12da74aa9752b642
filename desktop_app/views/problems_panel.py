"""The Problems panel: every issue in the file, one line each; a click goes to the cell."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QLabel, QListView, QVBoxLayout, QWidget

from desktop_app.models.document import Problem, UserDocument
from desktop_app.views.icons import icon

Index = QModelIndex | QPersistentModelIndex


class ProblemsModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[Problem] = []

    def set_problems(self, problems: list[Problem]) -> None:
        self.beginResetModel()
        self.problems = problems
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.problems)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        problem = self.problems[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"Row {problem.excel_row:,}:  {problem.message}"
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"Row {problem.excel_row:,}, column {problem.header}: {problem.message}"
            if problem.fix is not None:
                tip += f"\nRight-click the cell to use '{problem.fix}'."
            return tip
        if role == Qt.ItemDataRole.DecorationRole:
            return icon("warning")
        return None


class ProblemsPanel(QWidget):
    """Lists the problems; emits the (row, column) of the one the admin picks."""

    problemChosen = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ProblemsModel()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(True)
        self.list.setIconSize(QSize(16, 16))
        self.list.setAccessibleName("Problems")
        self.list.setWordWrap(False)
        self.list.activated.connect(self._chosen)
        self.list.clicked.connect(self._chosen)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.summary)
        layout.addWidget(self.list)

    def show_document(self, document: UserDocument | None) -> None:
        problems = document.problems() if document is not None else []
        self.model.set_problems(problems)
        if document is None:
            self.summary.setText("No file is open.")
        elif not problems:
            self.summary.setText("No problems: the platform should accept every row.")
        else:
            rows = document.red_rows
            self.summary.setText(
                f"{len(problems):,} {'problem' if len(problems) == 1 else 'problems'} in "
                f"{rows:,} {'row' if rows == 1 else 'rows'}. Click one to go to its cell."
            )

    def _chosen(self, index: QModelIndex) -> None:
        problem = self.model.problems[index.row()]
        self.problemChosen.emit(problem.row, problem.col)
