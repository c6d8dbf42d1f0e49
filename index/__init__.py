"""The search index: `python -m index build` (built indexes live in index/built/, never committed)."""
