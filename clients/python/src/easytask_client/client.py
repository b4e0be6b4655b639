"""Typed clients of easytask's TaskService, RegistryService and ClusterService over Connect."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from connectrpc.interceptor import Interceptor, InterceptorSync
from connectrpc.request import RequestContext
from easytask.v1.cluster_connect import ClusterServiceClient, ClusterServiceClientSync
from easytask.v1.registry_connect import RegistryServiceClient, RegistryServiceClientSync
from easytask.v1.task_connect import TaskServiceClient, TaskServiceClientSync
from pyqwest import Client as HTTPClient
from pyqwest import SyncClient


class _Bearer:
    """Sends the API token on every call, synchronous or not."""

    def __init__(self, token: str) -> None:
        self._value = f"Bearer {token}"

    def intercept_unary_sync(self, call_next: Callable[[Any, RequestContext[Any, Any]], Any], request: Any, ctx: RequestContext[Any, Any], /) -> Any:
        ctx.request_headers["authorization"] = self._value
        return call_next(request, ctx)

    async def intercept_unary(self, call_next: Callable[[Any, RequestContext[Any, Any]], Awaitable[Any]], request: Any, ctx: RequestContext[Any, Any], /) -> Any:
        ctx.request_headers["authorization"] = self._value
        return await call_next(request, ctx)


def _check_base_url(base_url: str) -> None:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"easytask: base_url {base_url!r} must be http:// or https:// and a host, e.g. 'http://127.0.0.1:8801'")


class Client:
    """Clients of the easytask server at ``base_url``, e.g. ``"http://127.0.0.1:8801"``.

    ``tasks``, ``registry`` and ``cluster`` are the generated synchronous
    Connect clients (binary protobuf); their methods take and return the
    messages of ``easytask.v1.task_pb2``, ``registry_pb2`` and ``cluster_pb2`` and raise
    ``connectrpc.errors.ConnectError`` on refusal. ``token`` is sent as
    ``Authorization: Bearer <token>``; ``interceptors`` run after it.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout_ms: int | None = None,
        interceptors: Iterable[InterceptorSync] = (),
    ) -> None:
        _check_base_url(base_url)
        chain = ([_Bearer(token)] if token else []) + list(interceptors)
        self._http = SyncClient()
        self.tasks = TaskServiceClientSync(base_url, timeout_ms=timeout_ms, interceptors=chain, http_client=self._http)
        self.registry = RegistryServiceClientSync(base_url, timeout_ms=timeout_ms, interceptors=chain, http_client=self._http)
        self.cluster = ClusterServiceClientSync(base_url, timeout_ms=timeout_ms, interceptors=chain, http_client=self._http)

    def close(self) -> None:
        self.tasks.close()
        self.registry.close()
        self.cluster.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class AsyncClient:
    """``Client`` for asyncio: the same options, and ``tasks``, ``registry`` and
    ``cluster`` are the generated asynchronous Connect clients (``await
    client.tasks.add_task(...)``). Close it with ``await client.close()`` or
    ``async with``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout_ms: int | None = None,
        interceptors: Iterable[Interceptor] = (),
    ) -> None:
        _check_base_url(base_url)
        chain = ([_Bearer(token)] if token else []) + list(interceptors)
        self._http = HTTPClient()
        self.tasks = TaskServiceClient(base_url, timeout_ms=timeout_ms, interceptors=chain, http_client=self._http)
        self.registry = RegistryServiceClient(base_url, timeout_ms=timeout_ms, interceptors=chain, http_client=self._http)
        self.cluster = ClusterServiceClient(base_url, timeout_ms=timeout_ms, interceptors=chain, http_client=self._http)

    async def close(self) -> None:
        await self.tasks.close()
        await self.registry.close()
        await self.cluster.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()
