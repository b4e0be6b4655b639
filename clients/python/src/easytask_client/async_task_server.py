"""A task server for asyncio code: an ASGI app (FastAPI, Starlette …) with the
asynchronous client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from easytask.v1.callback_pb2 import TaskCallbackRequest

from .client import AsyncClient
from .context import TaskContext
from .errors import TaskServerError
from .protocol import Answer, Call, CallbackProtocol, TaskResult, error
from .signature import DEFAULT_SIGNATURE_TOLERANCE_SEC

#: A handler of ``AsyncTaskServer``: the task and its context, to its result.
AsyncHandler = Callable[[TaskCallbackRequest, TaskContext], Awaitable[TaskResult]]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class AsyncTaskServer:
    """Runs the coroutine ``handler`` for every task callback, served by ``asgi``,
    an ASGI app (mount it into yours, or serve it on its own), and registers
    itself as a route of task server ``name`` with ``register`` (or
    ``async with``).

    ``await handler(task, ctx)`` gets a ``TaskCallbackRequest`` and a
    ``TaskContext`` and returns a ``TaskCallbackResponse`` or a dict of its
    fields. An exception answers ``is_success=False`` with its text as
    ``extra``. When the scheduler cuts the call, ``ctx.cancelled`` is set and
    the handler is cancelled.

    ``host`` and ``port`` are where the scheduler calls: the address of the
    app's server. With a ``secret``, every callback and heartbeat must be
    signed with it.
    """

    def __init__(
        self,
        client: AsyncClient,
        name: str,
        handler: AsyncHandler,
        *,
        port: int,
        host: str = "127.0.0.1",
        callback_timeout_sec: int = 0,
        health_check: bool = True,
        max_body_bytes: int = 1 << 20,
        secret: str | None = None,
        signature_tolerance_sec: float = DEFAULT_SIGNATURE_TOLERANCE_SEC,
    ) -> None:
        self._protocol = CallbackProtocol(
            name,
            handler,
            advertise_host=host,
            port=port,
            callback_timeout_sec=callback_timeout_sec,
            health_check=health_check,
            max_body_bytes=max_body_bytes,
            secret=secret,
            signature_tolerance_sec=signature_tolerance_sec,
        )
        if port == 0:
            raise ValueError("easytask: AsyncTaskServer needs the port the scheduler calls: the port your app listens on")
        self._client = client
        self._handler = handler
        self.port = port

    async def register(self) -> None:
        """Calls AddTaskServer for this route. Raises ``TaskServerError``, with
        the ``ConnectError`` as its cause."""
        try:
            await self._client.registry.add_task_server(self._protocol.add_request(self.port))
        except Exception as err:
            raise TaskServerError(f"easytask: registering task server {self._protocol.name}: {err}") from err

    async def unregister(self) -> None:
        """Calls DelTaskServer for this route."""
        await self._client.registry.del_task_server(self._protocol.del_request(self.port))

    async def confirm(self, task: TaskCallbackRequest, is_success: bool, extra: str = "") -> None:
        """Reports the outcome of a run the handler answered with is_run_in_async."""
        await self._client.tasks.confirm_task(CallbackProtocol.confirm_request(task, is_success, extra))

    async def __aenter__(self) -> AsyncTaskServer:
        await self.register()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.unregister()

    async def asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An ASGI app that answers the scheduler's requests at every path."""
        if scope["type"] == "lifespan":
            return await _lifespan(receive, send)
        if scope["type"] != "http":
            return
        answer = await self._answer(scope, receive)
        if answer is None:
            return  # the scheduler hung up: nobody to answer
        status, body = answer
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope: Scope, receive: Receive) -> Answer | None:
        if scope["method"] != "POST":
            return error(405, "easytask callbacks are POST requests")
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self._protocol.max_body_bytes:
                return error(413, f"body over {self._protocol.max_body_bytes} bytes")
        headers = [(key.decode("latin-1"), value.decode("latin-1")) for key, value in scope["headers"]]
        call = self._protocol.read(body, headers, scope["path"])
        if not isinstance(call, Call):
            return call
        running = asyncio.ensure_future(self._run(call))
        hangup = asyncio.ensure_future(_disconnected(receive))
        try:
            await asyncio.wait({running, hangup}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            hangup.cancel()
            if not running.done():
                # The scheduler hung up, or the server is stopping.
                call.ctx.cancelled.set()
                running.cancel()
        try:
            answer = await running
        except asyncio.CancelledError:
            if not call.ctx.cancelled.is_set():
                raise
        return None if call.ctx.cancelled.is_set() else answer

    async def _run(self, call: Call) -> Answer:
        try:
            result: object = await self._handler(call.task, call.ctx)
        except Exception as err:
            result = CallbackProtocol.failed(call.task, err)
        return CallbackProtocol.encode(call.task, result)


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _lifespan(receive: Receive, send: Send) -> None:
    # Served on its own, the app has nothing to start or stop.
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            return await send({"type": "lifespan.shutdown.complete"})
