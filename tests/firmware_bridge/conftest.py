"""Shared by the firmware_bridge tests.

This directory has no ``__init__.py``, so pytest puts it on ``sys.path`` when it loads this file:
helper modules beside it (`stream_check`) import by name from the tests in every subdirectory.
"""

from hypothesis import settings

# CI must be deterministic: every hypothesis test here (codecs, captures) draws the same
# examples on every run. Tests' own @settings(max_examples=..., deadline=None) inherit this
# profile because it is loaded before their modules are imported.
settings.register_profile("firmware_bridge", derandomize=True, deadline=None)
settings.load_profile("firmware_bridge")
