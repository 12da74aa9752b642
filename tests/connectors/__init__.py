"""Tests of the SCIM connector and the token store, against a real scim2-server."""
