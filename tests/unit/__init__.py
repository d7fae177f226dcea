"""Unit tests, one folder per services area, mirroring the code."""
