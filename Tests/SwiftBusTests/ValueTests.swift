// Value Tests: Swift types to D-Bus values and back, with signatures known from the types.
import SwiftBus
import Testing

@Suite("Typed values")
struct ValueTests {
    @Test("signatures come from the Swift types")
    func signatures() {
        #expect(Int32.dbusSignature.string == "i")
        #expect([String: Variant].dbusSignature.string == "a{sv}")
        #expect([ObjectPath: [String: [String: Variant]]].dbusSignature.string == "a{oa{sa{sv}}}")
        #expect([[UInt8]].dbusSignature.string == "aay")
        #expect(Point.dbusSignature.string == "(iis)")
        #expect([Point].dbusSignature.string == "a(iis)")
        #expect(UnixFD.dbusSignature.string == "h")
        #expect(TestInterface.divide.inputTypes == [.int64, .int64])
        #expect(TestInterface.divide.outputTypes == [.int64, .int64])
        #expect(TestInterface.sleep.outputTypes.isEmpty)
        #expect(TestInterface.ticked.argumentTypes == [.string, .uint32])
    }

    @Test("round trips through DBusValue and through a marshalled message")
    func roundTrips() throws {
        try roundTrip(UInt8(200))
        try roundTrip(true)
        try roundTrip(Int16.min)
        try roundTrip(UInt16.max)
        try roundTrip(Int32(-5))
        try roundTrip(UInt32.max)
        try roundTrip(Int64.min)
        try roundTrip(UInt64.max)
        try roundTrip(3.25)
        try roundTrip("grüße")
        try roundTrip(ObjectPath("/a/b_c"))
        try roundTrip(Signature("a{sv}"))
        try roundTrip([Int32]())
        try roundTrip([["x"], [], ["y", "z"]])
        try roundTrip(["k": [Int64(1)]])
        try roundTrip(Point(x: 1, y: -1, name: "p"))
        try roundTrip([Point(x: 0, y: 0, name: "")])
        try roundTrip(try Variant(try Variant(Int32(4))))
    }

    private func roundTrip<T: DBusRepresentable & Equatable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let raw = try value.dbusValue()
        #expect(raw.type == T.dbusType, sourceLocation: sourceLocation)
        #expect(try T(dbusValue: raw) == value, sourceLocation: sourceLocation)
        let message = Message.methodCall(path: "/", member: "M", body: [raw], serial: 1)
        let decoded = try Message(decoding: try message.encoded())
        #expect(try T(dbusValue: decoded.body[0]) == value, sourceLocation: sourceLocation)
    }

    @Test("[UInt8] is one byte buffer, not an enum per byte")
    func bytesFastPath() throws {
        let bytes: [UInt8] = [1, 2, 3]
        #expect(try bytes.dbusValue() == .bytes([1, 2, 3]))
        #expect(try [UInt8](dbusValue: .bytes([9])) == [9])
        #expect(try [Int32]().dbusValue() == .array(element: .int32, []))
    }

    @Test("a value of another type is refused with both types named")
    func mismatches() {
        #expect(throws: DBusTypeError.mismatch(expected: "i", found: "s")) { try Int32(dbusValue: .string("1")) }
        #expect(throws: DBusTypeError.self) { try [String: Int32](dbusValue: .dictionary(key: .string, value: .int64, [])) }
        #expect(throws: DBusTypeError.self) { try Point(dbusValue: .structure([.int32(1), .int32(2)])) }
        #expect(throws: DBusTypeError.self) { try Variant(Int32(1)).get(String.self) }
        // Through a variable: `ObjectPath("literal")` is the literal form, checked by a precondition.
        let text = "not/a/path"
        #expect(throws: DBusTypeError.invalidObjectPath(text)) { try ObjectPath(text) }
    }

    @Test("argument lists are checked for count and types")
    func argumentLists() throws {
        let message = ReceivedMessage(message: Message.methodCall(path: "/", member: "M", body: [.int32(1), .string("s")]))
        let (number, text) = try message.arguments(as: (Int32, String).self)
        #expect(number == 1 && text == "s")
        #expect(throws: DBusTypeError.self) { try message.arguments(as: Int32.self) }
        #expect(throws: DBusTypeError.self) { try message.arguments(as: (Int32, String, Bool).self) }
    }

    @Test("a descriptor value needs a message to travel in")
    func descriptorsNeedAContext() throws {
        let descriptor = try pipeHolding("x")
        #expect(throws: DBusTypeError.self) { try descriptor.dbusValue() }
        var context = DBusEncodingContext()
        #expect(descriptor.dbusValue(in: &context) == .unixFD(0))
        #expect(context.fileDescriptors.count == 1)
        #expect(throws: DBusTypeError.missingFileDescriptor(index: 0, received: 0)) { try UnixFD(dbusValue: .unixFD(0)) }
    }

    @Test("a declaration carries its interface, access and match rule")
    func declarations() {
        #expect(TestInterface.add.interface == "org.swiftbus.Test")
        #expect(TestInterface.counter.access == .readwrite)
        #expect(TestInterface.ticked.matchRule(sender: ":1.5").description
            == "type='signal',interface='org.swiftbus.Test',member='Ticked',sender=':1.5'")
    }
}
