"""Shared by the firmware_bridge tests.

This directory has no ``__init__.py``, so pytest puts it on ``sys.path`` when it loads this file:
helper modules beside it (`stream_check`) import by name from the tests in every subdirectory.
"""
