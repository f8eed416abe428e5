"""Tests for the module package loader and checker."""
