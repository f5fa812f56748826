"""Benchmarks of gflow_lib (``make bench``); not part of ``make test`` (a smoke run is)."""
