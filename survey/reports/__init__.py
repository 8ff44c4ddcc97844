"""Printable outputs built from the results: the per-unit report as a PDF."""
