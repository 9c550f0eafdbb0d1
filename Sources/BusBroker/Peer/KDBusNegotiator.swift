// KDBus Negotiator: the broker's answer to a client asking for the kdbus transport during SASL.
import DBusWire

/// The `SASLServerExtension` swiftbusd hands every new connection. It answers
/// `SWIFTBUS_KDBUS …` with `AGREE_SWIFTBUS_KDBUS …`, sizes lowered to the broker's caps
/// (docs/kdbus-transport.md §2), and remembers the grant; after BEGIN the broker reads it
/// back from `SASLServer.commandExtension` and upgrades the connection.
///
/// A line it cannot honour is answered `ERROR "…"` with the reason, and the client stays
/// classic: without fd passing (the pool and arena are memfds) or with a malformed offer.
struct KDBusNegotiator: SASLServerExtension {
    /// Largest pool and arena this broker grants.
    let maxPoolSize: Int
    let maxArenaSize: Int
    /// Set once a valid offer was answered; a second line replaces it (the last one counts,
    /// as it is the one the client saw answered last).
    private(set) var agreement: KDBusAgreement?

    init(maxPoolSize: Int = KDBusLimits.maxPoolSize, maxArenaSize: Int = KDBusLimits.maxArenaSize) {
        self.maxPoolSize = maxPoolSize
        self.maxArenaSize = maxArenaSize
    }

    mutating func reply(toCommand command: String, argument: String, unixFDsNegotiated: Bool) -> String? {
        guard command == KDBusNegotiation.command else { return nil }
        guard unixFDsNegotiated else {
            agreement = nil
            return #"ERROR "SWIFTBUS_KDBUS needs NEGOTIATE_UNIX_FD first: the pool and arena are passed as fds""#
        }
        do throws(KDBusNegotiationError) {
            let offer = try KDBusOffer(parsingArgument: argument)
            let granted = offer.granted(maxPoolSize: maxPoolSize, maxArenaSize: maxArenaSize)
            agreement = granted
            return granted.replyLine
        } catch {
            agreement = nil
            return "ERROR \"\(Self.printable(error.description))\""
        }
    }

    /// The reply goes on the wire as one ASCII line: anything else in the text becomes '?'.
    private static func printable(_ text: String) -> String {
        String(decoding: text.utf8.prefix(KDBusNegotiator.maxErrorTextLength).map { $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 ? $0 : 0x3F },
               as: UTF8.self)
    }

    /// Longest reason put on an ERROR line.
    static let maxErrorTextLength = 200
}
