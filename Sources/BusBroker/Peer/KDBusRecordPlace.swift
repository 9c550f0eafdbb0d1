// KDBus Record Place: where a client's record was, for log lines.

/// The place of the record being carried out — a stream offset on the socket, or an entry
/// of the command ring — turned into text only when a log line needs it: building the text
/// for every record would allocate on the message path.
struct KDBusRecordPlace: CustomStringConvertible {
    let streamOffset: Int
    /// The command-ring entry index, for SEND and FREE (nil: a socket record).
    var commandEntry: UInt64?

    init(streamOffset: Int) {
        self.streamOffset = streamOffset
        commandEntry = nil
    }

    init(commandEntry: UInt64) {
        streamOffset = 0
        self.commandEntry = commandEntry
    }

    var description: String {
        if let commandEntry { return "kdbus command ring entry \(commandEntry)" }
        return "kdbus record at stream offset \(streamOffset)"
    }
}
