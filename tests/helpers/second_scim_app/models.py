"""The user and group models django-scim2's stock adapters expect (sqlite tables)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django_scim.models import AbstractSCIMGroupMixin, AbstractSCIMUserMixin


class Group(AbstractSCIMGroupMixin):
    """A SCIM group: ``name`` is its displayName, ``user_set`` its members."""

    name = models.CharField(max_length=150, unique=True)

    class Meta:
        app_label = "second_scim_app"


class User(AbstractSCIMUserMixin, AbstractUser):
    """Django's user (username, names, email, is_active) with the SCIM id and externalId."""

    scim_groups = models.ManyToManyField(Group, related_name="user_set", blank=True)

    class Meta:
        app_label = "second_scim_app"
