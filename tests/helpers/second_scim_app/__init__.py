"""A tiny Django project serving django-scim2: the tests' second, independent SCIM server.

It stores users and groups in sqlite through django-scim2's stock adapters, as a
platform built on that library would. Run it with ``python -m
tests.helpers.second_scim_app`` (see ``__main__``); ``tests.helpers.second_scim``
starts and stops it for the tests.
"""
