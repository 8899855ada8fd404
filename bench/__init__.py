"""Benchmarks (`just bench`): each one reports ratios measured in one run on one machine."""
