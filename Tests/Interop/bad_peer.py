# A misbehaving peer for the bad-input tests: runs one abuse against the bus and prints, as
# one JSON line, its pid, its unique name (if it got one) and what the bus did about it.
#
# Usage: bad_peer.py SCENARIO SOCKET-PATH
#   Then stays alive, holding its socket, until killed (so a test can check the bus still
#   serves everyone else while this peer is stuck or gone).
import json
import os
import select
import signal
import struct
import sys

from dbus_fast import Message, MessageFlag, MessageType

from raw_peer import DBUS, DBUS_PATH, PeerClosed, RawPeer, driver_call

# How long the bus may take to close a peer it should close.
CLOSE_TIMEOUT = 5.0
# The never-reading peer sends itself this many bytes, FLOOD_MESSAGE at a time.
FLOOD_BUDGET = 128 * 1024 * 1024
FLOOD_MESSAGE = 64 * 1024
# A send that blocks this long means the bus has stopped reading this peer.
FLOOD_STALL = 1.0
# Garbage lines and bogus AUTH commands sent by the SASL abuses.
ABUSIVE_LINES = 200
# Bytes of an authentication line with no end.
OVERLONG_LINE = 1024 * 1024


def registered(peer, unix_fds=False):
    reply = peer.authenticate(unix_fds=unix_fds)
    assert reply.startswith("OK "), reply
    peer.hello()
    return peer


def outcome_of_close(peer):
    return "closed" if peer.closed_within(CLOSE_TIMEOUT) else "open"


def malformed(peer):
    registered(peer)
    data = peer.marshal(driver_call("NameHasOwner", "s", ["org.example.X"]))
    # The body signature "s" becomes "!", which is no type code.
    field = data.index(b"\x08\x01g\x00\x01s\x00")
    peer.send(data[:field + 5] + b"!" + data[field + 6:])
    return outcome_of_close(peer)


def huge_length(peer):
    registered(peer)
    data = bytearray(peer.marshal(driver_call("GetId")))
    data[4:8] = struct.pack("<I", 0x7FFFFFF0)  # body length far above the 128 MiB maximum
    peer.send(bytes(data))
    return outcome_of_close(peer)


def fd_mismatch(peer):
    registered(peer, unix_fds=True)
    read_end, write_end = os.pipe()
    message = Message(destination=DBUS, path=DBUS_PATH, interface="org.freedesktop.DBus.Peer",
                      member="Ping", unix_fds=[read_end, write_end])
    peer.send(peer.marshal(message), fds=[read_end])  # UNIX_FDS says 2
    return outcome_of_close(peer)


def forged_sender(peer):
    registered(peer)
    peer.send(peer.marshal(Message(message_type=MessageType.SIGNAL, path="/org/example/Forged",
                                   interface="org.example.Forged", member="Claim",
                                   sender="org.freedesktop.DBus", signature="s",
                                   body=["forged"])))
    # Not a reason to end the peer: the bus overwrites the field and carries on.
    reply = peer.call(Message(destination=DBUS, path=DBUS_PATH,
                              interface="org.freedesktop.DBus.Peer", member="Ping"))
    return "served" if reply.message_type == MessageType.METHOD_RETURN else "refused"


def sasl_garbage(peer):
    peer.send(b"\0")
    replies = []
    try:
        for _ in range(ABUSIVE_LINES):
            peer.send(b"\x01\x02garbage\xff\r\n")
            replies.append(peer.read_line())
        # Whatever it answered, the peer is not authenticated: BEGIN and a call get nothing.
        peer.send(b"BEGIN\r\n")
        peer.send(peer.marshal(driver_call("Hello")))
        message = peer.read_message(timeout=1.0)
        return f"answered a message: {message.message_type}"
    except (PeerClosed, BrokenPipeError, ConnectionResetError):
        if all(r.startswith("ERROR") for r in replies):
            return "closed"
        return f"closed after {replies}"
    except TimeoutError:
        if all(r.startswith("ERROR") for r in replies):
            return "limited"
        return f"unexpected replies {sorted(set(replies))}"


def sasl_overlong(peer):
    peer.send(b"\0AUTH EXTERNAL ")
    try:
        peer.send(b"3" * OVERLONG_LINE)
    except (BrokenPipeError, ConnectionResetError):
        return "closed"
    return outcome_of_close(peer)


def sasl_too_many(peer):
    peer.send(b"\0")
    try:
        for _ in range(ABUSIVE_LINES):
            peer.send(b"AUTH BOGUS\r\n")
            reply = peer.read_line()
            if not reply.startswith("REJECTED"):
                return f"answered {reply!r}"
    except (PeerClosed, BrokenPipeError, ConnectionResetError):
        return "closed"
    return "open"


def sasl_wrong_uid(peer):
    reply = peer.authenticate(uid=os.getuid() + 4242)
    if reply.startswith("OK"):
        return "accepted"
    # Pushing on regardless must not get the peer onto the bus.
    try:
        peer.send(b"BEGIN\r\n")
        peer.send(peer.marshal(driver_call("Hello")))
        message = peer.read_message(timeout=1.0)
        return f"answered a message: {message.message_type}"
    except (PeerClosed, BrokenPipeError, ConnectionResetError):
        return "closed"
    except TimeoutError:
        return "limited"


def never_reads(peer):
    """Sends itself large calls through the bus and never reads: the bus's queue towards
    this peer is the only one that fills."""
    registered(peer)
    peer.sock.setblocking(False)
    payload = "x" * FLOOD_MESSAGE
    sent = 0
    for _ in range(FLOOD_BUDGET // FLOOD_MESSAGE):
        data = memoryview(peer.marshal(Message(
            destination=peer.unique_name, path="/org/example/Flood",
            interface="org.example.Flood", member="Flood", signature="s", body=[payload],
            # No reply expected, so the bus's pending-reply cap does not stop the flood
            # early: only its queue limits can.
            flags=MessageFlag.NO_REPLY_EXPECTED)))
        while data:
            try:
                count = peer.sock.send(data)
                data, sent = data[count:], sent + count
            except BlockingIOError:
                if not select.select([], [peer.sock], [], FLOOD_STALL)[1]:
                    return "limited"
            except (BrokenPipeError, ConnectionResetError):
                return "closed"
    return "sent all"


SCENARIOS = {f.__name__: f for f in (malformed, huge_length, fd_mismatch, forged_sender,
                                     sasl_garbage, sasl_overlong, sasl_too_many,
                                     sasl_wrong_uid, never_reads)}


def main():
    scenario, path = sys.argv[1], sys.argv[2]
    peer = RawPeer(path)
    try:
        outcome = SCENARIOS[scenario](peer)
    except Exception as error:  # reported, so the test shows what went wrong
        outcome = f"error: {error!r}"
    print(json.dumps({"pid": os.getpid(), "unique": peer.unique_name, "outcome": outcome}),
          flush=True)
    signal.pause()


if __name__ == "__main__":
    main()
