// KDBus Free Record Tests: the array-free FREE initializer the client channel uses.
import DBusWire
import Testing

@Suite("kdbus FREE without an array")
struct KDBusFreeRecordTests {
    @Test("one, two or three offsets encode as the array initializer does")
    func sameAsArray() throws {
        #expect(KDBusRecord.Free(8) == KDBusRecord.Free(offsets: [8]))
        #expect(KDBusRecord.Free(8, 16) == KDBusRecord.Free(offsets: [8, 16]))
        #expect(KDBusRecord.Free(8, 16, 24) == KDBusRecord.Free(offsets: [8, 16, 24]))
        #expect(KDBusRecord.free(.init(8, 16, 24)).bytes == KDBusRecord.free(try #require(.init(offsets: [8, 16, 24]))).bytes)
        // Slots past the count stay zero, as the decoder requires.
        let decoded = try KDBusRecord.decode(KDBusRecord.free(.init(8, nil, 24)).bytes, from: .clientToBroker)
        #expect(decoded == .free(KDBusRecord.Free(8)))
    }
}
