# NameOwnerChanged, NameAcquired and NameLost as a dbus-fast client sees them: which
# connection gets which, and in what order relative to each other and to the method reply.
import asyncio

from clients import Recorder

NAME = "org.example.Signals"
ALLOW_REPLACEMENT, REPLACE_EXISTING = 1, 2
NAME_SIGNALS = "type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged'"


def signal(member, *body):
    return ("signal", member, list(body))


def reply(*body):
    return ("return", None, list(body))


async def owner_changes_scenario(address):
    watcher, a, b = [await Recorder.connect(address) for _ in range(3)]
    for client in (watcher, a, b):
        await client.driver("AddMatch", "s", [NAME_SIGNALS])
    start = {c: len(c.messages) for c in (watcher, a, b)}

    await a.driver("RequestName", "su", [NAME, ALLOW_REPLACEMENT])
    assert a.events(start[a]) == [
        signal("NameOwnerChanged", NAME, "", a.name), signal("NameAcquired", NAME), reply(1)]

    mark_a = len(a.messages)
    await b.driver("RequestName", "su", [NAME, REPLACE_EXISTING])
    await a.wait_for(lambda m: len(m) >= mark_a + 2, "NameLost and NameOwnerChanged")
    assert a.events(mark_a) == [
        signal("NameLost", NAME), signal("NameOwnerChanged", NAME, a.name, b.name)]
    # b's own view of the same transfer: b matched NameOwnerChanged before a requested.
    assert b.events(start[b])[-3:] == [
        signal("NameOwnerChanged", NAME, a.name, b.name), signal("NameAcquired", NAME),
        reply(1)]

    mark_a, mark_b = len(a.messages), len(b.messages)
    await b.driver("ReleaseName", "s", [NAME])
    assert b.events(mark_b) == [
        signal("NameLost", NAME), signal("NameOwnerChanged", NAME, b.name, a.name), reply(1)]
    await a.wait_for(lambda m: len(m) >= mark_a + 2, "the name back")
    assert a.events(mark_a) == [
        signal("NameOwnerChanged", NAME, b.name, a.name), signal("NameAcquired", NAME)]

    a_name = a.name
    a.disconnect()
    expected = [
        signal("NameOwnerChanged", NAME, "", a_name),
        signal("NameOwnerChanged", NAME, a_name, b.name),
        signal("NameOwnerChanged", NAME, b.name, a_name),
        signal("NameOwnerChanged", NAME, a_name, ""),
        signal("NameOwnerChanged", a_name, a_name, ""),
    ]
    await watcher.wait_for(lambda m: len(m) >= start[watcher] + len(expected), "disconnect")
    assert watcher.events(start[watcher]) == expected
    watcher.disconnect()
    b.disconnect()


def test_name_owner_changed_acquired_lost_in_order(bus):
    asyncio.run(owner_changes_scenario(bus.address))


async def hello_scenario(address):
    watcher = await Recorder.connect(address)
    await watcher.driver("AddMatch", "s", [NAME_SIGNALS])
    mark = len(watcher.messages)
    newcomer = await Recorder.connect(address)
    await watcher.wait_for(lambda m: len(m) > mark, "the newcomer's NameOwnerChanged")
    assert watcher.events(mark) == [
        signal("NameOwnerChanged", newcomer.name, "", newcomer.name)]
    # NameAcquired for the unique name reaches the newcomer after the Hello reply; dbus-fast
    # consumed both during connect, so ask the bus again that it owns its name.
    owner = await newcomer.driver("GetNameOwner", "s", [newcomer.name])
    assert owner.body == [newcomer.name]
    newcomer.disconnect()
    watcher.disconnect()


def test_hello_announces_unique_name(bus):
    asyncio.run(hello_scenario(bus.address))
