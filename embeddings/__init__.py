"""Passages in, vectors and indexes out."""
