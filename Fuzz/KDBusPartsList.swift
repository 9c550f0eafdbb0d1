// Fuzz target: the parts list of a SEND with memfd parts (KDBusPartsList.parse).
//
// Input layout: byte 0 is the SEND's memfd count (mod 17, so 0...16 as the protocol
// allows); the rest is the parts list. Checks: no crash; an accepted list has parts whose
// inline ranges lie inside the list past its items, memfd indices each used exactly once,
// a total within KDBusLimits.maxMemfdCarriedMessageLength, and everything but the spliced
// (largest) memfd part within the copy limit given.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKDBusPartsList(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let memfdCount = Int(data[0]) % (KDBusLimits.maxMemfdParts + 1)
    let list = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let limit = 1 << 20
    guard let parts = try? KDBusPartsList.parse(list, memfdCount: memfdCount, maxCopiedBytes: limit) else { return 0 }
    var seen = Set<Int>()
    var total = 0
    let itemsEnd = KDBusSliceHeader.size + Int(list.kdbusLoad(UInt32.self, at: 0))
    for part in parts {
        switch part {
        case .inline(let range):
            precondition(range.lowerBound >= itemsEnd && range.upperBound <= list.count, "inline part \(range) outside the list")
        case .memfd(let index, let length):
            precondition(index < memfdCount && length > 0, "memfd part \(index) of \(memfdCount), length \(length)")
            precondition(seen.insert(index).inserted, "memfd \(index) used twice")
        }
        total += part.length
    }
    precondition(seen.count == memfdCount, "\(memfdCount - seen.count) memfds unused")
    precondition(total > 0 && total <= KDBusLimits.maxMemfdCarriedMessageLength, "total \(total) outside 1...2 GiB")
    let spliced = KDBusPartsList.splicedPart(of: parts)
    precondition((spliced != nil) == (memfdCount > 0), "spliced part \(String(describing: spliced)) with \(memfdCount) memfds")
    if let spliced {
        guard case .memfd = parts[spliced] else { preconditionFailure("spliced part \(spliced) is inline") }
        precondition(parts.allSatisfy { $0.length <= parts[spliced].length || !isMemfd($0) }, "a larger memfd than the spliced one")
        precondition(total - parts[spliced].length <= limit, "copied bytes \(total - parts[spliced].length) past \(limit)")
    } else {
        precondition(total <= limit, "total \(total) past \(limit) with nothing mapped")
    }
    return 0
}

func isMemfd(_ part: KDBusPartsList.Part) -> Bool {
    if case .memfd = part { return true }
    return false
}
