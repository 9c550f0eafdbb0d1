# Python clients for the interop tests: dbus-fast connections that record what they receive.
import asyncio

from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus

from support import CONDITION_TIMEOUT, DBUS, DBUS_PATH


class Recorder:
    """A dbus-fast connection that keeps every message it receives, in arrival order."""

    def __init__(self, bus):
        self.bus = bus
        self.messages = []
        self._changed = asyncio.Event()
        bus.add_message_handler(self._record)

    @classmethod
    async def connect(cls, address, negotiate_unix_fd=False):
        bus = await MessageBus(bus_address=address, negotiate_unix_fd=negotiate_unix_fd).connect()
        return cls(bus)

    @property
    def name(self):
        return self.bus.unique_name

    def _record(self, message):
        self.messages.append(message)
        self._changed.set()
        return None  # not handled here: dbus-fast still completes its own calls

    async def wait_for(self, predicate, what="messages"):
        """Waits until predicate(messages) is true; returns its value."""
        async def poll():
            while True:
                value = predicate(self.messages)
                if value:
                    return value
                self._changed.clear()
                await self._changed.wait()
        try:
            return await asyncio.wait_for(poll(), CONDITION_TIMEOUT)
        except asyncio.TimeoutError:
            raise AssertionError(f"{self.name}: timed out waiting for {what}; got "
                                 f"{[describe(m) for m in self.messages]}") from None

    async def driver(self, member, signature="", body=(), interface=DBUS):
        reply = await self.bus.call(Message(destination=DBUS, path=DBUS_PATH, interface=interface,
                                            member=member, signature=signature, body=list(body)))
        if reply.message_type == MessageType.ERROR:
            raise AssertionError(f"{member}: {reply.error_name}: {reply.body}")
        return reply

    def events(self, since=0):
        """Messages as comparable tuples, from index `since` on."""
        return [describe(m) for m in self.messages[since:]]

    def disconnect(self):
        self.bus.disconnect()


def describe(message):
    """(kind, member or None, body) — the parts of a message a user relies on."""
    kind = message.message_type
    if kind == MessageType.SIGNAL:
        return ("signal", message.member, list(message.body))
    if kind == MessageType.METHOD_RETURN:
        return ("return", None, list(message.body))
    if kind == MessageType.ERROR:
        return ("error", message.error_name, list(message.body))
    return ("call", message.member, list(message.body))
