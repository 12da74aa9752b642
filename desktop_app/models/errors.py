"""Problems the user must hear about, each as one plain sentence."""


class UserFacingError(Exception):
    """An error whose message is a complete sentence for a non-technical admin."""


class FileProblem(UserFacingError):
    """The file cannot be opened or saved; the message says why and what to do."""
