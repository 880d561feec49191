import RunFormat

/// libFuzzer's entry point: reads the input as a run-folder CSV file, with and without a torn last
/// line ignored, and reads every column of what parses in each of the three ways. A malformed input
/// must throw; a crash, a trap or a memory error is a bug that `make fuzz` reports.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    for ignoresTornLastLine in [true, false] {
        guard let table = try? CSVTable(bytes: bytes, path: "fuzz.csv", ignoresTornLastLine: ignoresTornLastLine)
        else { continue }
        _ = table.columns
        _ = table.count
        for name in table.columns {
            _ = try? table.numbers(name)
            _ = try? table.texts(name)
            _ = try? table.integers(name)
        }
    }
    return 0
}
