#!/usr/bin/python3
# Activation timing: StartServiceByName round trips on swiftbusd and dbus-daemon, same run.
#
#   Benchmarks/Bus/activation.py [SWIFTBUSD] [ROUNDS]
#
# For each bus: a fresh bus whose <servicedir> holds one .service file per round; each round
# calls StartServiceByName for a new name whose Exec= is dbus-test-tool echo, and times the
# call until the SUCCESS reply (spawn, the service connecting, taking its name). Then it times
# a message to an unowned, non-activatable name (the lookup a miss costs) in a loop. Prints
# medians. Standard library plus dbus-python (/usr/bin/python3 has it).
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import dbus

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CONFIG = """<busconfig><type>session</type><listen>unix:path={dir}/bus</listen><auth>EXTERNAL</auth>
<servicedir>{dir}/services</servicedir>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>"""
# Calls to a missing name per measurement of the miss path.
MISSES = 2000


def start_bus(command, directory):
    os.makedirs(os.path.join(directory, "services"))
    with open(os.path.join(directory, "bus.conf"), "w") as f:
        f.write(CONFIG.format(dir=directory))
    proc = subprocess.Popen([command, f"--config-file={directory}/bus.conf", "--nofork", "--print-address"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    address = proc.stdout.readline().decode().strip()
    return proc, address


def measure(command, rounds):
    directory = tempfile.mkdtemp(prefix="sbact-")
    proc, address = start_bus(command, directory)
    try:
        bus = dbus.bus.BusConnection(address)
        driver = dbus.Interface(bus.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus"), "org.freedesktop.DBus")
        starts = []
        for index in range(rounds):
            name = f"org.example.Bench{index}"
            with open(os.path.join(directory, "services", f"{name}.service"), "w") as f:
                f.write(f"[D-BUS Service]\nName={name}\nExec=/usr/bin/dbus-test-tool echo --name={name}\n")
            driver.ReloadConfig()
            began = time.perf_counter()
            assert driver.StartServiceByName(name, dbus.UInt32(0)) == 1
            starts.append(time.perf_counter() - began)
        began = time.perf_counter()
        for _ in range(MISSES):
            try:
                bus.call_blocking("org.example.Nobody", "/", "org.example.X", "Y", "", ())
            except dbus.exceptions.DBusException:
                pass
        miss = (time.perf_counter() - began) / MISSES
        bus.close()
        return statistics.median(starts), miss
    finally:
        os.killpg(proc.pid, 15)
        proc.wait()
        shutil.rmtree(directory, ignore_errors=True)


def main():
    swiftbusd = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug", "swiftbusd")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    print(f"| bus | StartServiceByName to SUCCESS (median of {rounds}) | call to a missing name |")
    print("|---|---|---|")
    for label, command in (("swiftbusd", swiftbusd), ("dbus-daemon", "dbus-daemon")):
        start, miss = measure(command, rounds)
        print(f"| {label} | {start * 1000:.2f} ms | {miss * 1e6:.0f} µs |")


if __name__ == "__main__":
    main()
