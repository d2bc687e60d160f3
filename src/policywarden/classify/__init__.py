"""Scoring backends: the embedded model, policy patterns and examples."""
