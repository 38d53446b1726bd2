"""A tiny raw HTTP server on 127.0.0.1 for the misbehaviours werkzeug cannot produce.

Each accepted connection runs a *behaviour* (a function of the socket and the server) in its
own daemon thread. The server is bounded: it stops accepting after ``max_connections``, every
wait inside a behaviour ends when the server stops, and the server stops itself after
``lifetime`` seconds even if a test forgets to.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from types import TracebackType

Behaviour = Callable[[socket.socket, "RawServer"], None]


class RawServer:
    def __init__(
        self, behaviour: Behaviour, *, lifetime: float = 20.0, max_connections: int = 16
    ) -> None:
        self.behaviour = behaviour
        self.lifetime = lifetime
        self.max_connections = max_connections
        self.stopping = threading.Event()
        self.heads: list[bytes] = []  # request heads read by behaviours, in order
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/feed.xml"

    def __enter__(self) -> RawServer:
        self._acceptor.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        if self._acceptor.is_alive():
            self._acceptor.join(2)
        for thread in self._threads:
            thread.join(2)
        self._listener.close()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when the server is stopping (give up at once)."""
        return self.stopping.wait(seconds)

    def read_head(self, conn: socket.socket) -> bytes:
        """Read one request head (up to the blank line)."""
        data = b""
        conn.settimeout(5)
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        head = data.split(b"\r\n\r\n", 1)[0]
        self.heads.append(head)
        return head

    def _accept_loop(self) -> None:
        deadline = time.monotonic() + self.lifetime
        accepted = 0
        while not self.stopping.is_set() and accepted < self.max_connections:
            if time.monotonic() > deadline:
                self.stopping.set()
                break
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            accepted += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        # OSError: the client went away, which is what many of these tests provoke.
        with conn, suppress(OSError):
            self.behaviour(conn, self)


def head_bytes(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode("latin-1")


def reset(conn: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


# -- behaviours ----------------------------------------------------------------------------


def stall_after_headers(conn: socket.socket, server: RawServer) -> None:
    server.read_head(conn)
    conn.sendall(
        head_bytes("200 OK", {"Content-Type": "application/rss+xml", "Content-Length": "500"})
    )
    conn.sendall(b"<rss>")
    server.wait(server.lifetime)


def drip(interval: float) -> Behaviour:
    """A body that arrives one byte every ``interval`` seconds: never idle, never done."""

    def behaviour(conn: socket.socket, server: RawServer) -> None:
        server.read_head(conn)
        conn.sendall(head_bytes("200 OK", {"Content-Length": "100000"}))
        while not server.wait(interval):
            conn.sendall(b".")

    return behaviour


def reset_mid_body(conn: socket.socket, server: RawServer) -> None:
    server.read_head(conn)
    conn.sendall(head_bytes("200 OK", {"Content-Length": "100000"}))
    conn.sendall(b"<rss>" + b" " * 1000)
    server.wait(0.3)
    reset(conn)


def close_mid_body(conn: socket.socket, server: RawServer) -> None:
    server.read_head(conn)
    conn.sendall(head_bytes("200 OK", {"Content-Length": "100000"}))
    conn.sendall(b"<rss>" + b" " * 1000)
    server.wait(0.1)
    conn.shutdown(socket.SHUT_WR)


def broken_chunked(conn: socket.socket, server: RawServer) -> None:
    server.read_head(conn)
    conn.sendall(head_bytes("200 OK", {"Transfer-Encoding": "chunked"}))
    conn.sendall(b"5\r\n<rss>\r\nzz-not-hex\r\nmore\r\n")
    server.wait(0.5)


def not_tls(conn: socket.socket, server: RawServer) -> None:
    """Answer a TLS ClientHello with plain HTTP."""
    conn.settimeout(5)
    conn.recv(4096)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    server.wait(0.5)
