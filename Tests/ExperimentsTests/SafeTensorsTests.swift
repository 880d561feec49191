import Backprop
import Experiments
import Foundation
import XCTest

/// The fixtures folder, found from this file's path (no bundle resources).
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// A safetensors file from a header text (padded with spaces to a multiple of 8) and data bytes.
func safetensorsFile(header: String, data: [UInt8] = []) -> [UInt8] {
    var json = Array(header.utf8)
    json += Array(repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8)
    var bytes: [UInt8] = []
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
    return bytes + json + data
}

/// Checks that parsing `bytes` throws `.malformed` for `tensor` with a reason containing `reason`.
func assertMalformed(
    _ bytes: [UInt8], tensor: String?, reason: String, file: StaticString = #filePath, line: UInt = #line
) {
    do {
        let parsed = try SafeTensors(parsing: bytes, path: "case.safetensors")
        XCTFail("expected a malformed-file error about \(tensor ?? "the file"), parsed \(parsed.entries.map(\.name))",
                file: file, line: line)
    } catch let SafeTensorsError.malformed(path, observedTensor, observedReason) {
        XCTAssertEqual(path, "case.safetensors", file: file, line: line)
        XCTAssertEqual(observedTensor, tensor, "reason: \(observedReason)", file: file, line: line)
        XCTAssertTrue(observedReason.contains(reason), "expected '\(reason)' in: \(observedReason)", file: file, line: line)
    } catch {
        XCTFail("expected SafeTensorsError.malformed, got \(error)", file: file, line: line)
    }
}

final class SafeTensorsTests: XCTestCase {
    let eightBytes = [UInt8](repeating: 0, count: 8)

    func testWriterPadsTheHeaderAndAlignsTheData() throws {
        let tensors = SafeTensors(entries: [
            .init(name: "a", tensor: Tensor<Float>(shape: [3], scalars: [1, -2, 0.5])),
            .init(name: "n", shape: [], integers: [42]),
            .init(name: "d", tensor: Tensor<Double>(shape: [1, 2], scalars: [.pi, -0.0])),
            .init(name: "q\"uote\\", tensor: Tensor<Float>(shape: [0, 2])),
        ], metadata: ["format": "pt"])
        let bytes = tensors.encoded()
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(headerLength % 8, 0, "the header is padded to a multiple of 8")
        XCTAssertEqual(bytes.count, 8 + headerLength + 12 + 8 + 16)
        let header = try XCTUnwrap(String(bytes: bytes[8..<(8 + headerLength)], encoding: .utf8))
        XCTAssertTrue(header.hasPrefix(#"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[3],"#), header)
        // Eight-byte elements first, in the given order, then four-byte ones: every tensor aligned.
        XCTAssertTrue(header.contains(#""n":{"dtype":"I64","shape":[],"data_offsets":[0,8]}"#), header)
        XCTAssertTrue(header.contains(#""d":{"dtype":"F64","shape":[1,2],"data_offsets":[8,24]}"#), header)
        XCTAssertTrue(header.contains(#""a":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}"#), header)

        let back = try SafeTensors(parsing: bytes, path: "memory")
        XCTAssertEqual(back.metadata, ["format": "pt"])
        XCTAssertEqual(Set(back.entries.map(\.name)), ["a", "n", "d", "q\"uote\\"])
        for entry in tensors.entries { XCTAssertEqual(back[entry.name], entry) }
        XCTAssertEqual(back["a"]?.floatingPointValues(as: Float.self), [1, -2, 0.5])
        XCTAssertEqual(back["a"]?.floatingPointValues(as: Double.self), [1, -2, 0.5])
        XCTAssertEqual(back["d"]?.floatingPointValues(as: Double.self), [.pi, -0.0])
        XCTAssertEqual(back["d"]?.floatingPointValues(as: Double.self)?.last?.sign, .minus)
        XCTAssertEqual(back["n"]?.integerValues(), [42])
        XCTAssertNil(back["n"]?.floatingPointValues(as: Float.self))
        XCTAssertNil(back["a"]?.integerValues())
    }

    func testReadsTheReferenceImplementationsFile() throws {
        let file = try SafeTensors(contentsOf: fixtures.appendingPathComponent("reference.safetensors"))
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file.entries.map(\.name).sorted(), [
            "0.bias", "0.weight", "2.bias", "2.num_batches_tracked", "2.running_mean", "2.running_var", "2.weight",
            "3.bias", "3.weight",
        ])
        XCTAssertEqual(file["0.weight"]?.dtype, .f32)
        XCTAssertEqual(file["0.weight"]?.shape, [4, 3])
        XCTAssertEqual(file["3.weight"]?.shape, [2, 4])
        XCTAssertEqual(file["2.num_batches_tracked"]?.dtype, .i64)
        XCTAssertEqual(file["2.num_batches_tracked"]?.shape, [])
        XCTAssertEqual(file["2.num_batches_tracked"]?.integerValues(), [7])
        // 0.weight[0] = Float(0.8 · sin(0.1)), the script's formula.
        XCTAssertEqual(file["0.weight"]?.floatingPointValues(as: Float.self)?.first, Float(0.8 * sin(0.1)))
    }

    func testShortFilesAndBadHeaderLengths() {
        assertMalformed([], tensor: nil, reason: "fewer than the 8")
        assertMalformed([8, 0, 0], tensor: nil, reason: "the file has 3 bytes")
        var beyond = safetensorsFile(header: "{}")
        beyond[0] = 200
        assertMalformed(beyond, tensor: nil, reason: "the header length 200 runs past the end of the file")
        var huge = eightBytes
        huge[7] = 0xFF
        assertMalformed(huge + [UInt8(ascii: "{")], tensor: nil, reason: "runs past the end")
    }

    func testHeadersThatAreNotTheFormatsJSON() {
        assertMalformed(safetensorsFile(header: "[1, 2]"), tensor: nil, reason: "does not start with '{'")
        assertMalformed(safetensorsFile(header: "{\"a\": "), tensor: nil, reason: "not valid JSON")
        assertMalformed(safetensorsFile(header: "{\"a\": 1}"), tensor: "a", reason: "the entry has the wrong type")
        assertMalformed(safetensorsFile(header: #"{"a": {"shape": [1], "data_offsets": [0, 4]}}"#),
                        tensor: "a", reason: "the entry has no 'dtype'")
        assertMalformed(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [1]}}"#),
                        tensor: "a", reason: "the entry has no 'data_offsets'")
        assertMalformed(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": "1", "data_offsets": [0, 4]}}"#),
                        tensor: "a", reason: "'shape' has the wrong type")
        assertMalformed(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}"#),
                        tensor: "a", reason: "the shape [1.5] must hold whole numbers ≥ 0")
        assertMalformed(safetensorsFile(header: #"{"__metadata__": {"step": 3}}"#),
                        tensor: nil, reason: "__metadata__ must map strings to strings")
        assertMalformed(safetensorsFile(header: #"{"a": {"dtype": "F17", "shape": [1], "data_offsets": [0, 4]}}"#,
                                        data: [0, 0, 0, 0]),
                        tensor: "a", reason: "unknown dtype 'F17'; the format knows BOOL, U8")
        assertMalformed(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#),
                        tensor: "a", reason: "the shape [-1] must hold whole numbers ≥ 0")
    }

    func testOffsetsMustTileTheData() {
        let four = [UInt8](repeating: 0, count: 4)
        assertMalformed(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#,
                                        data: four),
                        tensor: "a", reason: "data_offsets [0, 8] run past the end of the data, which has 4 bytes")
        assertMalformed(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}"#,
                                        data: four),
                        tensor: "a", reason: "hold 4 bytes, but F32 [2] needs 8")
        assertMalformed(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}"#,
                                        data: four),
                        tensor: "a", reason: "0 ≤ begin ≤ end")
        assertMalformed(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}"#,
                                        data: four),
                        tensor: "a", reason: "data_offsets [0] must be two whole numbers")
        assertMalformed(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "#
                                        + #""b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#,
                                        data: four + four),
                        tensor: "b", reason: "overlap those of 'a', which end at 8")
        assertMalformed(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#,
                                        data: four + four),
                        tensor: "a", reason: "bytes 0..<4 of the data before this tensor belong to no tensor")
        assertMalformed(safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#,
                                        data: four + [1, 2]),
                        tensor: nil, reason: "2 bytes after the last tensor's data belong to no tensor (trailing garbage)")
        let huge = #"{"a": {"dtype": "F64", "shape": [1125899906842624, 1125899906842624], "data_offsets": [0, 8]}}"#
        assertMalformed(safetensorsFile(header: huge, data: four + four), tensor: "a", reason: "needs more than")
    }

    func testEveryTruncationOfAValidFileIsAnErrorNotACrash() throws {
        let bytes = [UInt8](try Data(contentsOf: fixtures.appendingPathComponent("reference.safetensors")))
        XCTAssertNoThrow(try SafeTensors(parsing: bytes, path: "whole"))
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try SafeTensors(parsing: Array(bytes[..<length]), path: "prefix"),
                                 "a prefix of \(length) of \(bytes.count) bytes parsed")
        }
    }

    func testFlippedBytesGiveAnErrorOrAConsistentFile() throws {
        let bytes = [UInt8](try Data(contentsOf: fixtures.appendingPathComponent("reference.safetensors")))
        let seed: UInt64 = 11
        var generator = RandomGenerator(seed: seed)
        var (parsed, rejected) = (0, 0)
        for damage in 0..<2000 {
            var damaged = bytes
            let position = Int(generator.next() % UInt64(bytes.count))
            let value = UInt8(truncatingIfNeeded: generator.next())
            damaged[position] = value
            let name = "seed \(seed), case \(damage): byte \(position) set to \(value)"
            do {
                let file = try SafeTensors(parsing: damaged, path: "damaged.safetensors")
                parsed += 1
                assertConsistent(file, bytes: damaged, name)
            } catch let error as SafeTensorsError {
                rejected += 1
                let description = error.description
                XCTAssertTrue(description.hasPrefix("damaged.safetensors: "), "\(name): \(description)")
                XCTAssertFalse(description.contains(where: \.isNewline), "\(name): not one line: \(description)")
            } catch {
                XCTFail("\(name): expected a SafeTensorsError, got \(type(of: error)): \(error)")
            }
        }
        // Both outcomes occur, or the damage did not reach one of the parts of the file.
        XCTAssertGreaterThan(parsed, 0, "seed \(seed): no damaged file parsed")
        XCTAssertGreaterThan(rejected, 0, "seed \(seed): no damaged file was rejected")
    }

    /// Checks what a parse promises: each entry's bytes are its shape's element count × its dtype's
    /// size, names are unique, and the entries, in the order read (that of their data), are the data part
    /// of `bytes` exactly: every offset lay within the file, and the ranges tiled it.
    private func assertConsistent(
        _ file: SafeTensors, bytes: [UInt8], _ name: String, sourceFile: StaticString = #filePath, line: UInt = #line
    ) {
        for entry in file.entries {
            XCTAssertTrue(entry.shape.allSatisfy { $0 >= 0 }, "\(name): tensor '\(entry.name)' shape \(entry.shape)",
                          file: sourceFile, line: line)
            XCTAssertEqual(entry.bytes.count, entry.shape.reduce(1, *) * entry.dtype.byteSize,
                           "\(name): tensor '\(entry.name)' \(entry.dtype.rawValue) \(entry.shape) has "
                           + "\(entry.bytes.count) bytes", file: sourceFile, line: line)
        }
        XCTAssertEqual(Set(file.entries.map(\.name)).count, file.entries.count, "\(name): a name is used twice",
                       file: sourceFile, line: line)
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let data = Array(bytes[(8 + headerLength)...])
        let read = file.entries.flatMap(\.bytes)
        XCTAssertEqual(read.count, data.count, "\(name): the tensors hold \(read.count) bytes, the data part "
                       + "\(data.count)", file: sourceFile, line: line)
        XCTAssertTrue(read == data, "\(name): the tensors' bytes are not the data part in order",
                      file: sourceFile, line: line)
    }

    func testErrorsStayOnOneLineWhateverTheHeaderHolds() {
        // A tensor name with a JSON-escaped line break and a dtype with an escape character (ESC [31m).
        let bytes = safetensorsFile(header: #"{"a\nb": {"dtype": "\u001b[31m", "shape": [1], "data_offsets": [0, 4]}}"#,
                                    data: [0, 0, 0, 0])
        XCTAssertThrowsError(try SafeTensors(parsing: bytes, path: "case.safetensors")) { error in
            let description = (error as? SafeTensorsError)?.description ?? "\(error)"
            XCTAssertFalse(description.contains(where: \.isNewline), description)
            XCTAssertFalse(description.unicodeScalars.contains("\u{1B}"), description)
            XCTAssertTrue(description.hasPrefix(#"case.safetensors: tensor 'a\u{a}b': unknown dtype '\u{1b}[31m'"#),
                          description)
        }
    }

    func testErrorsSayWhatWhereAndHow() {
        let error = SafeTensorsError.malformed(path: "/tmp/m.safetensors", tensor: "0.weight", reason: "unknown dtype 'X'")
        XCTAssertEqual(error.description, "/tmp/m.safetensors: tensor '0.weight': unknown dtype 'X'; the file is "
                       + "truncated, damaged or not a safetensors file: write it again (for example with safetensors' save_file)")
        XCTAssertThrowsError(try SafeTensors(contentsOf: URL(fileURLWithPath: "/nonexistent/x.safetensors"))) { error in
            XCTAssertEqual(error as? SafeTensorsError, .cannotRead(path: "/nonexistent/x.safetensors", reason: "no such file or folder; check the path"))
        }
    }
}
