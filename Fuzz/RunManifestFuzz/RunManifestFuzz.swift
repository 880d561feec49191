import Foundation
import RunFormat

/// libFuzzer's entry point: decodes the input as a `run.json`. Anything but a valid manifest must
/// throw; a crash, a trap or a memory error is a bug that `make fuzz` reports.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Data(bytes: $0, count: size) } ?? Data()
    guard let manifest = try? RunManifest.decode(bytes, path: "run.json") else { return 0 }
    _ = manifest.model.parameters.map { $0.shape.reduce(0, +) }
    _ = manifest.findings.count
    return 0
}
