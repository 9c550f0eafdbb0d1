// Message Header View as Matchable Message: header strings and string arguments read in place
import Testing
import TestSupport
@testable import DBusWire

@Suite struct MessageHeaderViewMatchableTests {
    /// Runs `body` on a validated view of `message` encoded in `order`.
    private func withView<R>(_ message: Message, _ body: (MessageHeaderView) throws -> R) throws -> R {
        let bytes = try message.encoded()
        return try bytes.withUnsafeBytes { raw in
            try body(try MessageHeaderView(validating: raw, unixFDsReceived: message.unixFDCount))
        }
    }

    private func text(_ bytes: UnsafeRawBufferPointer?) -> String? {
        bytes.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test(arguments: ByteOrder.allCases)
    func headerStringsComeFromTheBuffer(order: ByteOrder) throws {
        let message = Message(
            type: .methodCall, serial: 7, byteOrder: order, path: "/org/example/Obj", interface: "org.example.Iface",
            member: "Frob", destination: "org.example.Service", sender: ":1.42", body: [.uint32(3)])
        try withView(message) { view in
            #expect(view.messageType == .methodCall)
            #expect(view.withHeaderString(.path) { text($0) } == "/org/example/Obj")
            #expect(view.withHeaderString(.interface) { text($0) } == "org.example.Iface")
            #expect(view.withHeaderString(.member) { text($0) } == "Frob")
            #expect(view.withHeaderString(.destination) { text($0) } == "org.example.Service")
            #expect(view.withHeaderString(.sender) { text($0) } == ":1.42")
            #expect(view.withHeaderString(.signature) { text($0) } == "u")
            #expect(view.withHeaderString(.errorName) { $0 == nil })
            #expect(view.withHeaderString(.replySerial) { $0 == nil })
            #expect(view.withHeaderString(.unixFDs) { $0 == nil })
        }
    }

    @Test func errorNameIsAHeaderString() throws {
        let call = Message.methodCall(path: "/", member: "M", serial: 3)
        var error = Message.error(replyTo: call, name: "org.example.Error.Failed", message: "no", serial: 4)
        error.destination = ":1.3"
        try withView(error) { view in
            #expect(view.withHeaderString(.errorName) { text($0) } == "org.example.Error.Failed")
            #expect(view.withHeaderString(.replySerial) { $0 == nil })
        }
    }

    /// Arguments after every kind of value that must be skipped: fixed sizes of each alignment,
    /// booleans, fds, strings, signatures, variants (holding containers), arrays (empty, of
    /// fixed-size values, of strings), dictionaries and structs.
    @Test(arguments: ByteOrder.allCases)
    func argumentsAfterEveryKindOfValue(order: ByteOrder) throws {
        let body: [DBusValue] = [
            .byte(1), .string("after byte"), .int16(-2), .objectPath("/after/int16"), .boolean(true),
            .string("after boolean"), .double(1.5), .string("after double"), .unixFD(0), .string("after fd"),
            .signature(Signature(types: [.string, .array(.int32)])), .string("after signature"),
            .variant(.structure([.string("inside"), .uint64(9)])), .string("after variant"),
            .array(element: .int64, []), .string("after empty array"), .bytes([1, 2, 3]), .string("after bytes"),
            .array(element: .string, [.string("x"), .string("yy")]), .string("after strings"),
            .dictionary(key: .string, value: .variant, [DBusDictEntry(key: .string("k"), value: .variant(.int32(1)))]),
            .string("after dictionary"), .structure([.byte(1), .int64(2), .string("s")]), .objectPath("/after/struct"),
            .uint32(5),
        ]
        let message = Message(
            type: .signal, serial: 1, byteOrder: order, path: "/p", interface: "i.f", member: "M", unixFDCount: 1,
            body: body)
        try withView(message) { view in
            for (index, value) in body.enumerated() {
                let found = view.withStringArgument(index) { argument in
                    argument.map { (Character(UnicodeScalar($0.typeCode)), String(decoding: $0.bytes, as: UTF8.self)) }
                }
                switch value {
                case .string(let expected):
                    #expect(found?.0 == "s" && found?.1 == expected, "argument \(index)")
                case .objectPath(let expected):
                    #expect(found?.0 == "o" && found?.1 == expected, "argument \(index)")
                default:
                    #expect(found == nil, "argument \(index) is \(value.type), not a string")
                }
            }
            #expect(view.withStringArgument(body.count) { $0 == nil })
            #expect(view.withStringArgument(-1) { $0 == nil })
        }
    }

    @Test func emptyBodyHasNoArguments() throws {
        try withView(Message.signal(path: "/p", interface: "i.f", member: "M", serial: 1)) { view in
            #expect(view.withStringArgument(0) { $0 == nil })
        }
    }

    /// Random bodies in both byte orders: every argument read in place agrees with the decoded message.
    @Test(arguments: ByteOrder.allCases)
    func randomBodiesAgreeWithDecoding(order: ByteOrder) throws {
        var generator = ValueGenerator(random: SeededRandom(seed: order == .little ? 11 : 12))
        var stringsSeen = 0
        for seed in 0..<1500 {
            var types = (0..<Int.random(in: 0...5, using: &generator.random)).map { _ in generator.type() }
            // Strings and paths must be frequent enough for the test to mean something.
            types.insert(Bool.random(using: &generator.random) ? .string : .objectPath,
                         at: Int.random(in: 0...types.count, using: &generator.random))
            let body = types.map { generator.value(of: $0) }
            let message = Message(
                type: .signal, serial: UInt32(seed + 1), byteOrder: order, path: "/p", interface: "i.f", member: "M",
                unixFDCount: 4, body: body)
            try withView(message) { view in
                for (index, value) in body.enumerated() {
                    let found = view.withStringArgument(index) { argument in
                        argument.map { ($0.typeCode, String(decoding: $0.bytes, as: UTF8.self)) }
                    }
                    switch value {
                    case .string(let expected):
                        stringsSeen += 1
                        #expect(found?.0 == UInt8(ascii: "s") && found?.1 == expected, "case \(seed) argument \(index)")
                    case .objectPath(let expected):
                        stringsSeen += 1
                        #expect(found?.0 == UInt8(ascii: "o") && found?.1 == expected, "case \(seed) argument \(index)")
                    default:
                        #expect(found == nil, "case \(seed) argument \(index)")
                    }
                }
            }
        }
        #expect(stringsSeen >= 1500)
    }

    /// Rule evaluation on a view agrees with evaluation on the test message that holds the same fields.
    @Test func rulesEvaluateOnTheViewAsOnOwnedFields() throws {
        let rules = [
            "type='signal',interface='org.example.Iface',member='Changed',arg0='a',arg2path='/x/'",
            "arg1='b'", "arg0namespace='a'", "arg2path='/x/y'", "path_namespace='/org/example'",
            "sender=':1.7'", "type='method_call'", "arg3='z'",
        ].map { try! MatchRule(parsing: $0) }
        let message = Message(
            type: .signal, serial: 1, path: "/org/example/obj", interface: "org.example.Iface", member: "Changed",
            sender: ":1.7", body: [.string("a"), .string("b"), .objectPath("/x/y"), .uint32(1)])
        let owned = MatchTestMessage(.signal).string("a").string("b").objectPath("/x/y").uint32()
        try withView(message) { view in
            for rule in rules {
                #expect(rule.matches(view) == rule.matches(owned), "\(rule)")
            }
            #expect(rules.filter { $0.matches(view) }.count == 6)
        }
    }
}
