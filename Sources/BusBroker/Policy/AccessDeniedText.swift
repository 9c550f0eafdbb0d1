// Access Denied Text
//
// The messages dbus-daemon puts in AccessDenied errors and its log when policy refuses
// something, byte for byte, so that tools and people matching on them keep working.

import DBusWire

/// dbus-daemon's wording for policy refusals: bus/bus.c `complain_about_message` for
/// messages, bus/services.c for `RequestName`, and bus/connection.c for the peer
/// descriptions ("loginfo") both embed.
public enum AccessDeniedText {
    /// The first words of a message refusal.
    public enum Complaint: String, Sendable {
        /// The sender's send rules refused it. dbus-daemon logs this too, unless the
        /// receiver was an eavesdropper.
        case rejectedSend = "Rejected send message"
        /// The receiver's receive rules refused it (logged likewise).
        case rejectedReceive = "Rejected receive message"
        /// Allowed, but the deciding rule has `log="true"`: log only, no error.
        case wouldReject = "Would reject message"
    }

    /// One end of a refused message: its unique name and its loginfo (`logInfo(...)`).
    public struct Peer: Sendable, Equatable {
        public var name: String
        public var logInfo: String

        public init(name: String, logInfo: String) {
            self.name = name
            self.logInfo = logInfo
        }
    }

    /// dbus-daemon's `MAX_LOG_COMMAND_LEN`: bytes of /proc/PID/cmdline quoted in loginfo.
    public static let maxCommandBytes = 50

    /// The AccessDenied message, e.g. `Rejected send message, 1 matched rules;
    /// type="method_call", sender=":1.5" (uid=1000 pid=123 comm="x") interface="a.B"
    /// member="C" error name="(unset)" requested_reply="0" destination="a.B" (uid=0 pid=1
    /// comm="y")`. `sender` nil: the bus driver sent it; `receiver` nil: the bus driver (or
    /// an activatable service not yet started) was to receive it. A missing destination
    /// reads `org.freedesktop.DBus`, as in dbus-daemon.
    public static func message(_ complaint: Complaint, matchedRules: Int, message: PolicyMessage,
                               requestedReply: Bool, sender: Peer?, receiver: Peer?) -> String {
        let senderName = sender?.name ?? "(unset)"
        let senderInfo = sender?.logInfo ?? "(bus)"
        let receiverInfo = receiver?.logInfo ?? "bus"
        return "\(complaint.rawValue), \(matchedRules) matched rules; type=\"\(typeName(message.type))\", "
            + "sender=\"\(senderName)\" (\(senderInfo)) "
            + "interface=\"\(text(message.interface))\" member=\"\(text(message.member))\" "
            + "error name=\"\(text(message.errorName))\" requested_reply=\"\(requestedReply ? 1 : 0)\" "
            + "destination=\"\(message.destination?.string ?? "org.freedesktop.DBus")\" (\(receiverInfo))"
    }

    /// The `RequestName` refusal (bus/services.c `bus_registry_acquire_service`).
    public static func ownershipDenied(connection: String, name: String) -> String {
        "Connection \"\(connection)\" is not allowed to own the service \"\(name)\" due "
            + "to security policies in the configuration file"
    }

    /// A peer's loginfo (bus/connection.c `cache_peer_loginfo_string`): `uid=N`, then
    /// `pid=N comm="…"`, then `label="…"`, each only when known, space-separated. A pid
    /// whose command line could not be read still gets `comm=""`.
    public static func logInfo(uid: UInt32?, pid: Int32?, command: String?, securityLabel: String? = nil) -> String {
        var parts: [String] = []
        if let uid { parts.append("uid=\(uid)") }
        if let pid { parts.append("pid=\(pid) comm=\"\(command ?? "")\"") }
        if let securityLabel { parts.append("label=\"\(securityLabel)\"") }
        return parts.joined(separator: " ")
    }

    /// The `comm` of a loginfo from the raw bytes of /proc/PID/cmdline: the first
    /// `maxCommandBytes` bytes, one trailing NUL dropped, other NULs as spaces, and bytes
    /// outside printable ASCII as `?` (dbus-daemon's `string_squash_nonprintable`).
    public static func command(fromCmdline bytes: some Collection<UInt8>) -> String {
        var kept = Array(bytes.prefix(maxCommandBytes))
        if kept.last == 0 { kept.removeLast() }
        let squashed = kept.map { byte -> UInt8 in
            if byte == 0 { return UInt8(ascii: " ") }
            return byte < 0x20 || byte > 127 ? UInt8(ascii: "?") : byte
        }
        return String(decoding: squashed, as: UTF8.self)
    }

    /// dbus-daemon's `dbus_message_type_to_string`.
    public static func typeName(_ type: MessageType) -> String {
        switch type {
        case .methodCall: "method_call"
        case .methodReturn: "method_return"
        case .signal: "signal"
        case .error: "error"
        }
    }

    private static func text(_ field: WireString?) -> String { field?.string ?? "(unset)" }
}
