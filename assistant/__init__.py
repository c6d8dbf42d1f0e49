"""Extractive question answering over government work reports, with citations.

Use `assistant.pipeline.Assistant` (imported lazily here so that light modules
such as `assistant.types` load without the search stack).
"""
from __future__ import annotations

from typing import Any

__all__ = ["Assistant", "Settings"]


def __getattr__(name: str) -> Any:
    if name == "Assistant":
        from .pipeline import Assistant

        return Assistant
    if name == "Settings":
        from .config import Settings

        return Settings
    raise AttributeError(name)
