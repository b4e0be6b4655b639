from easytask.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_REASON_UNSPECIFIED: _ClassVar[ErrorReason]
    ERROR_REASON_INVALID_ARGUMENT: _ClassVar[ErrorReason]
    ERROR_REASON_TASK_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_TASK_SERVER_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_SERVER_STOPPED: _ClassVar[ErrorReason]
    ERROR_REASON_RUN_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_RUN_NOT_CONFIRMABLE: _ClassVar[ErrorReason]
    ERROR_REASON_RUN_NOT_OPEN: _ClassVar[ErrorReason]
    ERROR_REASON_TASK_STATE: _ClassVar[ErrorReason]
    ERROR_REASON_UNAUTHENTICATED: _ClassVar[ErrorReason]
    ERROR_REASON_TASK_SERVER_IN_USE: _ClassVar[ErrorReason]
    ERROR_REASON_RUN_NOT_RETRYABLE: _ClassVar[ErrorReason]
    ERROR_REASON_READ_ONLY_TOKEN: _ClassVar[ErrorReason]
ERROR_REASON_UNSPECIFIED: ErrorReason
ERROR_REASON_INVALID_ARGUMENT: ErrorReason
ERROR_REASON_TASK_NOT_FOUND: ErrorReason
ERROR_REASON_TASK_SERVER_NOT_FOUND: ErrorReason
ERROR_REASON_SERVER_STOPPED: ErrorReason
ERROR_REASON_RUN_NOT_FOUND: ErrorReason
ERROR_REASON_RUN_NOT_CONFIRMABLE: ErrorReason
ERROR_REASON_RUN_NOT_OPEN: ErrorReason
ERROR_REASON_TASK_STATE: ErrorReason
ERROR_REASON_UNAUTHENTICATED: ErrorReason
ERROR_REASON_TASK_SERVER_IN_USE: ErrorReason
ERROR_REASON_RUN_NOT_RETRYABLE: ErrorReason
ERROR_REASON_READ_ONLY_TOKEN: ErrorReason

class ErrorDetail(_message.Message):
    __slots__ = ("reason", "field")
    REASON_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    reason: ErrorReason
    field: str
    def __init__(self, reason: _Optional[_Union[ErrorReason, str]] = ..., field: _Optional[str] = ...) -> None: ...
