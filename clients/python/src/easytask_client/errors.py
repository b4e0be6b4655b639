"""The easytask reason of a refused call, and the error of a task server that
could not start."""

from __future__ import annotations

from connectrpc.errors import ConnectError
from easytask.v1.errors_pb2 import ErrorDetail


class TaskServerError(Exception):
    """A task server could not start: says which step failed; the error of
    that step is ``__cause__`` (a ``ConnectError`` when the scheduler refused)."""


def error_detail(err: ConnectError) -> ErrorDetail | None:
    """The ``easytask.v1.ErrorDetail`` of a refused call (its ``reason``, an
    ``ErrorReason``, and the request ``field`` it is about), or None.

    connectrpc's ``detail.value(ErrorDetail)`` cannot unpack the google
    protobuf classes this package is generated for; this reads the bytes."""
    for detail in err.details:
        if detail.type_name == ErrorDetail.DESCRIPTOR.full_name:
            return ErrorDetail.FromString(detail.message_bytes)
    return None
