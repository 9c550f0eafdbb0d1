#!/usr/bin/python3
# Wire vector generator: D-Bus messages marshalled by implementations nobody here wrote.
#
# Each vector is described once, producer-neutral, as the message a user means (type, flags,
# serial, header fields, body as typed JSON). Every producer that can express it marshals it
# (GDBus in both byte orders, dbus-fast in little-endian); the bytes are then parsed back with
# the same producer's own parser and converted to typed JSON again, and the vector is kept only
# if that matches the description. So the expected message in vectors.json is what the
# producer itself says the bytes mean, not what our code thinks.
#
# Run with Debian's python (for python3-gi) and the project venv's site-packages (dbus-fast):
#   .venv/bin/python Tests/DBusWireTests/Vectors/generate.py > Tests/DBusWireTests/Vectors/vectors.json
# The venv is made with --system-site-packages, so its python sees python3-gi as well.
#
# Typed JSON for a value: {"t": signature, "v": payload}, where the payload of
#   y n q i u h       is a JSON integer;       x t   a decimal string (JSON numbers lose 64 bits)
#   d                 a string Python's float() and Swift's Double() both read exactly
#   b                 true / false;            s o g a JSON string
#   aX                a list of payloads of X; ay a list of integers
#   a{KV}             a list of [key payload, value payload] pairs, in wire order
#   (...)             a list of member payloads
#   v                 a typed value {"t", "v"}
import io
import json
import os
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

from dbus_fast import Message as FastMessage  # noqa: E402
from dbus_fast import MessageFlag, MessageType, Variant  # noqa: E402
from dbus_fast._private.unmarshaller import Unmarshaller  # noqa: E402
from dbus_fast.__version__ import __version__ as dbus_fast_version  # noqa: E402

GDBUS = f"gdbus {GLib.MAJOR_VERSION}.{GLib.MINOR_VERSION}"
DBUS_FAST = f"dbus-fast {dbus_fast_version}"

FIELD_CODES = {"path": 1, "interface": 2, "member": 3, "errorName": 4, "replySerial": 5,
               "destination": 6, "sender": 7, "signature": 8, "unixFDs": 9}
TYPE_NAMES = {1: "method_call", 2: "method_return", 3: "error", 4: "signal"}
TYPE_CODES = {name: code for code, name in TYPE_NAMES.items()}
NO_REPLY_EXPECTED, NO_AUTO_START, ALLOW_INTERACTIVE_AUTHORIZATION = 0x1, 0x2, 0x4
FIXED_HEADER_LENGTH = 16
HEADER_FIELD_ALIGNMENT = 8


# ---- signatures -------------------------------------------------------------------------

def split_types(signature):
    """Splits a signature into its complete types."""
    types, i = [], 0
    while i < len(signature):
        end = complete_type_end(signature, i)
        types.append(signature[i:end])
        i = end
    return types


def complete_type_end(signature, i):
    c = signature[i]
    if c == "a":
        return complete_type_end(signature, i + 1)
    if c in "({":
        close, depth = {"(": ")", "{": "}"}[c], 0
        for j in range(i, len(signature)):
            if signature[j] in "({":
                depth += 1
            elif signature[j] in ")}":
                depth -= 1
                if depth == 0:
                    return j + 1
        raise ValueError(f"unbalanced {close} in {signature!r}")
    return i + 1


# ---- typed JSON -> producer values --------------------------------------------------------

def to_python(t, v, variant, container_of_bytes):
    """Converts a payload to the Python value a producer takes; `variant` wraps a "v" value."""
    if t in "ynqiuh":
        return v
    if t in "xt":
        return int(v)
    if t == "d":
        return float(v)
    if t in "bsog":
        return v
    if t == "v":
        return variant(v["t"], to_python(v["t"], v["v"], variant, container_of_bytes))
    if t == "ay":
        return container_of_bytes(v)
    if t.startswith("a{"):
        key_type, value_type = split_types(t[2:-1])
        return {to_python(key_type, k, variant, container_of_bytes):
                to_python(value_type, val, variant, container_of_bytes) for k, val in v}
    if t.startswith("a"):
        return [to_python(t[1:], e, variant, container_of_bytes) for e in v]
    if t.startswith("("):
        members = split_types(t[1:-1])
        return tuple(to_python(mt, mv, variant, container_of_bytes) for mt, mv in zip(members, v))
    raise ValueError(f"unknown type {t}")


# ---- producer values -> typed JSON --------------------------------------------------------

def from_python(t, value):
    """Converts a value a producer's parser returned back to a typed-JSON payload."""
    if t in "ynqiuh":
        return int(value)
    if t in "xt":
        return str(int(value))
    if t == "d":
        return repr(float(value))
    if t == "b":
        return bool(value)
    if t in "sog":
        return str(value)
    if t == "v":
        if isinstance(value, GLib.Variant):
            inner_type = value.get_type_string()
            return {"t": inner_type, "v": from_glib(inner_type, value)}
        return {"t": value.signature, "v": from_python(value.signature, value.value)}
    if t == "ay":
        return list(bytes(value))
    if t.startswith("a{"):
        key_type, value_type = split_types(t[2:-1])
        return [[from_python(key_type, k), from_python(value_type, val)] for k, val in value.items()]
    if t.startswith("a"):
        return [from_python(t[1:], e) for e in value]
    if t.startswith("("):
        return [from_python(mt, mv) for mt, mv in zip(split_types(t[1:-1]), value)]
    raise ValueError(f"unknown type {t}")


def from_glib(t, variant):
    """Typed-JSON payload of a GLib.Variant, read through GVariant's own accessors."""
    if t == "v":
        inner = variant.get_variant()
        return {"t": inner.get_type_string(), "v": from_glib(inner.get_type_string(), inner)}
    if t == "h":
        return variant.get_handle()
    if t == "ay":
        return list(variant.get_data_as_bytes().get_data())
    if t.startswith("a{"):
        key_type, value_type = split_types(t[2:-1])
        entries = (variant.get_child_value(i) for i in range(variant.n_children()))
        return [[from_glib(key_type, e.get_child_value(0)), from_glib(value_type, e.get_child_value(1))]
                for e in entries]
    if t.startswith("a"):
        return [from_glib(t[1:], variant.get_child_value(i)) for i in range(variant.n_children())]
    if t.startswith("("):
        members = split_types(t[1:-1])
        return [from_glib(mt, variant.get_child_value(i)) for i, mt in enumerate(members)]
    return from_python(t, variant.unpack())


# ---- the messages -------------------------------------------------------------------------

def call(name, body=(), flags=0, serial=1, **fields):
    header = {"path": "/org/example/Object", "interface": "org.example.Interface",
              "member": "Method", "destination": "org.example.Service"}
    header.update(fields)
    return message(name, 1, flags, serial, header, body)


def message(name, type_code, flags, serial, fields, body):
    fields = {k: v for k, v in fields.items() if v is not None}
    if body:
        fields["signature"] = "".join(t for t, _ in body)
    return {"name": name, "type": TYPE_NAMES[type_code], "flags": flags, "serial": serial,
            "fields": fields, "body": [{"t": t, "v": v} for t, v in body]}


INT_EDGES = [("y", 0), ("y", 255), ("n", -32768), ("n", 32767), ("q", 65535),
             ("i", -2147483648), ("i", 2147483647), ("u", 4294967295),
             ("x", "-9223372036854775808"), ("x", "9223372036854775807"),
             ("t", "18446744073709551615")]

SV_DICT = [["empty", {"t": "s", "v": ""}],
           ["int", {"t": "i", "v": -7}],
           ["nested", {"t": "v", "v": {"t": "v", "v": {"t": "t", "v": "42"}}}],
           ["dict", {"t": "a{sv}", "v": [["inner", {"t": "ay", "v": [1, 2, 3]}]]}],
           ["struct", {"t": "(ib)", "v": [3, True]}],
           ["paths", {"t": "ao", "v": ["/", "/a/b_c"]}]]


def vectors():
    """Every vector, producer-neutral. Names say what each one is there to show."""
    return [
        call("call_no_body"),
        call("call_no_body_minimal", interface=None, destination=None),
        call("call_every_basic_type", body=[
            ("y", 7), ("b", True), ("b", False), ("n", -2), ("q", 3), ("i", -4), ("u", 5),
            ("x", "-6"), ("t", "7"), ("d", "3.5"), ("s", "str"), ("o", "/o/p"), ("g", "a{sv}(id)")]),
        call("call_integer_edges", body=INT_EDGES),
        call("call_double_edges", body=[("d", "-0.0"), ("d", "inf"), ("d", "-inf"),
                                         ("d", "5e-324"), ("d", "1.7976931348623157e+308"),
                                         ("d", "0.1")]),
        call("call_utf8_strings", body=[("s", "héllo wörld — ✓ 𝄞 日本語"), ("s", ""),
                                         ("as", ["ß", "€", "😀"])]),
        # Each array length ends 4 bytes short of an 8 boundary, so the padding to the
        # (absent) first element shows, and the last one pads the end of the body.
        call("call_empty_arrays_8_aligned", body=[("y", 1), ("u", 2), ("at", []), ("y", 3), ("u", 4),
                                                   ("ad", []), ("y", 5), ("u", 6), ("a(yt)", []),
                                                   ("y", 7), ("u", 8), ("a{sv}", [])]),
        call("call_empty_arrays_4_aligned", body=[("y", 1), ("ai", []), ("as", []), ("ay", [])]),
        call("call_arrays", body=[("ai", [1, -1, 2147483647]), ("ay", list(range(0, 256, 17))),
                                  ("as", ["a", "bb", ""]), ("ab", [True, False]),
                                  ("ax", ["1", "-1"]), ("ad", ["1.5", "-2.25"])]),
        call("call_byte_array_large", body=[("ay", [i % 256 for i in range(300)])]),
        call("call_nested_arrays", body=[("aat", [["1"], [], ["2", "3"]]),
                                         ("aas", [[], ["x"], ["y", "z"]]),
                                         ("aay", [[1], [], [2, 3]])]),
        call("call_dict_sv_nested_variants", body=[("a{sv}", SV_DICT)]),
        call("call_dicts_other_keys", body=[("a{ix}", [[1, "-1"], [2, "2"]]),
                                            ("a{ss}", [["k", "v"], ["é", "ü"]]),
                                            ("a{oa{sv}}", [["/a", [["p", {"t": "u", "v": 1}]]], ["/b", []]]),
                                            ("a{ya{tb}}", [[9, [["10", True]]]])]),
        call("call_structs", body=[("(i(sd)ay)", [1, ["s", "2.5"], [9]]),
                                   ("a(yt)", [[1, "2"], [3, "4"]]),
                                   ("(yv)", [5, {"t": "(ai)", "v": [[1, 2]]}])]),
        call("call_paths_and_signatures", body=[("o", "/"), ("ao", ["/org/example", "/a/b/c"]),
                                                ("g", ""), ("ag", ["s", "a{sv}", "(ii)"])]),
        call("call_variants_of_every_basic_type", body=[
            ("av", [{"t": t, "v": v} for t, v in [("y", 1), ("b", True), ("n", -1), ("q", 1),
                                                   ("i", -1), ("u", 1), ("x", "-1"), ("t", "1"),
                                                   ("d", "1.25"), ("s", "s"), ("o", "/p"), ("g", "ai")]])]),
        call("call_unix_fds", body=[("h", 0), ("s", "between"), ("h", 1), ("ah", [1, 0])],
             unixFDs=2),
        call("call_flag_no_reply_expected", flags=NO_REPLY_EXPECTED),
        call("call_flag_no_auto_start", flags=NO_AUTO_START),
        call("call_flag_allow_interactive_authorization", flags=ALLOW_INTERACTIVE_AUTHORIZATION),
        call("call_flags_all", flags=NO_REPLY_EXPECTED | NO_AUTO_START | ALLOW_INTERACTIVE_AUTHORIZATION,
             serial=4294967295),
        call("call_with_sender", sender=":1.42", serial=1000, body=[("s", "routed by the bus")]),
        message("method_return_empty", 2, NO_REPLY_EXPECTED, 2,
                {"replySerial": 1, "destination": ":1.7"}, []),
        message("method_return_with_body", 2, 0, 3,
                {"replySerial": 4294967295, "destination": ":1.7", "sender": "org.example.Service"},
                [("s", "ok"), ("a{sv}", SV_DICT[:2])]),
        message("error_with_message", 3, NO_REPLY_EXPECTED, 5,
                {"errorName": "org.freedesktop.DBus.Error.UnknownMethod", "replySerial": 9,
                 "destination": ":1.7"}, [("s", "No such method “Frob”")]),
        message("error_without_body", 3, 0, 6,
                {"errorName": "org.example.Error.Failed", "replySerial": 10}, []),
        message("signal_with_body", 4, 0, 7,
                {"path": "/org/freedesktop/DBus", "interface": "org.freedesktop.DBus",
                 "member": "NameOwnerChanged", "sender": "org.freedesktop.DBus"},
                [("s", "org.example.Name"), ("s", ""), ("s", ":1.3")]),
        message("signal_unicast", 4, 0, 8,
                {"path": "/", "interface": "org.example.Interface", "member": "Changed",
                 "destination": ":1.9"}, [("a{sv}", SV_DICT[2:4]), ("as", [])]),
    ]


# ---- GDBus ----------------------------------------------------------------------------------

def gdbus_blob(spec, byte_order):
    m = Gio.DBusMessage.new()
    m.set_message_type(Gio.DBusMessageType(TYPE_CODES[spec["type"]]))
    m.set_flags(Gio.DBusMessageFlags(spec["flags"]))
    m.set_serial(spec["serial"])
    f = spec["fields"]
    setters = {"path": m.set_path, "interface": m.set_interface, "member": m.set_member,
               "errorName": m.set_error_name, "replySerial": m.set_reply_serial,
               "destination": m.set_destination, "sender": m.set_sender}
    for key, setter in setters.items():
        if key in f:
            setter(f[key])
    if spec["body"]:
        signature = "".join(v["t"] for v in spec["body"])
        values = tuple(to_python(v["t"], v["v"], GLib.Variant, bytes) for v in spec["body"])
        m.set_body(GLib.Variant(f"({signature})", values))
    if "unixFDs" in f:
        fds = Gio.UnixFDList.new()
        for _ in range(f["unixFDs"]):
            fd = os.open("/dev/null", os.O_RDONLY)
            fds.append(fd)
            os.close(fd)
        m.set_unix_fd_list(fds)
    m.set_byte_order(byte_order)
    return bytes(m.to_blob(Gio.DBusCapabilityFlags.UNIX_FD_PASSING))


def gdbus_decode(blob):
    m = Gio.DBusMessage.new_from_blob(blob, Gio.DBusCapabilityFlags.UNIX_FD_PASSING)
    getters = {"path": m.get_path, "interface": m.get_interface, "member": m.get_member,
               "errorName": m.get_error_name, "replySerial": m.get_reply_serial,
               "destination": m.get_destination, "sender": m.get_sender,
               "signature": m.get_signature, "unixFDs": m.get_num_unix_fds}
    fields = {k: g() for k, g in getters.items()}
    fields = {k: v for k, v in fields.items() if v not in (None, "", 0)}
    body = m.get_body()
    typed = []
    if body is not None:
        for i, t in enumerate(split_types(body.get_type_string()[1:-1])):
            typed.append({"t": t, "v": from_glib(t, body.get_child_value(i))})
    return {"type": TYPE_NAMES[int(m.get_message_type())], "flags": int(m.get_flags()),
            "serial": m.get_serial(), "fields": fields, "body": typed}


# ---- dbus-fast ------------------------------------------------------------------------------

def fast_blob(spec):
    f = spec["fields"]
    body = [to_python(v["t"], v["v"], Variant, bytes) for v in spec["body"]]
    body = [list(v) if isinstance(v, tuple) else v for v in body]
    m = FastMessage(message_type=MessageType(TYPE_CODES[spec["type"]]),
                    flags=MessageFlag(spec["flags"]), serial=spec["serial"],
                    path=f.get("path"), interface=f.get("interface"), member=f.get("member"),
                    error_name=f.get("errorName"), reply_serial=f.get("replySerial"),
                    destination=f.get("destination"), signature=f.get("signature", ""),
                    body=tuple_to_list(body), unix_fds=list(range(f.get("unixFDs", 0))))
    return bytes(m._marshall(True))


def tuple_to_list(value):
    """dbus-fast marshals structs from lists (it accepts tuples only at the top)."""
    if isinstance(value, tuple | list):
        return [tuple_to_list(v) for v in value]
    if isinstance(value, dict):
        return {k: tuple_to_list(v) for k, v in value.items()}
    if isinstance(value, Variant):
        return Variant(value.signature, tuple_to_list(value.value))
    return value


def fast_decode(blob, unix_fds):
    stream = io.BytesIO(blob)
    unmarshaller = Unmarshaller(stream, None, negotiate_unix_fd=True)
    m = unmarshaller.unmarshall()
    fields = {"path": m.path, "interface": m.interface, "member": m.member,
              "errorName": m.error_name, "replySerial": m.reply_serial,
              "destination": m.destination, "sender": m.sender, "signature": m.signature,
              "unixFDs": unix_fds if unix_fds else None}
    fields = {k: v for k, v in fields.items() if v not in (None, "", 0)}
    types = split_types(m.signature)
    return {"type": TYPE_NAMES[m.message_type.value], "flags": int(m.flags.value),
            "serial": m.serial, "fields": fields,
            "body": [{"t": t, "v": from_python(t, v)} for t, v in zip(types, m.body)]}


def fast_can_express(spec):
    # dbus-fast never marshals the SENDER field: only the bus sets it.
    return "sender" not in spec["fields"]


# ---- libdbus (the reference implementation, through ctypes) ---------------------------------

class LibDBus:
    """The few libdbus calls needed to build and marshal a message (little-endian only:
    libdbus writes host order)."""
    # sizeof(DBusMessageIter) is 72 on 64-bit Linux; room to spare costs nothing here.
    ITER_SIZE = 256
    TYPE_CODES = {"struct": ord("r"), "dict_entry": ord("e")}

    def __init__(self):
        import ctypes
        self.c = ctypes
        self.lib = ctypes.CDLL("libdbus-1.so.3")
        major, minor, micro = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        self.lib.dbus_get_version(ctypes.byref(major), ctypes.byref(minor), ctypes.byref(micro))
        self.name = f"libdbus {major.value}.{minor.value}.{micro.value}"
        for fn in ("dbus_message_new", "dbus_message_new_method_call", "dbus_message_new_signal"):
            getattr(self.lib, fn).restype = ctypes.c_void_p
        for fn in ("dbus_message_set_path", "dbus_message_set_interface", "dbus_message_set_member",
                   "dbus_message_set_error_name", "dbus_message_set_destination",
                   "dbus_message_set_sender"):
            getattr(self.lib, fn).argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        for fn in ("dbus_message_set_serial", "dbus_message_set_reply_serial", "dbus_message_set_no_reply",
                   "dbus_message_set_auto_start", "dbus_message_set_allow_interactive_authorization"):
            getattr(self.lib, fn).argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        self.lib.dbus_message_new_method_call.argtypes = [ctypes.c_char_p] * 4
        self.lib.dbus_message_new_signal.argtypes = [ctypes.c_char_p] * 3
        self.lib.dbus_message_iter_init_append.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.lib.dbus_message_iter_append_basic.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        self.lib.dbus_message_iter_open_container.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p,
                                                             ctypes.c_void_p]
        self.lib.dbus_message_iter_close_container.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.lib.dbus_message_marshal.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        self.lib.dbus_message_unref.argtypes = [ctypes.c_void_p]
        self.lib.dbus_free.argtypes = [ctypes.c_void_p]
        self.lib.dbus_message_demarshal.restype = ctypes.c_void_p
        self.lib.dbus_message_demarshal.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p]

    def blob(self, spec):
        lib, f, c = self.lib, spec["fields"], self.c
        enc = lambda s: s.encode() if s is not None else None  # noqa: E731
        kind = spec["type"]
        if kind == "method_call":
            m = lib.dbus_message_new_method_call(enc(f.get("destination")), enc(f["path"]),
                                                 enc(f.get("interface")), enc(f["member"]))
        elif kind == "signal":
            m = lib.dbus_message_new_signal(enc(f["path"]), enc(f["interface"]), enc(f["member"]))
            if "destination" in f:
                lib.dbus_message_set_destination(m, enc(f["destination"]))
        else:
            m = lib.dbus_message_new(TYPE_CODES[kind])
            if "errorName" in f:
                lib.dbus_message_set_error_name(m, enc(f["errorName"]))
            lib.dbus_message_set_reply_serial(m, f["replySerial"])
            if "destination" in f:
                lib.dbus_message_set_destination(m, enc(f["destination"]))
        if "sender" in f:
            lib.dbus_message_set_sender(m, enc(f["sender"]))
        lib.dbus_message_set_serial(m, spec["serial"])
        lib.dbus_message_set_no_reply(m, bool(spec["flags"] & NO_REPLY_EXPECTED))
        lib.dbus_message_set_auto_start(m, not spec["flags"] & NO_AUTO_START)
        lib.dbus_message_set_allow_interactive_authorization(m, bool(spec["flags"] & ALLOW_INTERACTIVE_AUTHORIZATION))
        it = c.create_string_buffer(self.ITER_SIZE)
        lib.dbus_message_iter_init_append(m, it)
        self.keep = []
        for v in spec["body"]:
            self.append(it, v["t"], v["v"])
        data, length = c.c_void_p(), c.c_int()
        if not lib.dbus_message_marshal(m, c.byref(data), c.byref(length)):
            raise SystemExit(f"libdbus could not marshal {spec['name']}")
        blob = c.string_at(data, length.value)
        lib.dbus_free(data)
        lib.dbus_message_unref(m)
        if not lib.dbus_message_demarshal(blob, len(blob), None):
            raise SystemExit(f"libdbus does not read back its own {spec['name']}")
        return blob

    def append(self, it, t, v):
        c, lib = self.c, self.lib
        scalars = {"y": c.c_uint8, "b": c.c_uint32, "n": c.c_int16, "q": c.c_uint16, "i": c.c_int32,
                   "u": c.c_uint32, "x": c.c_int64, "t": c.c_uint64, "d": c.c_double}
        if t in scalars:
            value = scalars[t](float(v) if t == "d" else int(v))
            lib.dbus_message_iter_append_basic(it, ord(t), c.byref(value))
        elif t in "sog":
            value = c.c_char_p(v.encode())
            self.keep.append(value)
            lib.dbus_message_iter_append_basic(it, ord(t), c.byref(value))
        elif t == "h":
            # libdbus takes a real fd, dups it, and writes the next index: the vectors list
            # fds in index order from 0, so appending /dev/null for each index reproduces it.
            fd = c.c_int(os.open("/dev/null", os.O_RDONLY))
            lib.dbus_message_iter_append_basic(it, ord("h"), c.byref(fd))
            os.close(fd.value)
        else:
            sub = c.create_string_buffer(self.ITER_SIZE)
            if t == "v":
                lib.dbus_message_iter_open_container(it, ord("v"), v["t"].encode(), sub)
                self.append(sub, v["t"], v["v"])
            elif t.startswith("a{"):
                key_type, value_type = split_types(t[2:-1])
                lib.dbus_message_iter_open_container(it, ord("a"), t[1:].encode(), sub)
                for key, value in v:
                    entry = c.create_string_buffer(self.ITER_SIZE)
                    lib.dbus_message_iter_open_container(sub, self.TYPE_CODES["dict_entry"], None, entry)
                    self.append(entry, key_type, key)
                    self.append(entry, value_type, value)
                    lib.dbus_message_iter_close_container(sub, entry)
            elif t.startswith("a"):
                lib.dbus_message_iter_open_container(it, ord("a"), t[1:].encode(), sub)
                for e in v:
                    self.append(sub, t[1:], e)
            else:
                lib.dbus_message_iter_open_container(it, self.TYPE_CODES["struct"], None, sub)
                for mt, mv in zip(split_types(t[1:-1]), v):
                    self.append(sub, mt, mv)
            lib.dbus_message_iter_close_container(it, sub)


def libdbus_can_express(spec):
    # libdbus numbers fds in the order they are appended; a body that refers to an earlier
    # index again (call_unix_fds' "ah" [1, 0]) cannot be built through its API.
    return "unixFDs" not in spec["fields"]


# ---- output ---------------------------------------------------------------------------------

def header_field_order(blob):
    """The field codes in the order the producer wrote them (GDBus uses hash-table order)."""
    little = blob[0:1] == b"l"
    fields_length = int.from_bytes(blob[12:16], "little" if little else "big")
    offset, end, codes = FIXED_HEADER_LENGTH, FIXED_HEADER_LENGTH + fields_length, []
    while offset < end:
        offset = (offset + HEADER_FIELD_ALIGNMENT - 1) // HEADER_FIELD_ALIGNMENT * HEADER_FIELD_ALIGNMENT
        code, sig_length = blob[offset], blob[offset + 1]
        type_code = chr(blob[offset + 2])
        offset += 3 + sig_length
        if type_code in "uos":
            offset = (offset + 3) // 4 * 4
            length = int.from_bytes(blob[offset:offset + 4], "little" if little else "big")
            offset += 4 + (length + 1 if type_code != "u" else 0)
        else:  # "g": one length byte
            offset += 1 + blob[offset] + 1
        codes.append(code)
    return codes


def record(spec, producer, order, blob):
    return {"name": spec["name"], "producer": producer, "byteOrder": order,
            "unixFDsReceived": spec["fields"].get("unixFDs", 0),
            "headerFieldOrder": header_field_order(blob), "hex": blob.hex(),
            "message": {k: spec[k] for k in ("type", "flags", "serial", "fields", "body")}}


def check(spec, decoded, producer):
    expected = {k: spec[k] for k in ("type", "flags", "serial", "fields", "body")}
    if decoded != expected:
        raise SystemExit(f"{producer} reads {spec['name']} back differently:\n"
                         f"  meant {json.dumps(expected, ensure_ascii=False)}\n"
                         f"  reads {json.dumps(decoded, ensure_ascii=False)}")


def main():
    out = []
    libdbus = LibDBus()
    for spec in vectors():
        for order_name, order in (("little", Gio.DBusMessageByteOrder.LITTLE_ENDIAN),
                                  ("big", Gio.DBusMessageByteOrder.BIG_ENDIAN)):
            blob = gdbus_blob(spec, order)
            check(spec, gdbus_decode(blob), GDBUS)
            out.append(record(spec, GDBUS, order_name, blob))
        if fast_can_express(spec):
            blob = fast_blob(spec)
            check(spec, fast_decode(blob, spec["fields"].get("unixFDs", 0)), DBUS_FAST)
            out.append(record(spec, DBUS_FAST, "little", blob))
        if libdbus_can_express(spec):
            blob = libdbus.blob(spec)
            # libdbus has already re-read its blob (dbus_message_demarshal); GDBus says what it means.
            check(spec, gdbus_decode(blob), libdbus.name)
            out.append(record(spec, libdbus.name, "little", blob))
    json.dump({"generator": "Tests/DBusWireTests/Vectors/generate.py", "vectors": out},
              sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
