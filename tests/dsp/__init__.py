"""Tests for emgspasm.dsp (a package so test module names cannot clash with other test folders)."""
