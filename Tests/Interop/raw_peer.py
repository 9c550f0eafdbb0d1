# A bare D-Bus peer on a raw Unix socket, for sending what no library would: it speaks SASL
# and frames messages itself, and uses dbus-fast only to marshal and parse well-formed ones.
import array
import io
import os
import select
import socket
import struct
import time

from dbus_fast import Message
# Not exported by dbus-fast's top level (2.x), but the one parser of a complete message held
# in memory; only well-formed messages from the bus go through it.
from dbus_fast._private.unmarshaller import Unmarshaller

DBUS = "org.freedesktop.DBus"
DBUS_PATH = "/org/freedesktop/DBus"
# The fixed part of a message header: endianness, type, flags, version, body length, serial,
# header-fields array length.
FIXED_HEADER = 16


class PeerClosed(Exception):
    """The bus closed the connection."""


class RawPeer:
    def __init__(self, socket_path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(socket_path)
        self.buffer = b""
        self.serial = 0
        self.unique_name = None
        self.last_raw = b""

    # -- bytes -----------------------------------------------------------------------------

    def send(self, data, fds=()):
        ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        self.sock.sendmsg([data], ancillary)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.sock], [], [], left)[0]:
            raise TimeoutError("no data from the bus")
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise PeerClosed()
        self.buffer += chunk

    def read_line(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.buffer:
            self._fill(deadline)
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line.decode(errors="replace")

    def read_message(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while len(self.buffer) < FIXED_HEADER:
            self._fill(deadline)
        order = "<" if self.buffer[0:1] == b"l" else ">"
        body_length, _, fields_length = struct.unpack(order + "III", self.buffer[4:16])
        header_end = FIXED_HEADER + fields_length
        total = header_end + (-header_end % 8) + body_length
        while len(self.buffer) < total:
            self._fill(deadline)
        data, self.buffer = self.buffer[:total], self.buffer[total:]
        self.last_raw = data
        unmarshaller = Unmarshaller(io.BytesIO(data))
        unmarshaller.unmarshall()
        return unmarshaller.message

    def closed_within(self, timeout):
        """True once the bus closes the connection (messages before that are discarded)."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._fill(deadline)
                self.buffer = b""
        except PeerClosed:
            return True
        except TimeoutError:
            return False

    # -- protocol --------------------------------------------------------------------------

    def authenticate(self, uid=None, unix_fds=False):
        uid = os.getuid() if uid is None else uid
        self.send(b"\0AUTH EXTERNAL " + str(uid).encode().hex().encode() + b"\r\n")
        reply = self.read_line()
        if not reply.startswith("OK "):
            return reply
        if unix_fds:
            self.send(b"NEGOTIATE_UNIX_FD\r\n")
            assert self.read_line() == "AGREE_UNIX_FD"
        self.send(b"BEGIN\r\n")
        return reply

    def next_serial(self):
        self.serial += 1
        return self.serial

    def marshal(self, message):
        message.serial = self.next_serial()
        return bytes(message._marshall(bool(message.unix_fds)))

    def call(self, message, timeout=5.0):
        """Sends a method call and returns its reply; other messages are discarded."""
        data = self.marshal(message)
        self.send(data)
        deadline = time.monotonic() + timeout
        while True:
            reply = self.read_message(max(0.0, deadline - time.monotonic()))
            if reply.reply_serial == message.serial:
                return reply

    def hello(self):
        reply = self.call(Message(destination=DBUS, path=DBUS_PATH, interface=DBUS, member="Hello"))
        self.unique_name = reply.body[0]
        return self.unique_name


def driver_call(member, signature="", body=()):
    return Message(destination=DBUS, path=DBUS_PATH, interface=DBUS, member=member,
                   signature=signature, body=list(body))


# -- hand-built messages: header fields no library would write ---------------------------

def _pad(data, alignment):
    return data + b"\0" * (-len(data) % alignment)


def _field_value(signature, value):
    """Little-endian encoding of a header field value, aligned from the field's start + 4."""
    if signature in ("s", "o"):
        raw = value.encode()
        return struct.pack("<I", len(raw)) + raw + b"\0"
    if signature == "g":
        raw = value.encode()
        return bytes([len(raw)]) + raw + b"\0"
    if signature == "u":
        return struct.pack("<I", value)
    raise ValueError(f"unsupported header field type {signature!r}")


def build_message(message_type, serial, fields, flags=0):
    """A little-endian message with no body and exactly the header fields given, as
    (code, signature, value) triples, in that order."""
    array = b""
    for code, signature, value in fields:
        array = _pad(array, 8)
        # code, variant signature; values of types s/o/u align to 4, which the 4-byte
        # prefix (code, length, signature, nul) already is for one-letter signatures.
        array += bytes([code, 1]) + signature.encode() + b"\0" + _field_value(signature, value)
    header = struct.pack("<cBBBIII", b"l", message_type, flags, 1, 0, serial, len(array))
    return _pad(header + array, 8)


def header_field_codes(raw):
    """The header field codes of a little-endian message, in wire order."""
    fields_length = struct.unpack("<I", raw[12:16])[0]
    position, end, codes = 16, 16 + fields_length, []
    while position < end:
        position += -position % 8
        code, signature_length = raw[position], raw[position + 1]
        signature = raw[position + 2:position + 2 + signature_length].decode()
        position += 3 + signature_length
        codes.append(code)
        if signature in ("s", "o"):
            position += -position % 4
            position += 4 + struct.unpack("<I", raw[position:position + 4])[0] + 1
        elif signature == "g":
            position += 1 + raw[position] + 1
        elif signature == "u":
            position += -position % 4
            position += 4
        else:
            raise ValueError(f"unexpected header field type {signature!r}")
    return codes
