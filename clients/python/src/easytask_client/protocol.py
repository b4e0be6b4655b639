"""The callback protocol without an HTTP server: what the task-server helpers
share, whichever server (http.server, WSGI, ASGI) carries the requests."""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Union

from easytask.v1.callback_pb2 import HeartbeatResponse, TaskCallbackRequest, TaskCallbackResponse
from easytask.v1.registry_pb2 import AddTaskServerRequest, DelTaskServerRequest
from easytask.v1.task_pb2 import ConfirmTaskRequest
from google.protobuf import json_format
from google.protobuf.message import Message

from .context import TaskContext, context_of
from .signature import DEFAULT_SIGNATURE_TOLERANCE_SEC, SignatureError, verify_signature

log = logging.getLogger("easytask_client")

#: What a handler returns: a ``TaskCallbackResponse``, or a dict of its fields
#: (``{"is_success": True, "extra": "…"}``, ``{"is_run_in_async": True}``).
TaskResult = Union[TaskCallbackResponse, Mapping[str, Any]]

#: An HTTP status and a JSON body.
Answer = tuple[int, bytes]



@dataclass(frozen=True)
class Call:
    """A task callback to run: the task and its handler's context."""

    task: TaskCallbackRequest
    ctx: TaskContext


def wire(message: Message) -> bytes:
    # As the scheduler's task servers always answered: proto field names,
    # zero values included.
    return json.dumps(
        json_format.MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
    ).encode()


def error(status: int, message: str) -> Answer:
    return status, json.dumps({"error": message}).encode()


def _is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return host == ""


def _items(headers: Any) -> list[tuple[str, Any]]:
    return list(headers.items()) if hasattr(headers, "items") else list(headers or ())


class CallbackProtocol:
    """Settings and protocol shared by ``TaskServer`` and ``AsyncTaskServer``:
    checks a request, parses the task, encodes the handler's result, and
    builds the registry and confirmation requests."""

    def __init__(
        self,
        name: str,
        handler: Callable[..., Any],
        *,
        advertise_host: str,
        port: int,
        callback_timeout_sec: int,
        health_check: bool,
        max_body_bytes: int,
        secret: str | None,
        signature_tolerance_sec: float = DEFAULT_SIGNATURE_TOLERANCE_SEC,
    ) -> None:
        if not name:
            raise ValueError("easytask: a task server needs a name (the srv_name of its tasks)")
        if not callable(handler):
            raise TypeError("easytask: a task server needs a handler function")
        if secret == "":
            raise ValueError("easytask: the task server's secret is empty: leave it out for unsigned callbacks")
        if not 0 <= port <= 65535:
            raise ValueError(f"easytask: port {port} is not a port")
        if _is_wildcard(advertise_host):
            raise ValueError(f"easytask: {advertise_host!r} is no address to call: set advertise_host, the address the scheduler calls")
        self.name = name
        self.advertise_host = advertise_host
        self.max_body_bytes = max_body_bytes
        self._callback_timeout_sec = callback_timeout_sec
        self._health_check = health_check
        self._secret = secret
        self._signature_tolerance_sec = signature_tolerance_sec

    def add_request(self, port: int) -> AddTaskServerRequest:
        return AddTaskServerRequest(
            name=self.name,
            schema="http",
            host=self.advertise_host,
            port=port,
            callback_timeout_sec=self._callback_timeout_sec,
            is_enable_health_check=self._health_check,
            # Absent, not empty: "" would remove the task server's secret.
            **({} if self._secret is None else {"secret": self._secret}),
        )

    def del_request(self, port: int) -> DelTaskServerRequest:
        return DelTaskServerRequest(name=self.name, schema="http", host=self.advertise_host, port=port)

    @staticmethod
    def confirm_request(task: TaskCallbackRequest, is_success: bool, extra: str) -> ConfirmTaskRequest:
        return ConfirmTaskRequest(task_id=task.task_id, task_run_times=task.run_times, is_success=is_success, extra=extra)

    def read(self, body: bytes, headers: Any, path: str) -> Answer | Call:
        """The answer to a request that is not a task callback (a heartbeat, a
        refusal), or the task and its handler's context."""
        items = _items(headers)
        if self._secret is not None:
            try:
                verify_signature(self._secret, _Pairs(items), body, self._signature_tolerance_sec)
            except SignatureError as err:
                return error(401, str(err))
        try:
            fields = json.loads(body)
        except ValueError:
            return error(400, "body is not a JSON object")
        if not isinstance(fields, dict):
            return error(400, "body is not a JSON object")
        if "task_id" not in fields:
            return 200, wire(HeartbeatResponse(pong=True))
        try:
            task = json_format.ParseDict(fields, TaskCallbackRequest(), ignore_unknown_fields=True)
        except json_format.ParseError as err:
            return error(400, f"body is not a task callback: {err}")
        return Call(task, context_of(path, items))

    @staticmethod
    def failed(task: TaskCallbackRequest, err: Exception) -> TaskCallbackResponse:
        # The run fails; the scheduler records why.
        log.warning("task %s run %s failed", task.task_id, task.run_times, exc_info=err)
        return TaskCallbackResponse(is_success=False, extra=str(err))

    @staticmethod
    def encode(task: TaskCallbackRequest, result: object) -> Answer:
        if isinstance(result, Mapping):
            try:
                result = json_format.ParseDict(dict(result), TaskCallbackResponse())
            except json_format.ParseError as err:
                return _refuse(task, f"the handler returned a dict that is not a TaskCallbackResponse: {err}")
        if not isinstance(result, TaskCallbackResponse):
            return _refuse(task, f"the handler returned {type(result).__name__}, not a TaskCallbackResponse or a dict of its fields")
        return 200, wire(result)


def _refuse(task: TaskCallbackRequest, reason: str) -> Answer:
    # Answered HTTP 500, which the scheduler records as a failed run without
    # the reason: say it here, where the handler runs.
    log.error("task %s run %s: %s; answering HTTP 500, which fails the run", task.task_id, task.run_times, reason)
    return error(500, reason)


class _Pairs:
    """Header pairs as ``verify_signature`` reads them (anything with ``items()``)."""

    def __init__(self, items: list[tuple[str, Any]]) -> None:
        self._items = items

    def items(self) -> list[tuple[str, Any]]:
        return self._items
