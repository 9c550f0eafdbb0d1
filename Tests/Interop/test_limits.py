# Limits from <limit>: each run against swiftbusd and (SWIFTBUS_TEST_BUS=dbus-daemon) against
# dbus-daemon 1.14, whose error names and texts are the reference. Raw peers make every step
# explicit: who authenticated, who said Hello, who holds which reply.
import os
import select
import socket
import threading
import time

import pytest
from dbus_fast import Message, MessageType

from raw_peer import DBUS, DBUS_PATH, RawPeer, driver_call
from support import BUS_KIND, wait_until

LIMITS_EXCEEDED = "org.freedesktop.DBus.Error.LimitsExceeded"
# How long a peer the bus should ignore is watched for an answer that must not come.
SILENCE = 0.5

# dbus-broker reads only four <limit>s and turns them into per-user quotas; the rest of
# these limits do not exist there, so it is no reference for them.
pytestmark = pytest.mark.skipif(BUS_KIND == "dbus-broker", reason="dbus-broker has per-user quotas, not these limits")


def peer(bus, hello=True):
    p = RawPeer(str(bus.socket))
    assert p.authenticate().startswith("OK ")
    if hello:
        p.hello()
    return p


def error_of(reply):
    assert reply.message_type == MessageType.ERROR, f"expected an error, got {reply.body}"
    return reply.error_name, reply.body[0]


def fd_peer(bus):
    """A peer that negotiated fd passing and said Hello."""
    p = RawPeer(str(bus.socket))
    p.authenticate(unix_fds=True)
    p.hello()
    return p


def hello_reply(p):
    return p.call(Message(destination=DBUS, path=DBUS_PATH, interface=DBUS, member="Hello"))


def assert_logged(bus, *fragments):
    """swiftbusd's one log line about a limit names the peer, the limit and the figures."""
    if BUS_KIND != "swiftbusd":
        return
    lines = wait_until(lambda: [line for line in bus.stderr().splitlines()
                                if all(f in line for f in fragments)], what=f"a log line with {fragments}")
    assert len(lines) == 1, lines


def assert_per_connection_quota(p, member, signature, allowed_args, refused_arg, what, limit_name, limit):
    """`allowed_args` calls of `member` succeed; the next is refused with dbus-daemon's text."""
    for argument in allowed_args:
        reply = p.call(driver_call(member, signature, argument))
        assert reply.message_type == MessageType.METHOD_RETURN, reply.body
    name, text = error_of(p.call(driver_call(member, signature, refused_arg)))
    assert name == LIMITS_EXCEEDED
    assert text == (f'Connection "{p.unique_name}" is not allowed to {what} '
                    f"(increase limits in configuration file if required; {limit_name}={limit})")


@pytest.mark.bus_limits({"max_names_per_connection": 3})
def test_max_names_per_connection(bus):
    # The unique name counts: 3 allows two well-known names.
    assert_per_connection_quota(peer(bus), "RequestName", "su", [["org.example.A", 0], ["org.example.B", 0]],
                                ["org.example.C", 0], "own more services", "max_names_per_connection", 3)


@pytest.mark.bus_limits({"max_match_rules_per_connection": 2})
def test_max_match_rules_per_connection(bus):
    assert_per_connection_quota(peer(bus), "AddMatch", "s", [["type='signal',member='A'"], ["type='signal',member='B'"]],
                                ["type='signal',member='C'"], "add more match rules", "max_match_rules_per_connection", 2)


@pytest.mark.bus_limits({"max_replies_per_connection": 2})
def test_max_replies_per_connection(bus):
    service = peer(bus)
    caller = peer(bus)
    calls = [Message(destination=service.unique_name, path="/", interface="org.example.Slow",
                     member="Never") for _ in range(3)]
    for call in calls[:2]:
        caller.send(caller.marshal(call))
    # The service holds both calls and never answers; the third is refused by the bus.
    received = []
    while len(received) < 2:
        message = service.read_message()
        if message.member == "Never":
            received.append(message)
    name, text = error_of(caller.call(calls[2]))
    assert name == LIMITS_EXCEEDED
    assert text == "The maximum number of pending replies per connection has been reached"
    assert_logged(bus, caller.unique_name, "max_replies_per_connection=2")


@pytest.mark.bus_limits({"max_completed_connections": 2})
def test_max_completed_connections_refuses_hello(bus):
    first, second = peer(bus), peer(bus)
    third = peer(bus, hello=False)
    name, text = error_of(hello_reply(third))
    assert name == LIMITS_EXCEEDED
    assert text == "The maximum number of active connections has been reached"
    assert_logged(bus, "refusing Hello", "max_completed_connections=2", "2 open")
    # Not disconnected: once a connection leaves, the same peer may say Hello again.
    first.sock.close()
    wait_until(lambda: hello_reply(third).message_type == MessageType.METHOD_RETURN, what="a second Hello")
    assert second.call(driver_call("GetId")).message_type == MessageType.METHOD_RETURN


@pytest.mark.bus_limits({"max_connections_per_user": 2})
def test_max_connections_per_user_refuses_hello(bus):
    held = [peer(bus), peer(bus)]
    third = peer(bus, hello=False)
    name, text = error_of(hello_reply(third))
    assert name == LIMITS_EXCEEDED
    assert text == f"The maximum number of active connections for UID {os.getuid()} has been reached"
    assert_logged(bus, "refusing Hello", f"UID {os.getuid()}", "max_connections_per_user=2")
    assert all(p.call(driver_call("GetId")).message_type == MessageType.METHOD_RETURN for p in held)


@pytest.mark.bus_limits({"max_incomplete_connections": 2})
def test_max_incomplete_connections_stops_accepting(bus):
    # Two connections that never authenticate fill the allowance; the bus stops accepting,
    # so a third connection sits in the listen backlog unanswered.
    idle = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(2)]
    for s in idle:
        s.connect(str(bus.socket))
        s.send(b"\0")
    time.sleep(SILENCE / 5)
    waiting = RawPeer(str(bus.socket))
    waiting.send(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
    with pytest.raises(TimeoutError):
        waiting.read_line(timeout=SILENCE)
    # One leaves: the bus accepts again and the waiting peer is answered.
    idle[0].close()
    assert waiting.read_line(timeout=5.0).startswith("OK ")
    idle[1].close()


@pytest.mark.bus_limits({"auth_timeout": 300})
def test_auth_timeout_closes_a_silent_connection(bus):
    silent = RawPeer(str(bus.socket))
    silent.send(b"\0")
    started = time.monotonic()
    assert silent.closed_within(10.0)
    assert time.monotonic() - started >= 0.25
    # A connection that authenticates and says Hello in time stays.
    ok = peer(bus)
    time.sleep(SILENCE)
    assert ok.call(driver_call("GetId")).message_type == MessageType.METHOD_RETURN


@pytest.mark.bus_limits({"max_message_size": 4096})
def test_max_message_size_disconnects_the_sender(bus):
    sender = peer(bus)
    big = Message(destination=DBUS, path=DBUS_PATH, interface=DBUS, member="GetId",
                  signature="ay", body=[b"x" * 8192])
    sender.send(sender.marshal(big))
    assert sender.closed_within(5.0)
    assert peer(bus).call(driver_call("GetId")).message_type == MessageType.METHOD_RETURN


@pytest.mark.bus_limits({"max_message_unix_fds": 1})
def test_max_message_unix_fds_disconnects_the_sender(bus):
    sender = fd_peer(bus)
    r, w = os.pipe()
    try:
        call = Message(destination=DBUS, path=DBUS_PATH, interface=DBUS, member="GetId",
                       signature="hh", body=[0, 1], unix_fds=[r, w])
        sender.send(sender.marshal(call), fds=[r, w])
        assert sender.closed_within(5.0)
    finally:
        os.close(r)
        os.close(w)


@pytest.mark.bus_limits({"pending_fd_timeout": 300})
def test_pending_fd_timeout_closes_a_peer_that_never_finishes_its_message(bus):
    sender = fd_peer(bus)
    r, w = os.pipe()
    try:
        call = Message(destination=DBUS, path=DBUS_PATH, interface=DBUS, member="GetId",
                       signature="h", body=[0], unix_fds=[r])
        data = sender.marshal(call)
        # The fd travels with the first bytes; the rest of the message never comes.
        sender.send(data[:20], fds=[r])
        started = time.monotonic()
        assert sender.closed_within(10.0)
        assert time.monotonic() - started >= 0.25
        assert_logged(bus, "has had Unix fds pending for too long", "pending_fd_timeout=300 ms")
    finally:
        os.close(r)
        os.close(w)


@pytest.mark.skipif(BUS_KIND != "swiftbusd", reason="max_names_per_user is swiftbusd's own limit")
@pytest.mark.bus_limits({"max_names_per_user": 3})
def test_max_names_per_user_counts_every_connection_of_the_user(bus):
    first, second = peer(bus), peer(bus)
    for p, name in ((first, "org.example.A"), (first, "org.example.B"), (second, "org.example.C")):
        assert p.call(driver_call("RequestName", "su", [name, 0])).body == [1]
    name, text = error_of(second.call(driver_call("RequestName", "su", ["org.example.D", 0])))
    assert name == LIMITS_EXCEEDED
    assert f"UID {os.getuid()}" in text and "max_names_per_user=3" in text
    # Asking again for a name it already holds takes nothing new and still answers.
    assert second.call(driver_call("RequestName", "su", ["org.example.C", 0])).body == [4]
    assert_logged(bus, "refusing RequestName org.example.D", second.unique_name, "hold 3 names",
                  "max_names_per_user=3")
    # A name released by one connection frees the user's share for another.
    assert first.call(driver_call("ReleaseName", "s", ["org.example.A"])).body == [1]
    assert second.call(driver_call("RequestName", "su", ["org.example.D", 0])).body == [1]


# A sender floods a receiver that does not read; how far it gets before its writes block.
FLOOD_MESSAGE_BYTES = 16 * 1024
FLOOD_ATTEMPT = 8 * 1024 * 1024
# Socket buffers on both sides hold a few hundred KiB; with the bus's own queue capped at
# 64 KiB a throttled sender is blocked far below this.
THROTTLED_BOUND = 4 * 1024 * 1024


def flood(sender, destination, attempt, blocked_after=SILENCE):
    """Sends signals to `destination` without blocking until the socket stays full for
    `blocked_after` s or `attempt` bytes went out. Returns (whole messages sent, bytes sent,
    the unsent rest of a message cut short)."""
    sender.sock.setblocking(False)
    sent_messages, sent_bytes, rest = 0, 0, b""
    while sent_bytes < attempt:
        data = rest or sender.marshal(Message(
            message_type=MessageType.SIGNAL, destination=destination, path="/", interface="org.example.Flood",
            member="Chunk", signature="ay", body=[b"f" * FLOOD_MESSAGE_BYTES]))
        try:
            count = sender.sock.send(data)
        except BlockingIOError:
            if not select.select([], [sender.sock], [], blocked_after)[1]:
                rest = data
                break
            rest = data
            continue
        sent_bytes += count
        rest = data[count:]
        if not rest:
            sent_messages += 1
    sender.sock.setblocking(True)
    return sent_messages, sent_bytes, rest


@pytest.mark.bus_limits({"max_incoming_bytes": 65536})
def test_max_incoming_bytes_stops_reading_the_sender_until_its_messages_drain(bus):
    receiver = peer(bus)
    sender = peer(bus)
    messages, sent, rest = flood(sender, receiver.unique_name, FLOOD_ATTEMPT)
    assert rest, f"the sender wrote {sent} bytes without ever blocking"
    assert sent < THROTTLED_BOUND, f"the bus kept reading a throttled sender: {sent} bytes"
    # The receiver reads: the sender is read again, nothing was lost and nobody was dropped.
    # The rest of the cut message goes from a thread: the bus reads the sender only once the
    # receiver drains, so writing it before reading could block for ever on a full socket.
    finishing = threading.Thread(target=sender.sock.sendall, args=(rest,), daemon=True)
    finishing.start()
    messages += 1
    chunks = 0
    while chunks < messages:
        if receiver.read_message(timeout=10.0).member == "Chunk":
            chunks += 1
    finishing.join(timeout=10.0)
    assert not finishing.is_alive(), "the bus never read the rest of the sender's message"
    assert sender.call(driver_call("GetId")).message_type == MessageType.METHOD_RETURN
