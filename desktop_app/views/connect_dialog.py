"""Connect to a SCIM server: its address and token, tested before they are kept.

The token is kept in the operating system's keyring, never in settings or files.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.views.workers import Worker, start


def test_connection(url: str, token: str) -> str:
    from desktop_app.connectors.scim import ScimClient

    with ScimClient(url, token, max_retries=0) as client:
        return client.test_connection()


class ConnectDialog(QDialog):
    """Asks for the server and token; ``url`` and ``token`` hold them once accepted."""

    def __init__(self, parent: QWidget | None = None, url: str = "", token: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to your platform")
        self.url_edit = QLineEdit(url or str(QSettings().value("serverUrl", "")))
        self.url_edit.setPlaceholderText("https://your-platform.example.com/scim/v2")
        self.url_edit.setAccessibleName("Server address")
        self.token_edit = QLineEdit(token)
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setAccessibleName("Token")
        if not token and self.url_edit.text():
            self.token_edit.setText(_saved_token(self.url_edit.text()))
        self.token_edit.setPlaceholderText("The API token from your platform's admin settings")
        intro = QLabel(
            "Enter the SCIM address and the API token that your platform's admin settings "
            "show. The token is kept in this computer's keychain, never in a file."
        )
        intro.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Server address:", self.url_edit)
        form.addRow("Token:", self.token_edit)
        self.test_button = QPushButton("Test Connection")
        self.test_button.clicked.connect(self.test)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Connect")
        buttons.accepted.connect(self.connect_and_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())
        self.url = ""
        self.token = ""
        self._worker: Worker | None = None
        self._accept_when_ok = False

    def test(self) -> None:
        url, token = self.url_edit.text().strip(), self.token_edit.text().strip()
        if not url or not token:
            self._say("Enter both the server address and the token.", ok=False)
            return
        self._say("Testing the connection…", ok=None)
        self.test_button.setEnabled(False)
        self.ok_button.setEnabled(False)
        worker = Worker(lambda _report: test_connection(url, token))
        worker.finished.connect(self._tested)
        worker.failed.connect(self._failed)
        self._worker = worker
        start(worker, self)

    def connect_and_accept(self) -> None:
        self._accept_when_ok = True
        self.test()

    def _tested(self, sentence: str) -> None:
        self._worker = None
        self.test_button.setEnabled(True)
        self.ok_button.setEnabled(True)
        self._say(sentence, ok=True)
        if self._accept_when_ok:
            self.url = self.url_edit.text().strip()
            self.token = self.token_edit.text().strip()
            QSettings().setValue("serverUrl", self.url)
            saved = _save_token(self.url, self.token)
            if saved is not None:
                self._say(f"{sentence} {saved}", ok=True)
            self.accept()

    def _failed(self, sentence: str) -> None:
        self._worker = None
        self._accept_when_ok = False
        self.test_button.setEnabled(True)
        self.ok_button.setEnabled(True)
        self._say(sentence, ok=False)

    def _say(self, text: str, ok: bool | None) -> None:
        colour = {True: "#276749", False: "#9b2c2c", None: "#4a5568"}[ok]
        self.status.setStyleSheet(f"color: {colour};")
        self.status.setText(text)


def _saved_token(url: str) -> str:
    from desktop_app.connectors.credentials import load_token
    from desktop_app.models.errors import UserFacingError

    try:
        return load_token(url) or ""
    except UserFacingError:
        return ""


def _save_token(url: str, token: str) -> str | None:
    """Keep the token in the keyring; a sentence when this computer has none."""
    from desktop_app.connectors.credentials import save_token
    from desktop_app.models.errors import UserFacingError

    try:
        save_token(url, token)
    except UserFacingError as error:
        return f"{error} The token is used until you close the app."
    return None
