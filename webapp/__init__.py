"""The web front of the assistant: a Gradio chat page, a compact widget and a JSON API on one FastAPI app.

Importing this package switches Gradio's analytics off *before* Gradio is
imported anywhere: the app runs on intranets where no request may leave the
machine, and Gradio reads the variable at import time.
"""
from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # forced, not setdefault: phoning home is never wanted
os.environ.setdefault("GRADIO_SSR_MODE", "False")  # no Node server: plain static frontend only

from .config import ServerConfig  # noqa: E402

__all__ = ["ServerConfig"]
