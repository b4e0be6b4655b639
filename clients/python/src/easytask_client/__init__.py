"""Python SDK of easytask: typed Connect clients (``Client``) and a task-server
helper (``TaskServer``). The API's messages are in ``easytask.v1``."""

from .client import Client
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
    "Client",
    "Handler",
    "SignatureError",
    "TaskServer",
    "verify_signature",
]
