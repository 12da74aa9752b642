"""Connectors to the platforms the app uploads to: SCIM 2.0 servers, and the OS keyring.

Nothing in this package imports Qt; every failure reaches the window as a
:class:`~desktop_app.models.errors.UserFacingError` whose message is one plain sentence.
"""
