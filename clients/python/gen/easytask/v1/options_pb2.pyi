from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor
LEGACY_PATH_FIELD_NUMBER: _ClassVar[int]
legacy_path: _descriptor.FieldDescriptor
ERROR_FIELD_NUMBER: _ClassVar[int]
error: _descriptor.FieldDescriptor
LIMITS_FIELD_NUMBER: _ClassVar[int]
limits: _descriptor.FieldDescriptor

class ErrorMapping(_message.Message):
    __slots__ = ("connect_code", "envelope_code")
    CONNECT_CODE_FIELD_NUMBER: _ClassVar[int]
    ENVELOPE_CODE_FIELD_NUMBER: _ClassVar[int]
    connect_code: str
    envelope_code: int
    def __init__(self, connect_code: _Optional[str] = ..., envelope_code: _Optional[int] = ...) -> None: ...

class FieldLimits(_message.Message):
    __slots__ = ("max_chars", "max_bytes", "max_value")
    MAX_CHARS_FIELD_NUMBER: _ClassVar[int]
    MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_VALUE_FIELD_NUMBER: _ClassVar[int]
    max_chars: int
    max_bytes: int
    max_value: int
    def __init__(self, max_chars: _Optional[int] = ..., max_bytes: _Optional[int] = ..., max_value: _Optional[int] = ...) -> None: ...
