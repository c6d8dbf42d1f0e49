"""Extractive reader: question analysis, candidate spans, and span selection."""
from .extractor import Candidate, Reader, Reading
from .question import QuestionInfo, analyze

__all__ = ["Candidate", "QuestionInfo", "Reader", "Reading", "analyze"]
