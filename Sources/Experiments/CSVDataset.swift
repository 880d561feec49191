import Backprop
import Foundation
import RunFormat

/// Loads a dataset from a CSV file: a header row, then one example per row.
///
/// ```
/// x1,x2,species          --label species      → classes from the label column, inputs x1, x2
/// x,y1,y2                --targets y1,y2      → regression targets y1, y2, input x
/// ```
/// Every column that is not the label or a target is an input feature and must be numeric. Class labels
/// may be integers (class k is the number k, so `0..9` gives ten classes) or names (sorted, then
/// numbered: `cat, dog` → 0, 1). Fields follow RFC 4180 through the project's one reader, `CSVTable`
/// (quoted fields may hold commas, doubled quotes and line breaks; CRLF and a byte-order mark are fine);
/// blank lines are skipped; a header naming a column twice is refused; `nan` and `inf` are refused,
/// because one would poison training.
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
        let bytes: [UInt8]
        do {
            bytes = try FileAccess.read(path)
        } catch let error as FileAccessError {
            throw fail(nil, nil, error.problem + (error.isMissing ? " given to --data" : ""))
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw fail(nil, nil, "not UTF-8 text; save the file as UTF-8 CSV")
        }
        let table: CSVTable
        do {
            table = try CSVTable(bytes: bytes, path: path, ignoresTornLastLine: false)
        } catch RunFolderError.malformed(_, let line, let reason) {
            throw fail(line, nil, reason)
        }
        let names = table.columns.map { $0.trimmingCharacters(in: .whitespaces) }
        guard table.count > 0 else {
            throw fail(1, nil, "the header has no examples after it")
        }
        func columnIndex(_ name: String, flag: String) throws -> Int {
            guard let index = names.firstIndex(of: name) else {
                let known = CSVTable.clipped(names.map { CSVTable.clipped($0, limit: 40) }.joined(separator: ", "), limit: 200)
                throw fail(1, CSVTable.clipped(name), "the header has no such column (it has: \(known)); check --\(flag)")
            }
            return index
        }
        let labelIndex = try label.map { try columnIndex($0, flag: "label") }
        let targetIndices = try targets.map { try columnIndex($0, flag: "targets") }
        guard labelIndex != nil || !targetIndices.isEmpty else {
            throw fail(nil, nil, "give the label column (--label) or the regression target columns (--targets)")
        }
        if let labelIndex, targetIndices.contains(labelIndex) {
            throw fail(1, names[labelIndex], "is given both as the label and as a target; give it once")
        }
        let excluded = Set(targetIndices + (labelIndex.map { [$0] } ?? []))
        let featureIndices = names.indices.filter { !excluded.contains($0) }
        guard !featureIndices.isEmpty else {
            throw fail(1, nil, "no input columns are left after the label and target columns")
        }
        let examples = 0..<table.count
        try MemoryBudget.check(bytes: (featureIndices.count + max(targetIndices.count, 1)) * table.count
                                      * MemoryLayout<Scalar>.size, what: "the dataset in \(path)", setting: "data")
        func number(_ row: Int, _ column: Int) throws -> Scalar {
            let value: Double?
            do {
                value = try table.number(row: row, column: column)
            } catch RunFolderError.malformed(_, let line, _) {
                throw fail(line, names[column], "'\(CSVTable.clipped(table.text(row: row, column: column)))' is not "
                           + "a finite number")
            }
            guard let value, value.isFinite else {
                throw fail(table.line(ofRow: row), names[column], "'\(CSVTable.clipped(table.text(row: row, column: column)))' "
                           + "is not a finite number")
            }
            // A number Double holds may still overflow Float (training in float precision): say so rather
            // than train on an infinity.
            let scalar = Scalar(value)
            guard scalar.isFinite else {
                throw fail(table.line(ofRow: row), names[column], "'\(CSVTable.clipped(table.text(row: row, column: column)))' "
                           + "is too large for \(Scalar.self) (at most \(Scalar.greatestFiniteMagnitude)); rescale the "
                           + "column or train with --precision double")
            }
            return scalar
        }
        let inputs = Tensor<Scalar>(shape: [table.count, featureIndices.count])
        for r in examples {
            for (c, column) in featureIndices.enumerated() {
                inputs[r, c] = try number(r, column)
            }
        }
        let datasetTargets: DatasetTargets<Scalar>
        if let labelIndex {
            let texts = examples.map { table.text(row: $0, column: labelIndex).trimmingCharacters(in: .whitespaces) }
            if let row = texts.firstIndex(where: \.isEmpty) {
                throw fail(table.line(ofRow: row), names[labelIndex], "the label is empty")
            }
            let integers = texts.map { Int($0) }
            if integers.allSatisfy({ $0 != nil }) {
                let labels = integers.map { $0! }
                if let row = labels.firstIndex(where: { $0 < 0 }) {
                    throw fail(table.line(ofRow: row), names[labelIndex],
                               "class label \(labels[row]) is negative; labels are 0, 1, 2, ...")
                }
                let classCount = (labels.max() ?? 0) + 1
                guard classCount <= max(100_000, table.count) else {
                    throw fail(nil, names[labelIndex], "class label \(classCount - 1) asks for \(classCount) classes "
                               + "for \(table.count) examples; labels are numbered 0, 1, 2, ...")
                }
                datasetTargets = .classes(labels, classCount: classCount)
            } else {
                let classes = Array(Set(texts)).sorted()
                let number = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
                datasetTargets = .classes(texts.map { number[$0]! }, classCount: classes.count)
            }
        } else {
            let values = Tensor<Scalar>(shape: [table.count, targetIndices.count])
            for r in examples {
                for (c, column) in targetIndices.enumerated() {
                    values[r, c] = try number(r, column)
                }
            }
            datasetTargets = .values(values)
        }
        return Dataset(inputs: inputs, targets: datasetTargets, featureNames: featureIndices.map { names[$0] })
    }
}
