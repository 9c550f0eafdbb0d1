/// Exports: the wire types users of SwiftBus name directly.
// Message, MessageFlags, MatchRule, Signature, SignatureType and DBusValue appear in the
// public API; re-exporting saves every user a second import.
@_exported import DBusWire
