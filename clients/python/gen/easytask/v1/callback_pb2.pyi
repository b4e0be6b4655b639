from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class HeartbeatRequest(_message.Message):
    __slots__ = ("cmd",)
    CMD_FIELD_NUMBER: _ClassVar[int]
    cmd: int
    def __init__(self, cmd: _Optional[int] = ...) -> None: ...

class HeartbeatResponse(_message.Message):
    __slots__ = ("pong",)
    PONG_FIELD_NUMBER: _ClassVar[int]
    pong: bool
    def __init__(self, pong: _Optional[bool] = ...) -> None: ...

class TaskCallbackRequest(_message.Message):
    __slots__ = ("cmd", "task_id", "task_name", "arg", "run_times", "biz_id", "attempt", "shard_index", "shard_total")
    CMD_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_NAME_FIELD_NUMBER: _ClassVar[int]
    ARG_FIELD_NUMBER: _ClassVar[int]
    RUN_TIMES_FIELD_NUMBER: _ClassVar[int]
    BIZ_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    SHARD_INDEX_FIELD_NUMBER: _ClassVar[int]
    SHARD_TOTAL_FIELD_NUMBER: _ClassVar[int]
    cmd: int
    task_id: int
    task_name: str
    arg: str
    run_times: int
    biz_id: str
    attempt: int
    shard_index: int
    shard_total: int
    def __init__(self, cmd: _Optional[int] = ..., task_id: _Optional[int] = ..., task_name: _Optional[str] = ..., arg: _Optional[str] = ..., run_times: _Optional[int] = ..., biz_id: _Optional[str] = ..., attempt: _Optional[int] = ..., shard_index: _Optional[int] = ..., shard_total: _Optional[int] = ...) -> None: ...

class TaskCallbackResponse(_message.Message):
    __slots__ = ("is_run_in_async", "is_success", "extra")
    IS_RUN_IN_ASYNC_FIELD_NUMBER: _ClassVar[int]
    IS_SUCCESS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    is_run_in_async: bool
    is_success: bool
    extra: str
    def __init__(self, is_run_in_async: _Optional[bool] = ..., is_success: _Optional[bool] = ..., extra: _Optional[str] = ...) -> None: ...
