"""Batch evaluation of the assistant on a QA set (`python -m eval run`)."""
