"""Python SDK of easytask: typed Connect clients (``Client``, ``AsyncClient``)
and task-server helpers (``TaskServer`` on http.server or WSGI,
``AsyncTaskServer`` on ASGI). The API's messages are in ``easytask.v1``."""

from .async_task_server import AsyncHandler, AsyncTaskServer
from .client import AsyncClient, Client
from .context import TaskContext
from .errors import TaskServerError, error_detail
from .protocol import TaskResult
from .signature import (
    DEFAULT_SIGNATURE_TOLERANCE_SEC,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    verify_signature,
)
from .task_server import Handler, TaskServer

__all__ = [
    "DEFAULT_SIGNATURE_TOLERANCE_SEC",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "AsyncClient",
    "AsyncHandler",
    "AsyncTaskServer",
    "Client",
    "Handler",
    "SignatureError",
    "TaskContext",
    "TaskResult",
    "TaskServer",
    "TaskServerError",
    "error_detail",
    "verify_signature",
]
