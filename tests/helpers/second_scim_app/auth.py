"""Bearer-token authentication in front of django-scim2 (which leaves it to the project)."""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from django.contrib.auth.models import AnonymousUser

SCIM_CLIENT = SimpleNamespace(is_authenticated=True, username="scim-client")


class BearerToken:
    """Sets ``request.user`` when the request carries ``Authorization: Bearer <token>``.

    Without it the user stays anonymous, and django-scim2 answers 401 on every
    endpoint (its /ServiceProviderConfig included).
    """

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response
        self.token = os.environ["SECOND_SCIM_TOKEN"]

    def __call__(self, request: Any) -> Any:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        ok = scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), self.token)
        request.user = SCIM_CLIENT if ok else AnonymousUser()
        return self.get_response(request)
