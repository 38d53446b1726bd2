"""Fixtures shared by several test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer


@pytest.fixture(scope="module")
def shared_server() -> Iterator[HTTPServer]:
    """One loopback HTTP server per test module (threaded: some tests fetch concurrently)."""
    srv = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    srv.start()
    yield srv
    srv.clear()
    if srv.is_running():
        srv.stop()


@pytest.fixture
def server(shared_server: HTTPServer) -> Iterator[HTTPServer]:
    """The module's server, with no expectations left from the previous test."""
    shared_server.clear()
    yield shared_server
    shared_server.clear()
