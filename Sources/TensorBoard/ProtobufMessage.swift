/// A protocol-buffer message written field by field in the wire format, for the handful of TensorBoard
/// messages the exporter needs.
///
/// ```
/// field key = (number << 3) | wire type     0 varint · 1 fixed64 · 2 length-delimited · 5 fixed32
/// varint    = 7 bits per byte, least significant group first, high bit set on all but the last byte
/// ```
/// Fields are appended in the order they are given; a reader accepts any order. Repeated doubles are
/// written packed (one length-delimited field), as proto3 does by default.
///
/// Reference: https://protobuf.dev/programming-guides/encoding/
struct ProtobufMessage {
    private(set) var bytes: [UInt8] = []

    /// A `double` field (fixed64, little-endian IEEE 754).
    mutating func double(_ number: Int, _ value: Double) {
        key(number, wireType: 1)
        littleEndian(value.bitPattern)
    }

    /// A `float` field (fixed32, little-endian IEEE 754).
    mutating func float(_ number: Int, _ value: Float) {
        key(number, wireType: 5)
        littleEndian(value.bitPattern)
    }

    /// An `int64` or enum field; negative values take ten bytes, as the format requires.
    mutating func varint(_ number: Int, _ value: Int64) {
        key(number, wireType: 0)
        varint(UInt64(bitPattern: value))
    }

    /// A `string` field, UTF-8.
    mutating func string(_ number: Int, _ value: String) { bytes(number, Array(value.utf8)) }

    /// A `bytes` field.
    mutating func bytes(_ number: Int, _ value: [UInt8]) {
        key(number, wireType: 2)
        varint(UInt64(value.count))
        bytes += value
    }

    /// An embedded message field.
    mutating func message(_ number: Int, _ value: ProtobufMessage) { bytes(number, value.bytes) }

    /// A packed `repeated double` field.
    mutating func packedDoubles(_ number: Int, _ values: [Double]) {
        key(number, wireType: 2)
        varint(UInt64(values.count * 8))
        for value in values { littleEndian(value.bitPattern) }
    }

    private mutating func key(_ number: Int, wireType: UInt64) {
        precondition(number > 0, "a protobuf field number is positive, not \(number)")
        varint(UInt64(number) << 3 | wireType)
    }

    private mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    private mutating func littleEndian<Word: FixedWidthInteger>(_ word: Word) {
        withUnsafeBytes(of: word.littleEndian) { bytes += $0 }
    }
}
