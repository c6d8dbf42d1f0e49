"""Gradio's handlers under the same rules as the JSON API: who is asking, checked inputs, the same queue.

Gradio calls a handler with whatever JSON a client posts (a number where a list is expected, lone
surrogates in a string), and its own queue knows nothing of our per-client limits. These helpers give its
handlers the client address our queue counts, refuse malformed values with a clear message instead of a
500, and turn the queue's refusals into Chinese messages.
"""
from __future__ import annotations

from typing import Any, Awaitable, TypeVar

import gradio as gr

from assistant.compare import ComparisonStopped

from .queueing import DeadlineExceeded, Overloaded

T = TypeVar("T")

BUSY = "服务繁忙，请稍后再试。"
TOO_MANY = "您的请求太多了，请等前面的完成后再试。"
TOO_SLOW = "这次对比用时太长，已停止，请缩小范围后再试。"
BAD_TEXT = "文本中含有无效字符，请检查后重新输入。"


class Refused(Exception):
    """A Gradio call refused with a message for people (the handler shows it or raises gr.Error)."""


def client_of(request: gr.Request | None) -> str | None:
    """The client address as the queue counts it (the same as client_key for our own routes)."""
    client = getattr(request, "client", None) if request is not None else None
    host = getattr(client, "host", None)
    return str(host) if host else "unknown"


def text_value(value: Any, name: str = "question") -> str:
    """A string input: None is "", a non-string or a string with lone surrogates is refused."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Refused(f"{name} 必须是字符串。")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused(BAD_TEXT) from None
    return value


def text_list(value: Any, name: str = "history", max_items: int = 50) -> list[str]:
    """A list of strings (previous questions): anything else is refused, not iterated."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > max_items:
        raise Refused(f"{name} 必须是不超过 {max_items} 项的字符串列表。")
    return [text_value(v, name) for v in value]


async def queued(job: Awaitable[T]) -> T:
    """Await a job on the service's queue; its refusals become Refused with a message for people."""
    try:
        return await job
    except Overloaded as exc:
        raise Refused(TOO_MANY if exc.scope == "client" else BUSY) from None
    except DeadlineExceeded:
        raise Refused(BUSY) from None
    except ComparisonStopped:
        raise Refused(TOO_SLOW) from None
