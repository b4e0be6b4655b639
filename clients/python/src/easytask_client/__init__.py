"""Python SDK of easytask: typed Connect clients (``Client``) and a task-server
helper (``TaskServer``). The API's messages are in ``easytask.v1``."""

from .client import Client
from .task_server import Handler, TaskServer

__all__ = ["Client", "Handler", "TaskServer"]
