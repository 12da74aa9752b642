"""Services: the work behind the window's commands (sending users to a server, journals, uploads).

They sit between the models (the table and its checks) and the connectors (the
SCIM client), hold no Qt objects, and report to the window through small
callback protocols, so the same code runs in the window, the command line and
the benchmarks.
"""
