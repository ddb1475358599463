"""Tests of the check-in web pages."""
