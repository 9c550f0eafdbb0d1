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
