// KDBus Record Place: where in a client's record stream a record was, for log lines.

/// The stream offset of the record being carried out, turned into text only when a log
/// line needs it: building the text for every record would allocate on the message path.
struct KDBusRecordPlace: CustomStringConvertible {
    let streamOffset: Int

    var description: String { "kdbus record at stream offset \(streamOffset)" }
}
