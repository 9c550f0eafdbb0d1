# The well-behaved peer of the bad-input tests (dbus-fast): for each line on stdin it makes
# one round trip through the bus to the echo service and prints "ok N" or "error ...".
#
# Usage: steady_client.py ADDRESS
import asyncio
import sys

from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus


async def main(address):
    bus = await MessageBus(bus_address=address).connect()
    loop = asyncio.get_running_loop()
    print("ready", bus.unique_name, flush=True)
    count = 0
    while await loop.run_in_executor(None, sys.stdin.readline):
        count += 1
        reply = await bus.call(Message(destination="org.example.Echo", path="/org/example/Echo",
                                       interface="org.example.Echo", member="EchoString",
                                       signature="s", body=[f"round trip {count}"]))
        expected = [f"round trip {count}"]
        if reply.message_type == MessageType.METHOD_RETURN and reply.body == expected:
            print("ok", count, flush=True)
        else:
            print("error", reply.error_name, reply.body, flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
