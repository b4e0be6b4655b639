import datetime

from easytask.v1 import options_pb2 as _options_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AddTaskServerRequest(_message.Message):
    __slots__ = ("name", "schema", "host", "port", "callback_timeout_sec", "is_enable_health_check", "secret")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_TIMEOUT_SEC_FIELD_NUMBER: _ClassVar[int]
    IS_ENABLE_HEALTH_CHECK_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    name: str
    schema: str
    host: str
    port: int
    callback_timeout_sec: int
    is_enable_health_check: bool
    secret: str
    def __init__(self, name: _Optional[str] = ..., schema: _Optional[str] = ..., host: _Optional[str] = ..., port: _Optional[int] = ..., callback_timeout_sec: _Optional[int] = ..., is_enable_health_check: _Optional[bool] = ..., secret: _Optional[str] = ...) -> None: ...

class AddTaskServerResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DelTaskServerRequest(_message.Message):
    __slots__ = ("name", "schema", "host", "port")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    name: str
    schema: str
    host: str
    port: int
    def __init__(self, name: _Optional[str] = ..., schema: _Optional[str] = ..., host: _Optional[str] = ..., port: _Optional[int] = ...) -> None: ...

class DelTaskServerResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DeleteTaskServerRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteTaskServerResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTaskServersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTaskServersResponse(_message.Message):
    __slots__ = ("task_servers",)
    TASK_SERVERS_FIELD_NUMBER: _ClassVar[int]
    task_servers: _containers.RepeatedCompositeFieldContainer[TaskServer]
    def __init__(self, task_servers: _Optional[_Iterable[_Union[TaskServer, _Mapping]]] = ...) -> None: ...

class TaskServer(_message.Message):
    __slots__ = ("task_server_id", "name", "routes", "signed", "evicted_routes")
    TASK_SERVER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    SIGNED_FIELD_NUMBER: _ClassVar[int]
    EVICTED_ROUTES_FIELD_NUMBER: _ClassVar[int]
    task_server_id: int
    name: str
    routes: _containers.RepeatedCompositeFieldContainer[Route]
    signed: bool
    evicted_routes: _containers.RepeatedCompositeFieldContainer[Route]
    def __init__(self, task_server_id: _Optional[int] = ..., name: _Optional[str] = ..., routes: _Optional[_Iterable[_Union[Route, _Mapping]]] = ..., signed: _Optional[bool] = ..., evicted_routes: _Optional[_Iterable[_Union[Route, _Mapping]]] = ...) -> None: ...

class Route(_message.Message):
    __slots__ = ("route_id", "schema", "host", "port", "callback_timeout_sec", "is_enable_health_check", "failed_health_checks", "last_heartbeat_at", "created_at", "evicted_at")
    ROUTE_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_TIMEOUT_SEC_FIELD_NUMBER: _ClassVar[int]
    IS_ENABLE_HEALTH_CHECK_FIELD_NUMBER: _ClassVar[int]
    FAILED_HEALTH_CHECKS_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    EVICTED_AT_FIELD_NUMBER: _ClassVar[int]
    route_id: int
    schema: str
    host: str
    port: int
    callback_timeout_sec: int
    is_enable_health_check: bool
    failed_health_checks: int
    last_heartbeat_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    evicted_at: _timestamp_pb2.Timestamp
    def __init__(self, route_id: _Optional[int] = ..., schema: _Optional[str] = ..., host: _Optional[str] = ..., port: _Optional[int] = ..., callback_timeout_sec: _Optional[int] = ..., is_enable_health_check: _Optional[bool] = ..., failed_health_checks: _Optional[int] = ..., last_heartbeat_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., evicted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
