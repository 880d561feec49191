import Experiments

/// libFuzzer's entry point: parses the input as a safetensors file and checks what the parser
/// promises. An error must be a one-line `SafeTensorsError` naming the path; a parsed file's entries
/// must hold product(shape) × dtype size bytes each and, in the order read, be the data part exactly.
/// A broken promise stops the process with its reason, and `make fuzz` reports it like a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let file: SafeTensors
    do {
        file = try SafeTensors(parsing: bytes, path: "fuzz.safetensors")
    } catch let error as SafeTensorsError {
        let description = error.description
        require(description.hasPrefix("fuzz.safetensors: "), "the error does not name the path: \(description)")
        require(!description.contains(where: \.isNewline), "the error is not one line: \(description)")
        return 0
    } catch {
        fatalError("not a SafeTensorsError: \(error)")
    }
    var read: [UInt8] = []
    for entry in file.entries {
        _ = entry.floatingPointValues(as: Double.self)
        _ = entry.integerValues()
        require(entry.bytes.count == entry.count * entry.dtype.byteSize,
                "tensor '\(entry.name)' \(entry.dtype.rawValue) \(entry.shape) has \(entry.bytes.count) bytes")
        read += entry.bytes
    }
    let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    require(read[...] == bytes[(8 + headerLength)...], "the tensors' bytes are not the data part in order")
    return 0
}

/// Stops with `message` when `condition` fails. `precondition` would too, but drops its message in
/// the optimised build that `make fuzz` uses; `fatalError` keeps it.
private func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
