/// Text of one CSV field, RFC 4180, as a `String`: the text `CSVLine` writes into bytes, from the same
/// rules (the run-folder writers use `CSVLine` directly).
public enum CSVField {
    /// `text` as a field: quoted when it holds a comma, a quote, a carriage return or a line feed, with
    /// quotes doubled.
    public static func text(_ text: String) -> String {
        var line = CSVLine()
        line.text(text)
        return String(decoding: line.bytes, as: UTF8.self)
    }

    /// A number that reads back to the same value: Swift's shortest round-trip form, with `nan`, `inf`
    /// and `-inf` for the non-finite values (as numpy and pandas read them).
    public static func number(_ value: Double) -> String {
        var line = CSVLine()
        line.number(value)
        return String(decoding: line.bytes, as: UTF8.self)
    }
}
