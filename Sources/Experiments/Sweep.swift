import Foundation
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
        public init(key: String, values: [String]) {
            self.key = key
            self.values = values
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

    public init(base: ExperimentConfig, axes: [Axis]) {
        self.base = base
        self.axes = axes
    }

    /// The number of configurations.
    public var count: Int { axes.reduce(1) { $0 * $1.values.count } }

    /// Every configuration, the last axis varying fastest; each is parsed and checked like a config file,
    /// so a bad value names its setting.
    public func configurations() throws -> [Configuration] {
        for axis in axes {
            guard ExperimentConfig.keys.contains(axis.key) else {
                throw ConfigError(file: "sweep", line: nil, column: nil, key: axis.key,
                                  message: "unknown setting; known: \(ExperimentConfig.keys.joined(separator: ", "))")
            }
            guard !axis.values.isEmpty else {
                throw ConfigError(file: "sweep", line: nil, column: nil, key: axis.key, message: "has no values")
            }
        }
        var result: [Configuration] = []
        var names: Set<String> = []
        for index in 0..<count {
            var rest = index
            var assignments: [Axis.Assignment] = []
            for axis in axes.reversed() {
                assignments.insert(.init(key: axis.key, value: axis.values[rest % axis.values.count]), at: 0)
                rest /= axis.values.count
            }
            let text = assignments.map { "\($0.key): \(Self.yamlScalar($0.value))" }.joined(separator: "\n")
            let overrides = try ExperimentConfig.parse(text, file: "sweep (\(assignments.map(\.description).joined(separator: ", ")))")
            var name = assignments.isEmpty ? "run" : assignments.map { Self.folderName($0.value) }.joined(separator: "-")
            if names.contains(name) { name += "-\(index)" }
            names.insert(name)
            result.append(Configuration(index: index, name: name, assignments: assignments,
                                        config: base.merging(overrides)))
        }
        return result
    }

    /// Reads a sweep file (`base` and `grid`); problems name the file, line and key.
    public static func load(from url: URL) throws -> Sweep {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigError(file: url.path, line: nil, column: nil, key: nil,
                              message: "cannot read the sweep file (\(error.localizedDescription)); check the path")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigError(file: url.path, line: nil, column: nil, key: nil, message: "not valid YAML: \(error)")
        }
        guard let mapping = root?.mapping else {
            throw ConfigError(file: url.path, line: root?.mark?.line, column: nil, key: nil,
                              message: "expected a mapping with 'base' and 'grid'")
        }
        var base = ExperimentConfig()
        var axes: [Axis] = []
        for (keyNode, value) in mapping {
            switch keyNode.string {
            case "base":
                base = try ExperimentConfig.parse(try Yams.serialize(node: value), file: url.path + " (base)")
            case "grid":
                guard let grid = value.mapping else {
                    throw ConfigError(file: url.path, line: value.mark?.line, column: value.mark?.column, key: "grid",
                                      message: "expected a mapping of a setting to a list of values")
                }
                for (axisKey, list) in grid {
                    let key = axisKey.string ?? ""
                    let values = list.sequence.map { $0.compactMap(\.string) } ?? list.string.map { [$0] }
                    guard let values, !values.isEmpty else {
                        throw ConfigError(file: url.path, line: list.mark?.line, column: list.mark?.column, key: key,
                                          message: "expected a list of values, e.g. [sgd, adam]")
                    }
                    axes.append(Axis(key: key, values: values))
                }
            default:
                throw ConfigError(file: url.path, line: keyNode.mark?.line, column: keyNode.mark?.column,
                                  key: keyNode.string, message: "unknown section; a sweep file has 'base' and 'grid'")
            }
        }
        return Sweep(base: base, axes: axes)
    }

    static func yamlScalar(_ value: String) -> String {
        let plain = !value.isEmpty && !value.contains(": ") && !value.contains(" #")
            && !"[]{}&*!|>'\"%@`#".contains(value.first!)
        return plain ? value : "\"" + value.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"") + "\""
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
