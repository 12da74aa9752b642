"""Tests of the services: sending writes, journals, uploads."""
