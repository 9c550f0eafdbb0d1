# An idle bus uses no CPU: after a burst of traffic stops, the bus process must go to sleep.
# A loop that never sleeps — a descriptor left readable under level-triggered epoll, a timer
# re-armed at once, a poll repeated instead of done once before each blocking wait
# (swiftbusd's --busy-poll) — would use the whole window. The same holds for every bus.
# (How the poll shrinks under sporadic traffic is BusyPollTests' subject: per message it is
# too little CPU to see from /proc's clock ticks.)
import os
import time

from raw_peer import RawPeer, driver_call

# Calls in the burst, sent pipelined in rounds so the bus wakes in quick succession.
BURST_ROUNDS = 50
CALLS_PER_ROUND = 40
# How long the bus is watched once idle, and the CPU it may use meanwhile (timer ticks,
# logging): a loop that kept polling would use the whole window.
IDLE_WINDOW = 1.0
IDLE_CPU_ALLOWED = 0.05


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # utime and stime: fields 14 and 15 of proc(5), 12 and 13 after the command name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_an_idle_bus_sleeps_after_a_burst(bus):
    peer = RawPeer(str(bus.socket))
    assert peer.authenticate().startswith("OK ")
    peer.hello()
    for _ in range(BURST_ROUNDS):
        for _ in range(CALLS_PER_ROUND):
            peer.send(peer.marshal(driver_call("GetId")))
        for _ in range(CALLS_PER_ROUND):
            assert peer.read_message() is not None
    time.sleep(0.2)  # any poll still running ends within milliseconds
    before = cpu_seconds(bus.pid())
    time.sleep(IDLE_WINDOW)
    used = cpu_seconds(bus.pid()) - before
    assert used <= IDLE_CPU_ALLOWED, f"{bus.kind} used {used:.2f} s of CPU in {IDLE_WINDOW} s with no traffic"
