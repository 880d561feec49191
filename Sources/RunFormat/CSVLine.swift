/// One CSV row being written into a byte buffer, field by field, RFC 4180, without a `String` per field.
///
/// Numbers go straight into the bytes: a `Double` through its own `write(to:)` (the standard library
/// formats it into a stack buffer and hands it over by `_writeASCII`), an integer digit by digit; text
/// is quoted only when it needs to be. So a recorder appending a row per tensor per step allocates
/// nothing but the buffer's growth. The text of every field is what `CSVField` gives.
public struct CSVLine: TextOutputStream {
    /// The bytes written so far (the writer's buffer, lent to the line).
    public internal(set) var bytes: [UInt8]
    /// Where each field starts in `bytes`, when the caller wants the fields back (`CSVRecord.fields`).
    var fieldStarts: [Int]?
    private var fieldCount = 0

    init(bytes: [UInt8] = [], keepsFieldStarts: Bool = false) {
        self.bytes = bytes
        fieldStarts = keepsFieldStarts ? [] : nil
    }

    /// Starts the next field: a comma before every field but the first.
    @inline(__always)
    private mutating func next() {
        if fieldCount > 0 { bytes.append(UInt8(ascii: ",")) }
        fieldCount += 1
        fieldStarts?.append(bytes.count)
    }

    /// A number that reads back to the same value (`CSVField.number`).
    public mutating func number(_ value: Double) {
        next()
        numberBody(value)
    }

    /// A number, or an empty field when absent.
    public mutating func number(_ value: Double?) {
        next()
        if let value { numberBody(value) }
    }

    /// An integer, or an empty field when absent.
    public mutating func integer(_ value: Int?) {
        next()
        guard let value else { return }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        // In place: reversing through a slice (`bytes[start...].reverse()`) would copy it.
        var low = start, high = bytes.count - 1
        while low < high {
            bytes.swapAt(low, high)
            low += 1
            high -= 1
        }
    }

    /// 1 for true, 0 for false.
    public mutating func flag(_ value: Bool) {
        next()
        bytes.append(value ? UInt8(ascii: "1") : UInt8(ascii: "0"))
    }

    /// Text, quoted when it holds a comma, a quote, a carriage return or a line feed (`CSVField.text`).
    public mutating func text(_ value: String) {
        next()
        let utf8 = value.utf8
        let needsQuotes = utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"")
            || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
        guard needsQuotes else { return bytes.append(contentsOf: utf8) }
        bytes.append(UInt8(ascii: "\""))
        for byte in utf8 {
            if byte == UInt8(ascii: "\"") { bytes.append(byte) }
            bytes.append(byte)
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Text known to need no quotes: an enumeration's raw value, a fixed name.
    public mutating func word(_ value: String) {
        next()
        bytes.append(contentsOf: value.utf8)
    }

    /// `TextOutputStream`: text as it is, within the current field.
    public mutating func write(_ string: String) { bytes.append(contentsOf: string.utf8) }

    /// `TextOutputStream`'s hook for ASCII that the standard library formatted itself (a `Double`).
    public mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: buffer) }

    @inline(__always)
    private mutating func numberBody(_ value: Double) {
        if value.isNaN { return bytes.append(contentsOf: "nan".utf8) }
        if value.isInfinite { return bytes.append(contentsOf: (value > 0 ? "inf" : "-inf").utf8) }
        value.write(to: &self)
    }
}
