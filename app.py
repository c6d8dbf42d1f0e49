"""Entry point: `python app.py [--host H] [--port P] [--root-path /qa] [--index-dir DIR] [--corpus DIR] ...`.

Serves the chat page at /, the embeddable widget at /widget and the JSON API
at /api/ask (see docs/web.md).
"""
from __future__ import annotations

import os
import sys

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before anything imports gradio

from webapp.server import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
