# Routing as clients rely on it: per-sender order, match rules with arg0, eavesdropping,
# unique names never reused, and unknown header fields filtered out.
import asyncio

from dbus_fast import Message, MessageType

from clients import Recorder
from raw_peer import RawPeer, build_message, header_field_codes
from support import broker_differs, daemon_differs, dbus_send, error_of

# Signals sent back to back by one client; all must arrive, in order.
ORDER_COUNT = 500
SIGNAL = 4


def example_signal(index, destination=None):
    return Message(message_type=MessageType.SIGNAL, path="/org/example/Order",
                   interface="org.example.Order", member="Tick", signature="u", body=[index],
                   destination=destination)


async def order_scenario(address, socket_path):
    receiver = await Recorder.connect(address)
    await receiver.driver("AddMatch", "s", ["type='signal',interface='org.example.Order'"])
    # The sender writes with a blocking socket: dbus-fast's writer gives up on EAGAIN
    # (dbus-fast 2.x), which would test dbus-fast rather than the bus.
    sender = RawPeer(socket_path)
    assert sender.authenticate().startswith("OK ")
    sender.hello()
    burst = b"".join(sender.marshal(example_signal(index)) for index in range(ORDER_COUNT))
    await asyncio.get_running_loop().run_in_executor(None, sender.sock.sendall, burst)
    ticks = await receiver.wait_for(
        lambda ms: (lambda t: t if len(t) >= ORDER_COUNT else None)(
            [m.body[0] for m in ms if m.member == "Tick"]), "every Tick")
    sender.sock.close()
    receiver.disconnect()
    return ticks


def test_signals_from_one_sender_arrive_in_order(bus):
    assert asyncio.run(order_scenario(bus.address, str(bus.socket))) == list(range(ORDER_COUNT))


async def arg0_scenario(address):
    watcher, owner = await Recorder.connect(address), await Recorder.connect(address)
    await watcher.driver("AddMatch", "s", [
        "type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',"
        "arg0='org.example.Wanted'"])
    await owner.driver("RequestName", "su", ["org.example.Unwanted", 0])
    await owner.driver("RequestName", "su", ["org.example.Wanted", 0])
    changes = await watcher.wait_for(
        lambda ms: [m.body for m in ms if m.member == "NameOwnerChanged"], "NameOwnerChanged")
    # A Ping round trip later, nothing else has come: the Unwanted change was filtered.
    await watcher.driver("Ping", interface="org.freedesktop.DBus.Peer")
    changes = [m.body for m in watcher.messages if m.member == "NameOwnerChanged"]
    result = (changes, owner.name)
    watcher.disconnect()
    owner.disconnect()
    return result


def test_arg0_match_selects_one_name(bus):
    changes, owner = asyncio.run(arg0_scenario(bus.address))
    assert changes == [["org.example.Wanted", "", owner]]


async def eavesdrop_scenario(address):
    spy, a, b = [await Recorder.connect(address) for _ in range(3)]
    await spy.driver("AddMatch", "s",
                     ["type='signal',interface='org.example.Order',eavesdrop='true'"])
    await a.bus.send(example_signal(7, destination=b.name))
    seen = await spy.wait_for(lambda ms: [m for m in ms if m.member == "Tick"], "the unicast Tick")
    got = await b.wait_for(lambda ms: [m for m in ms if m.member == "Tick"], "the Tick")
    result = (seen[0].sender, seen[0].destination, got[0].body, a.name, b.name)
    for client in (spy, a, b):
        client.disconnect()
    return result


@broker_differs("no eavesdropping by design: eavesdrop='true' is MatchRuleInvalid")
def test_eavesdrop_rule_sees_unicast_signal(bus):
    sender, destination, body, a, b = asyncio.run(eavesdrop_scenario(bus.address))
    assert (sender, destination, body) == (a, b, [7])


async def unique_names_scenario(address):
    names = []
    for _ in range(3):
        client = await Recorder.connect(address)
        names.append(client.name)
        client.disconnect()
        await client.bus.wait_for_disconnect()
    return names


def test_unique_names_are_never_reused(bus):
    names = asyncio.run(unique_names_scenario(bus.address))
    numbers = [int(name.split(".")[1]) for name in names]
    assert all(name.startswith(":1.") for name in names)
    assert numbers == sorted(set(numbers)), names


@broker_differs("version 33 passes unknown header fields on (no HeaderFiltering feature)")
def test_unknown_header_fields_are_filtered(bus):
    receiver, sender = RawPeer(str(bus.socket)), RawPeer(str(bus.socket))
    for peer in (receiver, sender):
        assert peer.authenticate().startswith("OK ")
        peer.hello()
    unknown_field = 100
    sender.send(build_message(SIGNAL, sender.next_serial(), [
        (1, "o", "/org/example/Filter"), (2, "s", "org.example.Filter"), (3, "s", "Ping"),
        (6, "s", receiver.unique_name), (unknown_field, "s", "not for the receiver")]))
    while True:
        message = receiver.read_message()
        if message.member == "Ping" and message.interface == "org.example.Filter":
            break
    codes = header_field_codes(receiver.last_raw)
    assert unknown_field not in codes
    # PATH, INTERFACE, MEMBER, DESTINATION and the SENDER the bus adds.
    assert sorted(codes) == [1, 2, 3, 6, 7]
    assert message.sender == sender.unique_name


@daemon_differs("a session bus whose policy allows all sends passes unrequested replies on")
def test_unexpected_reply_is_dropped(bus):
    forger, target = RawPeer(str(bus.socket)), RawPeer(str(bus.socket))
    for peer in (forger, target):
        assert peer.authenticate().startswith("OK ")
        peer.hello()
    # A reply to a call the target never made, then a signal to know when to stop looking.
    forger.send(forger.marshal(Message(message_type=MessageType.METHOD_RETURN,
                                       destination=target.unique_name, reply_serial=4242,
                                       signature="s", body=["unasked"])))
    forger.send(forger.marshal(example_signal(1, destination=target.unique_name)))
    received = []
    while not received or received[-1].member != "Tick":
        received.append(target.read_message())
    assert [m for m in received if m.message_type == MessageType.METHOD_RETURN
            and m.reply_serial == 4242] == []


def test_call_to_a_name_nobody_owns(bus):
    result = dbus_send(bus, "Anything", dest="org.example.Nobody", path="/x",
                       interface="org.example.Any")
    assert error_of(result) == ("org.freedesktop.DBus.Error.ServiceUnknown",
                                "The name org.example.Nobody was not provided by any "
                                ".service files")
