"""Tests of the reports layer."""
