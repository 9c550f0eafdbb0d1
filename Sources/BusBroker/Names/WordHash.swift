// Word Hash: a cheap seeded hash for the broker's integer keys (peer IDs, reply keys).
/// `Dictionary` hashes every key with seeded SipHash through `Hasher`: about 100
/// instructions a look-up, and the kdbus round-trip profile showed ten peer and reply
/// look-ups per round trip (~2 300 instructions of 29 000). These keys are one or two
/// machine words, so a multiply–xorshift finaliser (MurmurHash3's `fmix64`) over the
/// key and the table's seed does the same job in a dozen instructions.
///
/// Flooding: peer IDs are the broker's own counter. A reply serial is a peer's choice, but
/// the seed is per process and random (Swift's `Hasher` seed, passed in by `Dictionary`),
/// and `fmix64` spreads every input bit over the whole word, so a peer cannot aim many
/// serials at one bucket without the seed; each peer's pending calls are capped as well
/// (`ReplyTracker.maxPendingRepliesPerPeer`).
enum WordHash {
    /// The hash of `value` for a table seeded with `seed`.
    @inline(__always)
    static func hash(_ value: UInt64, seed: Int) -> Int {
        var word = value ^ UInt64(bitPattern: Int64(seed))
        word ^= word >> 33
        word &*= 0xFF51_AFD7_ED55_8CCD
        word ^= word >> 33
        word &*= 0xC4CE_B9FE_1A85_EC53
        word ^= word >> 33
        return Int(truncatingIfNeeded: word)
    }

    /// Two words folded into one before `hash`: the multiply keeps (a, b) and (b, a) apart.
    @inline(__always)
    static func hash(_ first: UInt64, _ second: UInt64, seed: Int) -> Int {
        hash(first &* 0x9E37_79B9_7F4A_7C15 ^ second, seed: seed)
    }
}
