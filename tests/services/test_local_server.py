"""The local test server keeps HTTP/1.1 connections alive, as a real SCIM platform does."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.services.local_server import SOCKET_KEY, RunningServer, _Body, serving
from tests.helpers.faults import Faults
from tests.helpers.scim_server import running_scim_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def peer_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """Answers with the client's address and port as the server's socket sees it: one
    value per connection. ``?read=N`` reads only N bytes of the body, echoed after."""
    sock = environ[SOCKET_KEY]
    host, port = sock.getpeername()[:2]
    query = dict(p.split("=", 1) for p in environ.get("QUERY_STRING", "").split("&") if "=" in p)
    length = int(environ.get("CONTENT_LENGTH") or 0)
    read = environ["wsgi.input"].read(min(length, int(query.get("read", length))))
    body = f"{host}:{port}|".encode() + read
    if query.get("blocks"):  # an answer in several blocks, of a length not given
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body[:3], body[3:]]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with serving(peer_app) as running:
        yield running


def receive_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def read_response(stream: Any) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response from a socket's file: status, headers (lower-case), body."""
    status_line = stream.readline()
    assert status_line.startswith(b"HTTP/1.1 "), status_line
    headers = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = stream.read(int(headers["content-length"]))
    return int(status_line.split()[1]), headers, body


def request_bytes(path: str, body: bytes = b"", *, close: bool = False) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
    if close:
        head += "Connection: close\r\n"
    return head.encode() + b"\r\n" + body


def test_a_session_s_requests_share_one_connection(server: RunningServer) -> None:
    before = server.connections_accepted
    with requests.Session() as session:
        first = session.get(f"{server.root_url}/a", timeout=5)
        second = session.post(f"{server.root_url}/b", data=b"x" * 1000, timeout=5)
    assert first.status_code == second.status_code == 200
    # The same client port, as the server saw it: the same TCP connection.
    assert first.content.split(b"|")[0] == second.content.split(b"|")[0]
    assert second.content.endswith(b"x" * 1000)
    assert server.connections_accepted - before == 1


def test_connection_close_is_answered_then_the_connection_ends(server: RunningServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request_bytes("/a", b"hello", close=True))
        answer = receive_all(sock)  # returns only once the server closed the connection
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"\r\nConnection: close\r\n" in answer
    assert answer.endswith(b"|hello")


def test_a_session_sending_connection_close_gets_a_new_connection(
    server: RunningServer,
) -> None:
    with requests.Session() as session:
        first = session.get(f"{server.root_url}/a", headers={"Connection": "close"}, timeout=5)
        second = session.get(f"{server.root_url}/b", timeout=5)
    assert first.headers["Connection"] == "close"
    assert first.content.split(b"|")[0] != second.content.split(b"|")[0]


def test_http_1_0_requests_end_the_connection(server: RunningServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /a HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        answer = receive_all(sock)
    assert b" 200 " in answer.split(b"\r\n", 1)[0]


def test_an_answer_of_unknown_length_ends_the_connection(server: RunningServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request_bytes("/a?blocks=1", b"several blocks"))
        answer = receive_all(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"\r\nConnection: close\r\n" in head + b"\r\n"
    assert body.endswith(b"|several blocks")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.binary(max_size=3000), st.integers(min_value=0, max_value=3000)),
        min_size=1,
        max_size=6,
    )
)
def test_pipelined_requests_are_answered_in_order_whatever_the_app_reads(
    server: RunningServer, requests_sent: list[tuple[bytes, int]]
) -> None:
    """Bodies the app reads only in part are skipped: the next request on the
    connection is read from its first byte, even when sent before the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"".join(request_bytes(f"/p?read={read}", body) for body, read in requests_sent)
        )
        stream = sock.makefile("rb")
        peers = set()
        for body, read in requests_sent:
            status, headers, answer = read_response(stream)
            peer, _, echoed = answer.partition(b"|")
            assert status == 200
            assert "connection" not in headers
            assert echoed == body[:read]
            peers.add(peer)
        assert len(peers) == 1


def test_stopping_the_server_ends_its_kept_connections() -> None:
    with requests.Session() as session:
        with serving(peer_app) as running:
            assert session.get(f"{running.root_url}/a", timeout=5).status_code == 200
        with pytest.raises(requests.exceptions.ConnectionError):
            session.get(f"{running.root_url}/a", timeout=5)


def test_a_dropped_answer_on_a_kept_connection_is_lost_and_the_next_request_served() -> None:
    with (
        running_scim_server(token="t", middleware=Faults) as server,
        requests.Session() as session,
    ):
        faults = server.app
        assert isinstance(faults, Faults)
        headers = {"Authorization": "Bearer t"}
        assert session.get(f"{server.base_url}/Users", headers=headers, timeout=5).ok
        faults.drop(times=1)
        with pytest.raises(requests.exceptions.ConnectionError):
            session.get(f"{server.base_url}/Users", headers=headers, timeout=5)
        assert session.get(f"{server.base_url}/Users", headers=headers, timeout=5).ok
        assert server.running.connections_accepted == 2


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=300),
    st.binary(max_size=50),
    st.lists(st.tuples(st.sampled_from(["read", "readline"]), st.integers(-1, 120)), max_size=8),
)
def test_a_body_reads_its_own_bytes_only_and_skips_the_rest(
    body: bytes, after: bytes, reads: list[tuple[str, int]]
) -> None:
    """Whatever the app reads, and in what sizes (0 included), it gets a prefix of its
    body, never the next request's bytes; what it leaves is skipped up to them."""
    stream = io.BufferedReader(io.BytesIO(body + after))  # type: ignore[arg-type]
    reader = _Body(stream, len(body))
    got = b""
    for method, size in reads:
        got += getattr(reader, method)(size)
        assert body.startswith(got)
        assert reader.remaining == len(body) - len(got)
    assert reader.skip_rest()
    assert reader.read() == b""
    assert stream.read() == after
