"""The appliance answers one request per connection and then closes it."""

import socket

import pytest

from tests.simulator.conftest import call

REQUEST = b"GET /check_health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("path", ["/check_health", "/oauth2/token", "/api/command"])
def test_it_sends_connection_close_on_every_answer(sim, path):
    reply = call(sim.url, "GET", path)

    assert reply.headers["Connection"] == "close"


def test_it_closes_the_socket_after_the_first_answer(sim):
    with socket.create_connection(("127.0.0.1", sim.port), timeout=2) as sock:
        sock.sendall(REQUEST)

        first = read_until_closed(sock)

    assert first.startswith(b"HTTP/1.1 200 OK\r\n")
    assert first.endswith(b"\r\n\r\nOK")


def test_it_never_answers_a_second_request_on_the_same_socket(sim):
    with socket.create_connection(("127.0.0.1", sim.port), timeout=2) as sock:
        sock.sendall(REQUEST)
        read_until_closed(sock)

        try:
            sock.sendall(REQUEST)
            second = sock.recv(4096)
        except (BrokenPipeError, ConnectionResetError):
            second = b""

    assert second == b""


def test_it_answers_only_the_first_of_two_pipelined_requests(sim):
    with socket.create_connection(("127.0.0.1", sim.port), timeout=2) as sock:
        sock.sendall(REQUEST + REQUEST)

        answers = read_until_closed(sock)

    assert answers.count(b"HTTP/1.1 ") == 1
