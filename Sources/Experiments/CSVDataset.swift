import Backprop
import Foundation

/// Loads a dataset from a CSV file: a header row, then one example per row.
///
/// ```
/// x1,x2,species          --label species      → classes from the label column, inputs x1, x2
/// x,y1,y2                --targets y1,y2      → regression targets y1, y2, input x
/// ```
/// Every column that is not the label or a target is an input feature and must be numeric. Class labels
/// may be integers (class k is the number k, so `0..9` gives ten classes) or names (sorted, then
/// numbered: `cat, dog` → 0, 1). Fields follow RFC 4180 (quotes allowed; a quoted field does not span
/// lines); blank lines are skipped; `nan` and `inf` are refused, because one would poison training.
///
/// Errors name the file, line and column: a non-numeric field, a row with the wrong number of fields,
/// an empty file, a label or target column the header does not have.
public enum CSVDataset {
    /// A CSV file that cannot become a dataset: says where and how to fix it.
    public struct LoadError: Error, CustomStringConvertible, Equatable {
        public var path: String
        public var line: Int?
        public var column: String?
        public var message: String
        public var description: String {
            var place = path
            if let line { place += ":\(line)" }
            if let column { place += " (column '\(column)')" }
            return "\(place): \(message)"
        }
    }

    /// Reads `path`: the label column `label` for classification, or the `targets` columns for regression.
    public static func load<Scalar: TensorScalar>(
        path: String, label: String?, targets: [String], as: Scalar.Type = Scalar.self
    ) throws -> Dataset<Scalar> {
        func fail(_ line: Int?, _ column: String?, _ message: String) -> LoadError {
            LoadError(path: path, line: line, column: column, message: message)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw fail(nil, nil, exists ? "cannot read the file; check its permissions"
                                        : "no such file; check the path given to --data")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw fail(nil, nil, "not UTF-8 text; save the file as UTF-8 CSV")
        }
        var rows: [(line: Int, fields: [String])] = []
        for (index, rawLine) in text.split(omittingEmptySubsequences: false,
                                                                      whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.allSatisfy(\.isWhitespace) { continue }
            rows.append((index + 1, try fields(of: line, path: path, line: index + 1)))
        }
        guard let header = rows.first else {
            throw fail(nil, nil, "the file is empty; it needs a header row and at least one example")
        }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        let examples = rows.dropFirst()
        guard !examples.isEmpty else {
            throw fail(header.line, nil, "the header has no examples after it")
        }
        func columnIndex(_ name: String, flag: String) throws -> Int {
            guard let index = names.firstIndex(of: name) else {
                throw fail(header.line, name, "the header has no such column (it has: \(names.joined(separator: ", ")));"
                           + " check --\(flag)")
            }
            return index
        }
        let labelIndex = try label.map { try columnIndex($0, flag: "label") }
        let targetIndices = try targets.map { try columnIndex($0, flag: "targets") }
        guard labelIndex != nil || !targetIndices.isEmpty else {
            throw fail(nil, nil, "give the label column (--label) or the regression target columns (--targets)")
        }
        let excluded = Set(targetIndices + (labelIndex.map { [$0] } ?? []))
        let featureIndices = names.indices.filter { !excluded.contains($0) }
        guard !featureIndices.isEmpty else {
            throw fail(header.line, nil, "no input columns are left after the label and target columns")
        }
        for row in examples where row.fields.count != names.count {
            throw fail(row.line, nil, "the row has \(row.fields.count) fields but the header has \(names.count);"
                       + " every row needs one field per column")
        }
        func number(_ row: (line: Int, fields: [String]), _ column: Int) throws -> Scalar {
            let text = row.fields[column].trimmingCharacters(in: .whitespaces)
            guard let value = Double(text), value.isFinite else {
                throw fail(row.line, names[column], "'\(text)' is not a finite number")
            }
            return Scalar(value)
        }
        let inputs = Tensor<Scalar>(shape: [examples.count, featureIndices.count])
        for (r, row) in examples.enumerated() {
            for (c, column) in featureIndices.enumerated() {
                inputs[r, c] = try number(row, column)
            }
        }
        let datasetTargets: DatasetTargets<Scalar>
        if let labelIndex {
            let texts = examples.map { $0.fields[labelIndex].trimmingCharacters(in: .whitespaces) }
            for (row, text) in zip(examples, texts) where text.isEmpty {
                throw fail(row.line, names[labelIndex], "the label is empty")
            }
            let integers = texts.map { Int($0) }
            if integers.allSatisfy({ $0 != nil }) {
                let labels = integers.map { $0! }
                if let (row, bad) = zip(examples, labels).first(where: { $0.1 < 0 }) {
                    throw fail(row.line, names[labelIndex], "class label \(bad) is negative; labels are 0, 1, 2, ...")
                }
                datasetTargets = .classes(labels, classCount: (labels.max() ?? 0) + 1)
            } else {
                let classes = Array(Set(texts)).sorted()
                let number = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
                datasetTargets = .classes(texts.map { number[$0]! }, classCount: classes.count)
            }
        } else {
            let values = Tensor<Scalar>(shape: [examples.count, targetIndices.count])
            for (r, row) in examples.enumerated() {
                for (c, column) in targetIndices.enumerated() {
                    values[r, c] = try number(row, column)
                }
            }
            datasetTargets = .values(values)
        }
        return Dataset(inputs: inputs, targets: datasetTargets, featureNames: featureIndices.map { names[$0] })
    }

    /// The RFC 4180 fields of one line.
    static func fields(of line: Substring, path: String, line number: Int) throws -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var index = line.startIndex
        while index < line.endIndex {
            let c = line[index]
            if quoted {
                if c == "\"" {
                    let next = line.index(after: index)
                    if next < line.endIndex && line[next] == "\"" {
                        field.append("\"")
                        index = next
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                fields.append(field)
                field = ""
            } else {
                field.append(c)
            }
            index = line.index(after: index)
        }
        guard !quoted else {
            throw LoadError(path: path, line: number, column: nil,
                            message: "a quoted field is not closed; quotes inside a field are doubled (\"\")")
        }
        fields.append(field)
        return fields
    }
}
