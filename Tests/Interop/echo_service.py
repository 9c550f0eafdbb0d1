# A D-Bus service for the interop tests, written with dbus-fast: org.example.Echo on
# /org/example/Echo echoes values of several signatures, emits a signal on request and
# reads a file descriptor it is passed.
#
# Usage: echo_service.py ADDRESS [NAME]
#   Prints "ready UNIQUE-NAME" on stdout once NAME (default org.example.Echo) is owned,
#   then serves until killed.
import asyncio
import os
import sys

from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, dbus_property, method, signal, PropertyAccess

INTERFACE = "org.example.Echo"
PATH = "/org/example/Echo"
# Largest read from a passed descriptor; the tests send a few bytes.
FD_READ_LIMIT = 65536


class Echo(ServiceInterface):
    def __init__(self):
        super().__init__(INTERFACE)

    @method()
    def EchoString(self, value: "s") -> "s":
        return value

    @method()
    def Echo(self, value: "v") -> "v":
        return value

    @method()
    def Sum(self, values: "ai") -> "x":
        return sum(values)

    @method()
    def EchoDict(self, value: "a{sv}") -> "a{sv}":
        return value

    @method()
    def EchoStruct(self, value: "(is)") -> "(is)":
        return value

    @method()
    def Emit(self, text: "s"):
        self.Pinged(text)

    @method()
    def ReadFd(self, fd: "h") -> "s":
        with os.fdopen(fd, "rb", closefd=True) as stream:
            return stream.read(FD_READ_LIMIT).decode()

    @signal()
    def Pinged(self, text) -> "s":
        return text

    @dbus_property(access=PropertyAccess.READ)
    def Greeting(self) -> "s":
        return "hello"


async def main(address, name):
    bus = await MessageBus(bus_address=address, negotiate_unix_fd=True).connect()
    bus.export(PATH, Echo())
    await bus.request_name(name)
    print("ready", bus.unique_name, flush=True)
    await bus.wait_for_disconnect()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else INTERFACE))
