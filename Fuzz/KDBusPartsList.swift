// Fuzz target: the parts list of a SEND with memfd parts (KDBusPartsList.parse).
//
// Input layout: byte 0 is the SEND's memfd count (mod 17, so 0...16 as the protocol
// allows); the rest is the parts list. Checks: no crash; an accepted list has parts whose
// inline ranges lie inside the list past its items, memfd indices each used exactly once,
// and a total within the limit given.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKDBusPartsList(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let memfdCount = Int(data[0]) % (KDBusLimits.maxMemfdParts + 1)
    let list = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let limit = 1 << 20
    guard let parts = try? KDBusPartsList.parse(list, memfdCount: memfdCount, maxMessageSize: limit) else { return 0 }
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
    precondition(total > 0 && total <= limit, "total \(total) outside 1...\(limit)")
    return 0
}
