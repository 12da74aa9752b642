"""The SCIM API under /scim/v2/, as django-scim2's documentation sets it up."""

from django.urls import include, path

urlpatterns = [path("scim/v2/", include("django_scim.urls", namespace="scim"))]
