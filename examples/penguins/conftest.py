"""Puts this folder on sys.path so the tests import the example's modules by name."""
