import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

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
