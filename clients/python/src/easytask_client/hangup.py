"""Turns a client that closes its connection while its callback runs into the
handler's cancellation, for servers that give the connection's socket."""

from __future__ import annotations

import selectors
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def hangup_event(sock: socket.socket | None) -> Iterator[threading.Event]:
    """An event set when the peer closes ``sock`` before the block ends. The
    request was read whole, so anything readable now is the end of the
    connection (a pipelined request, which the scheduler never sends, stops
    the watch)."""
    event = threading.Event()
    if sock is None:
        yield event
        return
    wake_r, wake_w = socket.socketpair()

    def watch() -> None:
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(sock, selectors.EVENT_READ)
                selector.register(wake_r, selectors.EVENT_READ)
                if any(key.fileobj is sock for key, _ in selector.select()):
                    try:
                        closed = sock.recv(1, socket.MSG_PEEK) == b""
                    except ConnectionError:
                        closed = True
                    if closed:
                        event.set()
        except (OSError, ValueError):
            # Not a plain socket (TLS cannot be peeked), or closed meanwhile.
            pass

    watcher = threading.Thread(target=watch, name="easytask-hangup", daemon=True)
    watcher.start()
    try:
        yield event
    finally:
        wake_w.send(b"\0")
        watcher.join()
        wake_r.close()
        wake_w.close()
