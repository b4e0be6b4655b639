import datetime

from easytask.v1 import options_pb2 as _options_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_ADMIN: _ClassVar[Role]
    ROLE_VIEWER: _ClassVar[Role]

class AlertKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_KIND_UNSPECIFIED: _ClassVar[AlertKind]
    ALERT_KIND_TASK_FAILING: _ClassVar[AlertKind]
    ALERT_KIND_ROUTE_EVICTED: _ClassVar[AlertKind]

class AlertDelivery(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_DELIVERY_UNSPECIFIED: _ClassVar[AlertDelivery]
    ALERT_DELIVERY_NO_WEBHOOK: _ClassVar[AlertDelivery]
    ALERT_DELIVERY_PENDING: _ClassVar[AlertDelivery]
    ALERT_DELIVERY_SENT: _ClassVar[AlertDelivery]
    ALERT_DELIVERY_FAILED: _ClassVar[AlertDelivery]
ROLE_UNSPECIFIED: Role
ROLE_ADMIN: Role
ROLE_VIEWER: Role
ALERT_KIND_UNSPECIFIED: AlertKind
ALERT_KIND_TASK_FAILING: AlertKind
ALERT_KIND_ROUTE_EVICTED: AlertKind
ALERT_DELIVERY_UNSPECIFIED: AlertDelivery
ALERT_DELIVERY_NO_WEBHOOK: AlertDelivery
ALERT_DELIVERY_PENDING: AlertDelivery
ALERT_DELIVERY_SENT: AlertDelivery
ALERT_DELIVERY_FAILED: AlertDelivery

class GetClusterRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetClusterResponse(_message.Message):
    __slots__ = ("node_id", "is_leader", "leader_id", "members", "elect_driver", "cluster_name", "ready", "not_ready_reason", "leadership_known", "leadership_unknown_reason", "shard_count", "shards")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    IS_LEADER_FIELD_NUMBER: _ClassVar[int]
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    ELECT_DRIVER_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_NAME_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    NOT_READY_REASON_FIELD_NUMBER: _ClassVar[int]
    LEADERSHIP_KNOWN_FIELD_NUMBER: _ClassVar[int]
    LEADERSHIP_UNKNOWN_REASON_FIELD_NUMBER: _ClassVar[int]
    SHARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    SHARDS_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    is_leader: bool
    leader_id: str
    members: _containers.RepeatedCompositeFieldContainer[ClusterMember]
    elect_driver: str
    cluster_name: str
    ready: bool
    not_ready_reason: str
    leadership_known: bool
    leadership_unknown_reason: str
    shard_count: int
    shards: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, node_id: _Optional[str] = ..., is_leader: _Optional[bool] = ..., leader_id: _Optional[str] = ..., members: _Optional[_Iterable[_Union[ClusterMember, _Mapping]]] = ..., elect_driver: _Optional[str] = ..., cluster_name: _Optional[str] = ..., ready: _Optional[bool] = ..., not_ready_reason: _Optional[str] = ..., leadership_known: _Optional[bool] = ..., leadership_unknown_reason: _Optional[str] = ..., shard_count: _Optional[int] = ..., shards: _Optional[_Iterable[int]] = ...) -> None: ...

class ClusterMember(_message.Message):
    __slots__ = ("node_id", "address", "started_at", "shards")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    SHARDS_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    address: str
    started_at: _timestamp_pb2.Timestamp
    shards: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, node_id: _Optional[str] = ..., address: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., shards: _Optional[_Iterable[int]] = ...) -> None: ...

class WhoAmIRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WhoAmIResponse(_message.Message):
    __slots__ = ("name", "role", "auth_required")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    AUTH_REQUIRED_FIELD_NUMBER: _ClassVar[int]
    name: str
    role: Role
    auth_required: bool
    def __init__(self, name: _Optional[str] = ..., role: _Optional[_Union[Role, str]] = ..., auth_required: _Optional[bool] = ...) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("audit_id", "at", "actor", "method", "protocol", "targets", "request", "result", "trace_id")
    AUDIT_ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    audit_id: int
    at: _timestamp_pb2.Timestamp
    actor: str
    method: str
    protocol: str
    targets: _containers.RepeatedScalarFieldContainer[str]
    request: str
    result: str
    trace_id: str
    def __init__(self, audit_id: _Optional[int] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., method: _Optional[str] = ..., protocol: _Optional[str] = ..., targets: _Optional[_Iterable[str]] = ..., request: _Optional[str] = ..., result: _Optional[str] = ..., trace_id: _Optional[str] = ...) -> None: ...

class ListAuditLogRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "actor", "target")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    actor: str
    target: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., actor: _Optional[str] = ..., target: _Optional[str] = ...) -> None: ...

class ListAuditLogResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Alert(_message.Message):
    __slots__ = ("alert_id", "at", "kind", "text", "task_id", "task_server", "route", "delivery", "delivery_error")
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_SERVER_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_ERROR_FIELD_NUMBER: _ClassVar[int]
    alert_id: int
    at: _timestamp_pb2.Timestamp
    kind: AlertKind
    text: str
    task_id: int
    task_server: str
    route: str
    delivery: AlertDelivery
    delivery_error: str
    def __init__(self, alert_id: _Optional[int] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[_Union[AlertKind, str]] = ..., text: _Optional[str] = ..., task_id: _Optional[int] = ..., task_server: _Optional[str] = ..., route: _Optional[str] = ..., delivery: _Optional[_Union[AlertDelivery, str]] = ..., delivery_error: _Optional[str] = ...) -> None: ...

class AlertSettings(_message.Message):
    __slots__ = ("webhook_configured", "webhook_host", "failing_runs_in_a_row")
    WEBHOOK_CONFIGURED_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_HOST_FIELD_NUMBER: _ClassVar[int]
    FAILING_RUNS_IN_A_ROW_FIELD_NUMBER: _ClassVar[int]
    webhook_configured: bool
    webhook_host: str
    failing_runs_in_a_row: int
    def __init__(self, webhook_configured: _Optional[bool] = ..., webhook_host: _Optional[str] = ..., failing_runs_in_a_row: _Optional[int] = ...) -> None: ...

class ListAlertsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAlertsResponse(_message.Message):
    __slots__ = ("alerts", "next_page_token", "settings")
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[Alert]
    next_page_token: str
    settings: AlertSettings
    def __init__(self, alerts: _Optional[_Iterable[_Union[Alert, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., settings: _Optional[_Union[AlertSettings, _Mapping]] = ...) -> None: ...
