"""Grading: run hidden tests against a submission and return structured results."""
