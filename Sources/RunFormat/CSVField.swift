import Foundation

/// Text of one CSV field, RFC 4180, as a `String` (the run-folder writers use `CSVLine`, which writes the
/// same text into bytes).
public enum CSVField {
    /// `text` as a field: quoted when it holds a comma, a quote, a carriage return or a line feed, with
    /// quotes doubled.
    public static func text(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A number that reads back to the same value: Swift's shortest round-trip form, with `nan`, `inf`
    /// and `-inf` for the non-finite values (as numpy and pandas read them).
    public static func number(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        return "\(value)"
    }
}
