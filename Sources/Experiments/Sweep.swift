import Foundation
import RunFormat
import Yams

/// A grid of training runs: a base configuration and axes of values, every combination one run.
///
/// A sweep file is YAML with two mappings, `base` (settings as in a config file) and `grid` (a setting
/// and its list of values):
/// ```
/// base:
///   dataset: spirals
///   depth: 6
///   steps: 500
/// grid:
///   activation: [sigmoid, tanh, relu]
///   optimizer: [sgd, adam]
///   init: [classic, he-normal]
/// ```
/// Every configuration sees the same data, batches and seed: only the grid's settings differ.
public struct Sweep: Sendable, Equatable {
    public struct Axis: Sendable, Equatable {
        public var key: String
        public var values: [String]
        /// Where the axis was given, for messages: `--lr`, or `sweep.yaml:5:7`.
        public var origin: String
        /// Where each value was given, when a sweep file says (its line and column).
        public var valueOrigins: [String]?
        public init(key: String, values: [String], origin: String = "sweep", valueOrigins: [String]? = nil) {
            self.key = key
            self.values = values
            self.origin = origin
            self.valueOrigins = valueOrigins
        }

        /// Where `value` was given.
        public func origin(of value: String) -> String {
            guard let valueOrigins, let i = values.firstIndex(of: value), i < valueOrigins.count else { return origin }
            return valueOrigins[i]
        }
    }

    /// One point of the grid (or one of a fixed list of runs, as the demo's).
    public struct Configuration: Sendable, Equatable {
        public init(index: Int, name: String, assignments: [Axis.Assignment], config: ExperimentConfig) {
            self.index = index
            self.name = name
            self.assignments = assignments
            self.config = config
        }

        /// Position in the whole grid (shards take every n-th).
        public var index: Int
        /// The folder name: the values, joined (`relu-adam`).
        public var name: String
        /// The grid's settings for this point, in axis order.
        public var assignments: [Axis.Assignment]
        public var config: ExperimentConfig
    }

    public var base: ExperimentConfig
    public var axes: [Axis]
    /// Where the base settings stand in the sweep file, when they came from one.
    public var baseSource: ConfigSource?

    public init(base: ExperimentConfig, axes: [Axis]) {
        self.base = base
        self.axes = axes
    }

    /// The number of configurations.
    public var count: Int { axes.reduce(1) { $0 * $1.values.count } }

    /// Every configuration, the last axis varying fastest; each value is read by its setting's parser
    /// (`Settings`) once, so a bad value names its setting and where it was given.
    public func configurations() throws -> [Configuration] {
        // Each axis's values, parsed: a configuration holding only that value.
        var parsed: [[ExperimentConfig]] = []
        for axis in axes {
            guard let setting = Settings.named(axis.key) else {
                throw SweepError(origin: axis.origin, key: axis.key,
                                 message: "unknown setting; see `gradlab train --help` for the settings")
            }
            guard !axis.values.isEmpty else { throw SweepError(origin: axis.origin, key: axis.key, message: "has no values") }
            if let position = axis.values.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                throw SweepError(origin: axis.origin, key: axis.key,
                                 message: "item \(position + 1) of the list is empty; separate values with single commas")
            }
            parsed.append(try axis.values.map { value in
                var config = ExperimentConfig()
                do throws(ConfigProblem) {
                    try setting.assign(value, to: &config)
                } catch {
                    throw SweepError(origin: axis.origin(of: value), key: axis.key, message: error.message)
                }
                return config
            })
            // The same value twice would train the same run twice under two names.
            let values = parsed[parsed.count - 1]
            for (i, config) in values.enumerated() {
                if let first = values[..<i].firstIndex(of: config) {
                    throw SweepError(origin: axis.origin(of: axis.values[i]), key: axis.key,
                                     message: "'\(CSVTable.clipped(axis.values[i]))' (item \(i + 1)) is the same value as "
                                     + "item \(first + 1); give each value once")
                }
            }
        }
        var result: [Configuration] = []
        var names: Set<String> = []
        for index in 0..<count {
            var rest = index
            var assignments: [Axis.Assignment] = []
            var config = base
            for (axis, values) in zip(axes, parsed).reversed() {
                let position = rest % axis.values.count
                assignments.insert(.init(key: axis.key, value: axis.values[position]), at: 0)
                config = config.merging(values[position])
                rest /= axis.values.count
            }
            var name = assignments.isEmpty ? "run" : assignments.map(Self.folderName).joined(separator: "-")
            if names.contains(name) { name += "-\(index)" }
            names.insert(name)
            result.append(Configuration(index: index, name: name, assignments: assignments, config: config))
        }
        return result
    }

    /// Reads a sweep file (`base` and `grid`); problems name the file, line and key.
    /// The base values of `overridden` (keys that flags set) are not read, as in a config file.
    public static func load(from url: URL, overridden: Set<String> = []) throws -> Sweep {
        let bytes: [UInt8]
        do {
            bytes = try FileAccess.read(url.path)
        } catch let error as FileAccessError {
            throw ConfigError(file: url.path, line: nil, column: nil, key: nil, message: error.problem)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(file: url.path, line: nil, column: nil, key: nil, message: "not UTF-8 text")
        }
        let root = try ExperimentConfig.composeYAML(text, file: url.path)
        guard let mapping = root?.mapping else {
            throw ConfigError(file: url.path, line: root?.mark?.line, column: nil, key: nil,
                              message: "expected a mapping with 'base' and 'grid'")
        }
        var base = ExperimentConfig()
        var baseSource = ConfigSource(file: url.path)
        var axes: [Axis] = []
        for (keyNode, value) in mapping {
            switch keyNode.string {
            case "base":
                (base, baseSource) = try ExperimentConfig.parse(value, file: url.path, overridden: overridden)
            case "grid":
                guard let grid = value.mapping else {
                    throw ConfigError(file: url.path, line: value.mark?.line, column: value.mark?.column, key: "grid",
                                      message: "expected a mapping of a setting to a list of values")
                }
                for (axisKey, list) in grid {
                    let key = axisKey.string ?? ""
                    let items = list.sequence.map(Array.init) ?? (list.scalar != nil ? [list] : [])
                    guard !items.isEmpty, items.allSatisfy({ $0.scalar != nil }) else {
                        throw ConfigError(file: url.path, line: list.mark?.line, column: list.mark?.column, key: key,
                                          message: "expected a list of values, e.g. [sgd, adam]")
                    }
                    let values = items.map { $0.scalar!.string }
                    let origin = "\(url.path):\(list.mark?.line ?? 0):\(list.mark?.column ?? 0)"
                    let valueOrigins = items.map { "\(url.path):\($0.mark?.line ?? 0):\($0.mark?.column ?? 0)" }
                    axes.append(Axis(key: key, values: values, origin: origin, valueOrigins: valueOrigins))
                }
            default:
                throw ConfigError(file: url.path, line: keyNode.mark?.line, column: keyNode.mark?.column,
                                  key: keyNode.string, message: "unknown section; a sweep file has 'base' and 'grid'")
            }
        }
        var sweep = Sweep(base: base, axes: axes)
        sweep.baseSource = baseSource
        return sweep
    }

    /// A value's part of a run's folder name: the value (`relu`, `0.1`), or for an on/off setting its key
    /// (`residual`) or `no-` and its key, so that `relu-residual` says what `relu-true` would not.
    static func folderName(_ assignment: Axis.Assignment) -> String {
        switch assignment.value.lowercased() {
        case "true", "yes", "on": folderName(assignment.key)
        case "false", "no", "off": "no-" + folderName(assignment.key)
        default: folderName(assignment.value)
        }
    }

    static func folderName(_ value: String) -> String {
        String(value.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" ? $0 : "_" })
    }
}

extension Sweep.Axis {
    /// One setting of one configuration: `activation=relu`.
    public struct Assignment: Sendable, Equatable, CustomStringConvertible {
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
        public var key: String
        public var value: String
        public var description: String { "\(key)=\(value)" }
    }
}

/// A sweep axis that cannot work: where it was given (a flag or the file's line), the setting and why.
public struct SweepError: Error, CustomStringConvertible, Equatable {
    public var origin: String
    public var key: String
    public var message: String
    public init(origin: String, key: String, message: String) {
        self.origin = origin
        self.key = key
        self.message = message
    }
    public var description: String {
        origin.hasPrefix("--") ? "\(origin): \(message)" : "\(origin): '\(key)': \(message)"
    }
}
