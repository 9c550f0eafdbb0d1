// Service File fuzz target
//
// Feeds arbitrary bytes to the `.service` parser, and every Exec= line it accepts to the
// command-line splitter. A ServiceFileError or ExecLine.ParseError is the expected outcome
// for most inputs; a crash or a sanitizer report is a bug.
//
// fuzz-sources: Sources/BusBroker/Activation/ServiceFile.swift
// fuzz-sources: Sources/BusBroker/Activation/ServiceFileError.swift
// fuzz-sources: Sources/BusBroker/Activation/ServiceFileParser.swift
// fuzz-sources: Sources/BusBroker/Activation/ExecLine.swift

@_cdecl("LLVMFuzzerTestOneInput")
public func serviceFileFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do throws(ServiceFileError) {
        let file = try ServiceFileParser.parse(bytes, file: "fuzz.service")
        _ = try? ExecLine(parsing: file.exec)
    } catch {
        // Every error must describe itself with the file name.
        precondition(error.description.hasPrefix("fuzz.service"))
    }
    // The splitter on its own, on the raw input as text.
    if let text = String(validating: bytes, as: UTF8.self), let line = try? ExecLine(parsing: text) {
        precondition(!line.arguments.isEmpty)
    }
    return 0
}
