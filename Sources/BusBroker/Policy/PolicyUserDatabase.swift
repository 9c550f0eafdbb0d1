// Policy User Database
//
// Resolves the user and group names a configuration mentions, and a user's groups, the
// way dbus-daemon asks NSS for them.

#if canImport(Glibc)
import Glibc
#endif

/// Where user and group names in policy come from. dbus-daemon resolves them once, when it
/// loads the configuration; a name that does not resolve is warned about and its rule (or
/// its whole `<policy>` block) dropped. A number is taken as an id, but only if that id
/// exists in the database, as dbus-daemon's user database requires.
public protocol PolicyUserDatabase {
    func userID(named name: String) -> UInt32?
    func groupID(named name: String) -> UInt32?
}

/// The system's user database through Glibc (NSS): `getpwnam_r`, `getgrnam_r`,
/// `getgrouplist`. Blocking calls; use them at load and connect time, not per message.
public struct SystemUserDatabase: PolicyUserDatabase, Sendable {
    /// Buffer for one passwd/group entry; NSS says how much more it needs with ERANGE.
    static let initialEntryBuffer = 1024
    /// Stop growing the entry buffer here: a group with this many members is not sane.
    static let maxEntryBuffer = 1 << 20
    /// Groups asked for on the first `getgrouplist` call; it reports the real number.
    static let initialGroupCount = 32

    public init() {}

    public func userID(named name: String) -> UInt32? {
        if let number = Self.decimal(name) { return passwd(uid: number) == nil ? nil : number }
        return Self.withEntryBuffer { (entry: UnsafeMutablePointer<passwd>, buffer, size, result) in
            getpwnam_r(name, entry, buffer, size, &result)
        }.map { $0.pw_uid }
    }

    public func groupID(named name: String) -> UInt32? {
        if let number = Self.decimal(name) {
            let found = Self.withEntryBuffer { (entry: UnsafeMutablePointer<group>, buffer, size, result) in
                getgrgid_r(number, entry, buffer, size, &result)
            }
            return found == nil ? nil : number
        }
        return Self.withEntryBuffer { (entry: UnsafeMutablePointer<group>, buffer, size, result) in
            getgrnam_r(name, entry, buffer, size, &result)
        }.map { $0.gr_gid }
    }

    /// The groups of `uid` as dbus-daemon's user database lists them (primary group first,
    /// then the supplementary ones from `getgrouplist`); nil when the uid has no entry,
    /// which dbus-daemon treats as "may not connect".
    public func groups(ofUser uid: UInt32) -> [UInt32]? {
        guard let (name, primary) = passwd(uid: uid) else { return nil }
        var count = Int32(Self.initialGroupCount)
        while true {
            var groups = [gid_t](repeating: 0, count: Int(count))
            var asked = count
            if getgrouplist(name, primary, &groups, &asked) >= 0 { return Array(groups.prefix(Int(asked))) }
            guard asked > count else { return nil }
            count = asked
        }
    }

    private func passwd(uid: UInt32) -> (name: String, group: UInt32)? {
        var name = ""
        let found = Self.withEntryBuffer { (entry: UnsafeMutablePointer<passwd>, buffer, size, result) -> Int32 in
            let status = getpwuid_r(uid, entry, buffer, size, &result)
            if status == 0, result != nil, let text = entry.pointee.pw_name { name = String(cString: text) }
            return status
        }
        guard let found else { return nil }
        return (name, found.pw_gid)
    }

    /// Runs one `get*_r` call, growing its buffer on ERANGE; the entry if one was found.
    /// The C call fills the (uninitialized, trivial) entry; its string pointers point into
    /// the buffer, which is freed on return, so callers keep only plain fields or copy
    /// strings inside `call`.
    private static func withEntryBuffer<Entry>(
        _ call: (UnsafeMutablePointer<Entry>, UnsafeMutablePointer<CChar>, Int, inout UnsafeMutablePointer<Entry>?) -> Int32
    ) -> Entry? {
        var size = initialEntryBuffer
        while size <= maxEntryBuffer {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            let entry = UnsafeMutablePointer<Entry>.allocate(capacity: 1)
            defer { entry.deallocate() }
            var result: UnsafeMutablePointer<Entry>?
            let status = call(entry, buffer, size, &result)
            if status == ERANGE {
                size *= 2
                continue
            }
            guard status == 0, result != nil else { return nil }
            return entry.pointee
        }
        return nil
    }

    /// A name made only of decimal digits is an id (dbus-daemon's `_dbus_is_a_number`).
    private static func decimal(_ text: String) -> UInt32? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt32(text)
    }
}
