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

class SchedMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCHED_MODE_UNSPECIFIED: _ClassVar[SchedMode]
    SCHED_MODE_CRON: _ClassVar[SchedMode]
    SCHED_MODE_AT: _ClassVar[SchedMode]
    SCHED_MODE_INTERVAL: _ClassVar[SchedMode]
    SCHED_MODE_FIXED_DELAY: _ClassVar[SchedMode]

class MisfirePolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MISFIRE_POLICY_UNSPECIFIED: _ClassVar[MisfirePolicy]
    MISFIRE_POLICY_FIRE_ONCE: _ClassVar[MisfirePolicy]
    MISFIRE_POLICY_SKIP: _ClassVar[MisfirePolicy]
    MISFIRE_POLICY_FIRE_ALL: _ClassVar[MisfirePolicy]

class OverlapPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OVERLAP_POLICY_UNSPECIFIED: _ClassVar[OverlapPolicy]
    OVERLAP_POLICY_ALLOW: _ClassVar[OverlapPolicy]
    OVERLAP_POLICY_SKIP: _ClassVar[OverlapPolicy]
    OVERLAP_POLICY_QUEUE_ONE: _ClassVar[OverlapPolicy]
    OVERLAP_POLICY_CANCEL_PREVIOUS: _ClassVar[OverlapPolicy]

class RouteStrategy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTE_STRATEGY_UNSPECIFIED: _ClassVar[RouteStrategy]
    ROUTE_STRATEGY_RANDOM: _ClassVar[RouteStrategy]
    ROUTE_STRATEGY_ROUND_ROBIN: _ClassVar[RouteStrategy]
    ROUTE_STRATEGY_CONSISTENT_HASH: _ClassVar[RouteStrategy]
    ROUTE_STRATEGY_FAILOVER: _ClassVar[RouteStrategy]
    ROUTE_STRATEGY_BROADCAST: _ClassVar[RouteStrategy]

class TaskState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_STATE_UNSPECIFIED: _ClassVar[TaskState]
    TASK_STATE_SCHEDULED: _ClassVar[TaskState]
    TASK_STATE_STOPPED: _ClassVar[TaskState]
    TASK_STATE_FINISHED: _ClassVar[TaskState]
    TASK_STATE_PAUSED: _ClassVar[TaskState]

class RunState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUN_STATE_UNSPECIFIED: _ClassVar[RunState]
    RUN_STATE_RUNNING: _ClassVar[RunState]
    RUN_STATE_ASYNC_WAITING: _ClassVar[RunState]
    RUN_STATE_SUCCEEDED: _ClassVar[RunState]
    RUN_STATE_FAILED: _ClassVar[RunState]
    RUN_STATE_ABORTED: _ClassVar[RunState]
    RUN_STATE_TIMEOUT: _ClassVar[RunState]
    RUN_STATE_KILLED: _ClassVar[RunState]
    RUN_STATE_CANCELED: _ClassVar[RunState]
    RUN_STATE_PENDING: _ClassVar[RunState]

class TaskAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_ACTION_UNSPECIFIED: _ClassVar[TaskAction]
    TASK_ACTION_PAUSE: _ClassVar[TaskAction]
    TASK_ACTION_RESUME: _ClassVar[TaskAction]
    TASK_ACTION_STOP: _ClassVar[TaskAction]
    TASK_ACTION_DELETE: _ClassVar[TaskAction]
SCHED_MODE_UNSPECIFIED: SchedMode
SCHED_MODE_CRON: SchedMode
SCHED_MODE_AT: SchedMode
SCHED_MODE_INTERVAL: SchedMode
SCHED_MODE_FIXED_DELAY: SchedMode
MISFIRE_POLICY_UNSPECIFIED: MisfirePolicy
MISFIRE_POLICY_FIRE_ONCE: MisfirePolicy
MISFIRE_POLICY_SKIP: MisfirePolicy
MISFIRE_POLICY_FIRE_ALL: MisfirePolicy
OVERLAP_POLICY_UNSPECIFIED: OverlapPolicy
OVERLAP_POLICY_ALLOW: OverlapPolicy
OVERLAP_POLICY_SKIP: OverlapPolicy
OVERLAP_POLICY_QUEUE_ONE: OverlapPolicy
OVERLAP_POLICY_CANCEL_PREVIOUS: OverlapPolicy
ROUTE_STRATEGY_UNSPECIFIED: RouteStrategy
ROUTE_STRATEGY_RANDOM: RouteStrategy
ROUTE_STRATEGY_ROUND_ROBIN: RouteStrategy
ROUTE_STRATEGY_CONSISTENT_HASH: RouteStrategy
ROUTE_STRATEGY_FAILOVER: RouteStrategy
ROUTE_STRATEGY_BROADCAST: RouteStrategy
TASK_STATE_UNSPECIFIED: TaskState
TASK_STATE_SCHEDULED: TaskState
TASK_STATE_STOPPED: TaskState
TASK_STATE_FINISHED: TaskState
TASK_STATE_PAUSED: TaskState
RUN_STATE_UNSPECIFIED: RunState
RUN_STATE_RUNNING: RunState
RUN_STATE_ASYNC_WAITING: RunState
RUN_STATE_SUCCEEDED: RunState
RUN_STATE_FAILED: RunState
RUN_STATE_ABORTED: RunState
RUN_STATE_TIMEOUT: RunState
RUN_STATE_KILLED: RunState
RUN_STATE_CANCELED: RunState
RUN_STATE_PENDING: RunState
TASK_ACTION_UNSPECIFIED: TaskAction
TASK_ACTION_PAUSE: TaskAction
TASK_ACTION_RESUME: TaskAction
TASK_ACTION_STOP: TaskAction
TASK_ACTION_DELETE: TaskAction

class RetryBackoff(_message.Message):
    __slots__ = ("initial_sec", "multiplier", "max_sec")
    INITIAL_SEC_FIELD_NUMBER: _ClassVar[int]
    MULTIPLIER_FIELD_NUMBER: _ClassVar[int]
    MAX_SEC_FIELD_NUMBER: _ClassVar[int]
    initial_sec: int
    multiplier: float
    max_sec: int
    def __init__(self, initial_sec: _Optional[int] = ..., multiplier: _Optional[float] = ..., max_sec: _Optional[int] = ...) -> None: ...

class AddTaskRequest(_message.Message):
    __slots__ = ("name", "srv_name", "callback_path", "sched_mode", "time_cron", "time_interval_sec", "time_spec_at", "arg", "biz_id", "time_zone", "misfire_policy", "misfire_max_catch_up", "overlap_policy", "max_retries", "retry_backoff", "max_run_time_sec", "max_run_times", "start_at", "end_at", "route_strategy")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SRV_NAME_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_PATH_FIELD_NUMBER: _ClassVar[int]
    SCHED_MODE_FIELD_NUMBER: _ClassVar[int]
    TIME_CRON_FIELD_NUMBER: _ClassVar[int]
    TIME_INTERVAL_SEC_FIELD_NUMBER: _ClassVar[int]
    TIME_SPEC_AT_FIELD_NUMBER: _ClassVar[int]
    ARG_FIELD_NUMBER: _ClassVar[int]
    BIZ_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    MISFIRE_POLICY_FIELD_NUMBER: _ClassVar[int]
    MISFIRE_MAX_CATCH_UP_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_POLICY_FIELD_NUMBER: _ClassVar[int]
    MAX_RETRIES_FIELD_NUMBER: _ClassVar[int]
    RETRY_BACKOFF_FIELD_NUMBER: _ClassVar[int]
    MAX_RUN_TIME_SEC_FIELD_NUMBER: _ClassVar[int]
    MAX_RUN_TIMES_FIELD_NUMBER: _ClassVar[int]
    START_AT_FIELD_NUMBER: _ClassVar[int]
    END_AT_FIELD_NUMBER: _ClassVar[int]
    ROUTE_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    name: str
    srv_name: str
    callback_path: str
    sched_mode: SchedMode
    time_cron: str
    time_interval_sec: int
    time_spec_at: int
    arg: str
    biz_id: str
    time_zone: str
    misfire_policy: MisfirePolicy
    misfire_max_catch_up: int
    overlap_policy: OverlapPolicy
    max_retries: int
    retry_backoff: RetryBackoff
    max_run_time_sec: int
    max_run_times: int
    start_at: int
    end_at: int
    route_strategy: RouteStrategy
    def __init__(self, name: _Optional[str] = ..., srv_name: _Optional[str] = ..., callback_path: _Optional[str] = ..., sched_mode: _Optional[_Union[SchedMode, str]] = ..., time_cron: _Optional[str] = ..., time_interval_sec: _Optional[int] = ..., time_spec_at: _Optional[int] = ..., arg: _Optional[str] = ..., biz_id: _Optional[str] = ..., time_zone: _Optional[str] = ..., misfire_policy: _Optional[_Union[MisfirePolicy, str]] = ..., misfire_max_catch_up: _Optional[int] = ..., overlap_policy: _Optional[_Union[OverlapPolicy, str]] = ..., max_retries: _Optional[int] = ..., retry_backoff: _Optional[_Union[RetryBackoff, _Mapping]] = ..., max_run_time_sec: _Optional[int] = ..., max_run_times: _Optional[int] = ..., start_at: _Optional[int] = ..., end_at: _Optional[int] = ..., route_strategy: _Optional[_Union[RouteStrategy, str]] = ...) -> None: ...

class AddTaskResponse(_message.Message):
    __slots__ = ("task_id",)
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: int
    def __init__(self, task_id: _Optional[int] = ...) -> None: ...

class StopTaskRequest(_message.Message):
    __slots__ = ("task_id",)
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: int
    def __init__(self, task_id: _Optional[int] = ...) -> None: ...

class StopTaskResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ConfirmTaskRequest(_message.Message):
    __slots__ = ("task_id", "is_success", "extra", "task_run_times")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    IS_SUCCESS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    TASK_RUN_TIMES_FIELD_NUMBER: _ClassVar[int]
    task_id: int
    is_success: bool
    extra: str
    task_run_times: int
    def __init__(self, task_id: _Optional[int] = ..., is_success: _Optional[bool] = ..., extra: _Optional[str] = ..., task_run_times: _Optional[int] = ...) -> None: ...

class ConfirmTaskResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Task(_message.Message):
    __slots__ = ("task_id", "name", "srv_name", "callback_path", "sched_mode", "time_cron", "time_interval_sec", "time_spec_at", "arg", "biz_id", "state", "run_times", "next_fire_at", "created_at", "updated_at", "time_zone", "misfire_policy", "misfire_max_catch_up", "overlap_policy", "max_retries", "retry_backoff", "max_run_time_sec", "max_run_times", "start_at", "end_at", "route_strategy", "last_run_state", "last_run_started_at", "paused_reason")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SRV_NAME_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_PATH_FIELD_NUMBER: _ClassVar[int]
    SCHED_MODE_FIELD_NUMBER: _ClassVar[int]
    TIME_CRON_FIELD_NUMBER: _ClassVar[int]
    TIME_INTERVAL_SEC_FIELD_NUMBER: _ClassVar[int]
    TIME_SPEC_AT_FIELD_NUMBER: _ClassVar[int]
    ARG_FIELD_NUMBER: _ClassVar[int]
    BIZ_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RUN_TIMES_FIELD_NUMBER: _ClassVar[int]
    NEXT_FIRE_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    MISFIRE_POLICY_FIELD_NUMBER: _ClassVar[int]
    MISFIRE_MAX_CATCH_UP_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_POLICY_FIELD_NUMBER: _ClassVar[int]
    MAX_RETRIES_FIELD_NUMBER: _ClassVar[int]
    RETRY_BACKOFF_FIELD_NUMBER: _ClassVar[int]
    MAX_RUN_TIME_SEC_FIELD_NUMBER: _ClassVar[int]
    MAX_RUN_TIMES_FIELD_NUMBER: _ClassVar[int]
    START_AT_FIELD_NUMBER: _ClassVar[int]
    END_AT_FIELD_NUMBER: _ClassVar[int]
    ROUTE_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_STATE_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    PAUSED_REASON_FIELD_NUMBER: _ClassVar[int]
    task_id: int
    name: str
    srv_name: str
    callback_path: str
    sched_mode: SchedMode
    time_cron: str
    time_interval_sec: int
    time_spec_at: int
    arg: str
    biz_id: str
    state: TaskState
    run_times: int
    next_fire_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    time_zone: str
    misfire_policy: MisfirePolicy
    misfire_max_catch_up: int
    overlap_policy: OverlapPolicy
    max_retries: int
    retry_backoff: RetryBackoff
    max_run_time_sec: int
    max_run_times: int
    start_at: int
    end_at: int
    route_strategy: RouteStrategy
    last_run_state: RunState
    last_run_started_at: _timestamp_pb2.Timestamp
    paused_reason: str
    def __init__(self, task_id: _Optional[int] = ..., name: _Optional[str] = ..., srv_name: _Optional[str] = ..., callback_path: _Optional[str] = ..., sched_mode: _Optional[_Union[SchedMode, str]] = ..., time_cron: _Optional[str] = ..., time_interval_sec: _Optional[int] = ..., time_spec_at: _Optional[int] = ..., arg: _Optional[str] = ..., biz_id: _Optional[str] = ..., state: _Optional[_Union[TaskState, str]] = ..., run_times: _Optional[int] = ..., next_fire_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., time_zone: _Optional[str] = ..., misfire_policy: _Optional[_Union[MisfirePolicy, str]] = ..., misfire_max_catch_up: _Optional[int] = ..., overlap_policy: _Optional[_Union[OverlapPolicy, str]] = ..., max_retries: _Optional[int] = ..., retry_backoff: _Optional[_Union[RetryBackoff, _Mapping]] = ..., max_run_time_sec: _Optional[int] = ..., max_run_times: _Optional[int] = ..., start_at: _Optional[int] = ..., end_at: _Optional[int] = ..., route_strategy: _Optional[_Union[RouteStrategy, str]] = ..., last_run_state: _Optional[_Union[RunState, str]] = ..., last_run_started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., paused_reason: _Optional[str] = ...) -> None: ...

class GetTaskRequest(_message.Message):
    __slots__ = ("task_id",)
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: int
    def __init__(self, task_id: _Optional[int] = ...) -> None: ...

class GetTaskResponse(_message.Message):
    __slots__ = ("task",)
    TASK_FIELD_NUMBER: _ClassVar[int]
    task: Task
    def __init__(self, task: _Optional[_Union[Task, _Mapping]] = ...) -> None: ...

class ListTasksRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "srv_name", "state", "query")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SRV_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    srv_name: str
    state: TaskState
    query: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., srv_name: _Optional[str] = ..., state: _Optional[_Union[TaskState, str]] = ..., query: _Optional[str] = ...) -> None: ...

class ListTasksResponse(_message.Message):
    __slots__ = ("tasks", "next_page_token")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[Task]
    next_page_token: str
    def __init__(self, tasks: _Optional[_Iterable[_Union[Task, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TaskLog(_message.Message):
    __slots__ = ("task_log_id", "task_id", "run_times", "attempt", "state", "route", "http_status", "response", "error", "is_success", "extra", "due_at", "started_at", "finished_at", "confirmed_at", "deadline_at", "task_name", "node_id", "arg", "manual")
    TASK_LOG_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_TIMES_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    IS_SUCCESS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_AT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_AT_FIELD_NUMBER: _ClassVar[int]
    TASK_NAME_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    ARG_FIELD_NUMBER: _ClassVar[int]
    MANUAL_FIELD_NUMBER: _ClassVar[int]
    task_log_id: int
    task_id: int
    run_times: int
    attempt: int
    state: RunState
    route: str
    http_status: int
    response: str
    error: str
    is_success: bool
    extra: str
    due_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    confirmed_at: _timestamp_pb2.Timestamp
    deadline_at: _timestamp_pb2.Timestamp
    task_name: str
    node_id: str
    arg: str
    manual: bool
    def __init__(self, task_log_id: _Optional[int] = ..., task_id: _Optional[int] = ..., run_times: _Optional[int] = ..., attempt: _Optional[int] = ..., state: _Optional[_Union[RunState, str]] = ..., route: _Optional[str] = ..., http_status: _Optional[int] = ..., response: _Optional[str] = ..., error: _Optional[str] = ..., is_success: _Optional[bool] = ..., extra: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., confirmed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deadline_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., task_name: _Optional[str] = ..., node_id: _Optional[str] = ..., arg: _Optional[str] = ..., manual: _Optional[bool] = ...) -> None: ...

class ListTaskLogsRequest(_message.Message):
    __slots__ = ("task_id", "page_size", "page_token", "state", "started_from", "started_before", "error_contains")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STARTED_FROM_FIELD_NUMBER: _ClassVar[int]
    STARTED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    ERROR_CONTAINS_FIELD_NUMBER: _ClassVar[int]
    task_id: int
    page_size: int
    page_token: str
    state: RunState
    started_from: _timestamp_pb2.Timestamp
    started_before: _timestamp_pb2.Timestamp
    error_contains: str
    def __init__(self, task_id: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[RunState, str]] = ..., started_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error_contains: _Optional[str] = ...) -> None: ...

class ListTaskLogsResponse(_message.Message):
    __slots__ = ("task_logs", "next_page_token")
    TASK_LOGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    task_logs: _containers.RepeatedCompositeFieldContainer[TaskLog]
    next_page_token: str
    def __init__(self, task_logs: _Optional[_Iterable[_Union[TaskLog, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PauseTaskRequest(_message.Message):
    __slots__ = ("task_id",)
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: int
    def __init__(self, task_id: _Optional[int] = ...) -> None: ...

class PauseTaskResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ResumeTaskRequest(_message.Message):
    __slots__ = ("task_id",)
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: int
    def __init__(self, task_id: _Optional[int] = ...) -> None: ...

class ResumeTaskResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TriggerTaskRequest(_message.Message):
    __slots__ = ("task_id", "arg")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ARG_FIELD_NUMBER: _ClassVar[int]
    task_id: int
    arg: str
    def __init__(self, task_id: _Optional[int] = ..., arg: _Optional[str] = ...) -> None: ...

class TriggerTaskResponse(_message.Message):
    __slots__ = ("run_times",)
    RUN_TIMES_FIELD_NUMBER: _ClassVar[int]
    run_times: int
    def __init__(self, run_times: _Optional[int] = ...) -> None: ...

class KillRunRequest(_message.Message):
    __slots__ = ("task_id", "run_times")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_TIMES_FIELD_NUMBER: _ClassVar[int]
    task_id: int
    run_times: int
    def __init__(self, task_id: _Optional[int] = ..., run_times: _Optional[int] = ...) -> None: ...

class KillRunResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DeleteTaskRequest(_message.Message):
    __slots__ = ("task_id",)
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: int
    def __init__(self, task_id: _Optional[int] = ...) -> None: ...

class DeleteTaskResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RetryRunRequest(_message.Message):
    __slots__ = ("task_id", "run_times")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_TIMES_FIELD_NUMBER: _ClassVar[int]
    task_id: int
    run_times: int
    def __init__(self, task_id: _Optional[int] = ..., run_times: _Optional[int] = ...) -> None: ...

class RetryRunResponse(_message.Message):
    __slots__ = ("attempt",)
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    def __init__(self, attempt: _Optional[int] = ...) -> None: ...

class TaskFilter(_message.Message):
    __slots__ = ("srv_name", "state", "query")
    SRV_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    srv_name: str
    state: TaskState
    query: str
    def __init__(self, srv_name: _Optional[str] = ..., state: _Optional[_Union[TaskState, str]] = ..., query: _Optional[str] = ...) -> None: ...

class BulkTaskActionRequest(_message.Message):
    __slots__ = ("action", "task_ids", "filter", "page_token")
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    action: TaskAction
    task_ids: _containers.RepeatedScalarFieldContainer[int]
    filter: TaskFilter
    page_token: str
    def __init__(self, action: _Optional[_Union[TaskAction, str]] = ..., task_ids: _Optional[_Iterable[int]] = ..., filter: _Optional[_Union[TaskFilter, _Mapping]] = ..., page_token: _Optional[str] = ...) -> None: ...

class BulkTaskActionResponse(_message.Message):
    __slots__ = ("changed", "unchanged", "next_page_token")
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    changed: int
    unchanged: int
    next_page_token: str
    def __init__(self, changed: _Optional[int] = ..., unchanged: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetTaskHistoryRequest(_message.Message):
    __slots__ = ("task_id", "bucket_sec", "buckets")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    BUCKET_SEC_FIELD_NUMBER: _ClassVar[int]
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    task_id: int
    bucket_sec: int
    buckets: int
    def __init__(self, task_id: _Optional[int] = ..., bucket_sec: _Optional[int] = ..., buckets: _Optional[int] = ...) -> None: ...

class HistoryBucket(_message.Message):
    __slots__ = ("start", "succeeded", "failed", "other", "duration_avg_ms", "duration_max_ms")
    START_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    OTHER_FIELD_NUMBER: _ClassVar[int]
    DURATION_AVG_MS_FIELD_NUMBER: _ClassVar[int]
    DURATION_MAX_MS_FIELD_NUMBER: _ClassVar[int]
    start: _timestamp_pb2.Timestamp
    succeeded: int
    failed: int
    other: int
    duration_avg_ms: int
    duration_max_ms: int
    def __init__(self, start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., succeeded: _Optional[int] = ..., failed: _Optional[int] = ..., other: _Optional[int] = ..., duration_avg_ms: _Optional[int] = ..., duration_max_ms: _Optional[int] = ...) -> None: ...

class GetTaskHistoryResponse(_message.Message):
    __slots__ = ("buckets", "truncated")
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    buckets: _containers.RepeatedCompositeFieldContainer[HistoryBucket]
    truncated: bool
    def __init__(self, buckets: _Optional[_Iterable[_Union[HistoryBucket, _Mapping]]] = ..., truncated: _Optional[bool] = ...) -> None: ...

class PreviewScheduleRequest(_message.Message):
    __slots__ = ("task_id", "sched_mode", "time_cron", "time_zone", "time_interval_sec", "time_spec_at", "start_at", "end_at", "count")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    SCHED_MODE_FIELD_NUMBER: _ClassVar[int]
    TIME_CRON_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    TIME_INTERVAL_SEC_FIELD_NUMBER: _ClassVar[int]
    TIME_SPEC_AT_FIELD_NUMBER: _ClassVar[int]
    START_AT_FIELD_NUMBER: _ClassVar[int]
    END_AT_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    task_id: int
    sched_mode: SchedMode
    time_cron: str
    time_zone: str
    time_interval_sec: int
    time_spec_at: int
    start_at: int
    end_at: int
    count: int
    def __init__(self, task_id: _Optional[int] = ..., sched_mode: _Optional[_Union[SchedMode, str]] = ..., time_cron: _Optional[str] = ..., time_zone: _Optional[str] = ..., time_interval_sec: _Optional[int] = ..., time_spec_at: _Optional[int] = ..., start_at: _Optional[int] = ..., end_at: _Optional[int] = ..., count: _Optional[int] = ...) -> None: ...

class PreviewScheduleResponse(_message.Message):
    __slots__ = ("fire_times",)
    FIRE_TIMES_FIELD_NUMBER: _ClassVar[int]
    fire_times: _containers.RepeatedCompositeFieldContainer[_timestamp_pb2.Timestamp]
    def __init__(self, fire_times: _Optional[_Iterable[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]] = ...) -> None: ...

class GetStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MinuteStats(_message.Message):
    __slots__ = ("minute", "fires", "failures", "lateness_p99_ms")
    MINUTE_FIELD_NUMBER: _ClassVar[int]
    FIRES_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    LATENESS_P99_MS_FIELD_NUMBER: _ClassVar[int]
    minute: _timestamp_pb2.Timestamp
    fires: int
    failures: int
    lateness_p99_ms: int
    def __init__(self, minute: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., fires: _Optional[int] = ..., failures: _Optional[int] = ..., lateness_p99_ms: _Optional[int] = ...) -> None: ...

class FailingTask(_message.Message):
    __slots__ = ("task_id", "name", "srv_name", "failures", "last_failure_at")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SRV_NAME_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    LAST_FAILURE_AT_FIELD_NUMBER: _ClassVar[int]
    task_id: int
    name: str
    srv_name: str
    failures: int
    last_failure_at: _timestamp_pb2.Timestamp
    def __init__(self, task_id: _Optional[int] = ..., name: _Optional[str] = ..., srv_name: _Optional[str] = ..., failures: _Optional[int] = ..., last_failure_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetStatsResponse(_message.Message):
    __slots__ = ("tasks_scheduled", "tasks_paused", "tasks_stopped", "tasks_finished", "task_servers", "routes", "routes_unhealthy", "routes_evicted", "minutes", "fires_last_hour", "lateness_p99_ms_last_hour", "failing_tasks")
    TASKS_SCHEDULED_FIELD_NUMBER: _ClassVar[int]
    TASKS_PAUSED_FIELD_NUMBER: _ClassVar[int]
    TASKS_STOPPED_FIELD_NUMBER: _ClassVar[int]
    TASKS_FINISHED_FIELD_NUMBER: _ClassVar[int]
    TASK_SERVERS_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    ROUTES_UNHEALTHY_FIELD_NUMBER: _ClassVar[int]
    ROUTES_EVICTED_FIELD_NUMBER: _ClassVar[int]
    MINUTES_FIELD_NUMBER: _ClassVar[int]
    FIRES_LAST_HOUR_FIELD_NUMBER: _ClassVar[int]
    LATENESS_P99_MS_LAST_HOUR_FIELD_NUMBER: _ClassVar[int]
    FAILING_TASKS_FIELD_NUMBER: _ClassVar[int]
    tasks_scheduled: int
    tasks_paused: int
    tasks_stopped: int
    tasks_finished: int
    task_servers: int
    routes: int
    routes_unhealthy: int
    routes_evicted: int
    minutes: _containers.RepeatedCompositeFieldContainer[MinuteStats]
    fires_last_hour: int
    lateness_p99_ms_last_hour: int
    failing_tasks: _containers.RepeatedCompositeFieldContainer[FailingTask]
    def __init__(self, tasks_scheduled: _Optional[int] = ..., tasks_paused: _Optional[int] = ..., tasks_stopped: _Optional[int] = ..., tasks_finished: _Optional[int] = ..., task_servers: _Optional[int] = ..., routes: _Optional[int] = ..., routes_unhealthy: _Optional[int] = ..., routes_evicted: _Optional[int] = ..., minutes: _Optional[_Iterable[_Union[MinuteStats, _Mapping]]] = ..., fires_last_hour: _Optional[int] = ..., lateness_p99_ms_last_hour: _Optional[int] = ..., failing_tasks: _Optional[_Iterable[_Union[FailingTask, _Mapping]]] = ...) -> None: ...
