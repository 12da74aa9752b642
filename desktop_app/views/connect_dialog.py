"""Connect to a SCIM server: its address and token, tested before they are kept.

The token is kept in the operating system's keyring, never in settings or files.

A platform whose SCIM API cannot add users (Udemy Business) invites new rows through
its own API: for a file of such a platform the dialog also asks for that API's
organisation id (kept in the settings: it is not a secret) and personal access token
(kept in the keyring, like the SCIM token), and tests them with the SCIM connection.
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

from desktop_app.i18n import _
from desktop_app.views import theme
from desktop_app.views.workers import Worker, start


def test_connection(url: str, token: str) -> str:
    from desktop_app.connectors.scim import ScimClient

    with ScimClient(url, token, max_retries=0) as client:
        return client.test_connection()


def test_invite_api(api: str, base_url: str, org: str, token: str) -> None:
    """Check an invite API's organisation id and token; raises its one sentence if wrong."""
    from desktop_app.connectors.udemy import UdemyInviteClient
    from desktop_app.models.errors import UserFacingError

    if api != "udemy":
        raise UserFacingError(_("The invite API '{api}' is not known.").format(api=api))
    with UdemyInviteClient(base_url, org, token, max_retries=0) as client:
        client.check()


def invite_setting(api: str) -> str:
    """The setting that holds the organisation id of an invite API (read by the upload)."""
    return f"{api}Organisation"


_INVITE_NAMES = {"udemy": "Udemy"}


class ConnectDialog(QDialog):
    """Asks for the server and token; ``url`` and ``token`` hold them once accepted.

    With ``invite_api`` (the open file's profile adds new users through its platform's
    own API, at ``invite_url``) it also asks for that API's organisation id and
    personal access token; ``invite_org`` and ``invite_token`` hold them once accepted.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        url: str = "",
        token: str = "",
        *,
        invite_api: str | None = None,
        invite_url: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Connect to your platform"))
        self.url_edit = QLineEdit(url or str(QSettings().value("serverUrl", "")))
        self.url_edit.setPlaceholderText("https://your-platform.example.com/scim/v2")
        self.url_edit.setAccessibleName(_("Server address"))
        self.token_edit = QLineEdit(token)
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setAccessibleName(_("Token"))
        if not token and self.url_edit.text():
            self.token_edit.setText(_saved_token(self.url_edit.text()))
        self.token_edit.setPlaceholderText(_("The API token from your platform's admin settings"))
        intro = QLabel(
            _(
                "Enter the SCIM address and the API token that your platform's admin settings "
                "show. The token is kept in this computer's keychain, never in a file."
            )
        )
        intro.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self._status_ok: bool | None = None
        self._status_style = theme.follow(self.status, self._status_sheet)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow(_("Server address:"), self.url_edit)
        form.addRow(_("Token:"), self.token_edit)
        self.invite_api = invite_api
        self.invite_url = invite_url
        self.org_edit: QLineEdit | None = None
        self.invite_token_edit: QLineEdit | None = None
        if invite_api:
            self._add_invite_fields(form, invite_api)
        self.test_button = QPushButton(_("Test Connection"))
        self.test_button.clicked.connect(self.test)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("Connect"))
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
        self.invite_org = ""
        self.invite_token = ""
        self._worker: Worker | None = None
        self._accept_when_ok = False

    def _add_invite_fields(self, form: QFormLayout, api: str) -> None:
        name = _INVITE_NAMES.get(api, api.title())
        org = str(QSettings().value(invite_setting(api), "") or "")
        self.org_edit = QLineEdit(org)
        self.org_edit.setPlaceholderText("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
        self.org_edit.setAccessibleName(_("{name} organisation id").format(name=name))
        self.invite_token_edit = QLineEdit(_saved_invite_token(api, org) if org else "")
        self.invite_token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.invite_token_edit.setAccessibleName(_("Personal access token"))
        self.invite_token_edit.setPlaceholderText(
            _("The personal access token from {name}").format(name=name)
        )
        help_text = QLabel(
            _(
                "{name}'s SCIM API cannot add users: new rows are invited with these. "
                "Find them in {name} under Settings › API."
            ).format(name=name)
        )
        help_text.setWordWrap(True)
        form.addRow(_("{name} organisation id:").format(name=name), self.org_edit)
        form.addRow(_("Personal access token:"), self.invite_token_edit)
        form.addRow("", help_text)

    def _invite_values(self) -> tuple[str, str]:
        if self.org_edit is None or self.invite_token_edit is None:
            return "", ""
        return self.org_edit.text().strip(), self.invite_token_edit.text().strip()

    def test(self) -> None:
        url, token = self.url_edit.text().strip(), self.token_edit.text().strip()
        if not url or not token:
            self._say(_("Enter both the server address and the token."), ok=False)
            return
        api, invite_url = self.invite_api, self.invite_url
        org, invite_token = self._invite_values()
        if api and (not org or not invite_token):
            name = _INVITE_NAMES.get(api, api.title())
            self._say(
                _(
                    "Enter the {name} organisation id and personal access token too: "
                    "new rows are invited with them."
                ).format(name=name),
                ok=False,
            )
            return
        self._say(_("Testing the connection…"), ok=None)
        self.test_button.setEnabled(False)
        self.ok_button.setEnabled(False)

        def job(_report: object) -> str:
            sentence = test_connection(url, token)
            if api:
                test_invite_api(api, invite_url, org, invite_token)
            return sentence

        worker = Worker(job)
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
            if self.invite_api:
                self.invite_org, self.invite_token = self._invite_values()
                QSettings().setValue(invite_setting(self.invite_api), self.invite_org)
                kept = _save_invite_token(self.invite_api, self.invite_org, self.invite_token)
                if kept is not None:
                    saved = f"{saved} {kept}" if saved else kept
            if saved is not None:
                self._say(f"{sentence} {saved}", ok=True)
            self.accept()

    def _failed(self, sentence: str) -> None:
        self._worker = None
        self._accept_when_ok = False
        self.test_button.setEnabled(True)
        self.ok_button.setEnabled(True)
        self._say(sentence, ok=False)

    def _status_sheet(self, colours: theme.Colours) -> str:
        """Green when the connection works, red when it does not, grey while testing."""
        ok: bool | None = getattr(self, "_status_ok", None)
        if ok is None:
            colour = colours.muted_text
        else:
            colour = colours.good_text if ok else colours.problem_text
        return f"color: {colour.name()};"

    def _say(self, text: str, ok: bool | None) -> None:
        self._status_ok = ok
        self._status_style.apply()
        self.status.setText(text)
        # A long sentence wraps onto more lines than the dialog was sized for: grow to show it.
        layout = self.layout()
        if layout is not None and layout.hasHeightForWidth():
            needed = layout.totalHeightForWidth(self.width())
        else:
            needed = self.sizeHint().height()
        if needed > self.height():
            self.resize(self.width(), needed)


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
        return _("{error} The token is used until you close the app.").format(error=error)
    return None


def _saved_invite_token(api: str, org: str) -> str:
    from desktop_app.connectors.credentials import load_invite_token
    from desktop_app.models.errors import UserFacingError

    try:
        return load_invite_token(api, org) or ""
    except UserFacingError:
        return ""


def _save_invite_token(api: str, org: str, token: str) -> str | None:
    """Keep the invite API's token in the keyring; a sentence when this computer has none."""
    from desktop_app.connectors.credentials import save_invite_token
    from desktop_app.models.errors import UserFacingError

    try:
        save_invite_token(api, org, token)
    except UserFacingError as error:
        return _("{error} New rows cannot be invited until it is kept.").format(error=error)
    return None
