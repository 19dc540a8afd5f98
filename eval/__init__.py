"""Evaluation utilities for codeseed (pure metric functions live in :mod:`eval.metrics`)."""
