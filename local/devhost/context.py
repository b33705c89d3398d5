"""The invocation context a function receives when it declares a `context` parameter."""

from __future__ import annotations

import threading
from pathlib import Path

import azure.functions as func
from azure.functions._abc import RetryContext, RpcException, TraceContext

_thread_local = threading.local()


class _NoTrace(TraceContext):
    """No distributed trace reaches the dev host, so every field is empty."""

    trace_state = ""
    trace_parent = ""

    @property
    def attributes(self) -> dict[str, str]:
        return {}


class _NoException(RpcException):
    source = ""
    stack_trace = ""
    message = ""


class _FirstTry(RetryContext):
    """The dev host applies no retry policy: every invocation is the first and the last."""

    retry_count = 0
    max_retry_count = 0

    @property
    def exception(self) -> RpcException:
        return _NoException()


class InvocationContext(func.Context):
    """The fields the Python worker fills, from what the dev host knows."""

    def __init__(self, function_name: str, invocation_id: str, function_directory: Path) -> None:
        self._function_name = function_name
        self._invocation_id = invocation_id
        self._function_directory = str(function_directory)

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> threading.local:  # type: ignore[override]
        # The ABC annotates a type, but the worker hands out an instance, and so does this.
        return _thread_local

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def trace_context(self) -> TraceContext:
        return _NoTrace()

    @property
    def retry_context(self) -> RetryContext:
        return _FirstTry()
