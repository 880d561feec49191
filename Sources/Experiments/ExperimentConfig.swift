import Backprop
import Foundation
import RunFormat
import Yams

/// Every setting of a training run, stored parsed: each field is the value of one entry of `Settings.all`,
/// which gives it a config-file key and a flag of the same name (`--lr 0.01` and `lr: 0.01`), its parser,
/// default and help. Unset fields take the defaults of `Experiment`.
///
/// A config file is YAML (JSON is accepted, being YAML): one mapping of these keys, for example
/// ```
/// mlp: 2,64x4,3          # sizes, 64x4 = four hidden layers of 64
/// activation: relu
/// init: he-normal
/// optimizer: adam
/// lr: 0.001
/// steps: 2000
/// dataset: spirals
/// ```
public struct ExperimentConfig: Sendable, Equatable {
    /// Layer sizes, input to output.
    public var mlp: [Int]?
    /// A model file (`ModelFile`), instead of `mlp`.
    public var model: String?
    /// Hidden layers when `mlp` is not given (IN, then `depth` layers of `width`, then OUT from the data).
    public var depth: Int?
    public var width: Int?
    public var activation: Activation?
    /// An initialiser's name (`Initializer(name:activation:)` reads it with the activation's gain).
    public var initializer: String?
    public var norm: ModelSpec.Norm?
    public var residual: Bool?
    public var dropout: Double?
    public var loss: Experiment.LossKind?
    public var optimizer: OptimizerKind?
    public var learningRate: Double?
    public var weightDecay: Double?
    /// A schedule's text (`LearningRateSchedule(parsing:totalSteps:)` reads it once the run's length is known).
    public var schedule: String?
    public var clipNorm: Double?
    public var clipValue: Double?
    public var steps: Int?
    public var epochs: Int?
    public var batch: Int?
    public var evaluateEvery: Int?
    public var stopOnNonFinite: Bool?
    public var seed: UInt64?
    /// A built-in dataset's name, lower-case.
    public var dataset: String?
    /// Examples to generate for a built-in dataset.
    public var examples: Int?
    public var noise: Double?
    public var data: String?
    /// The per-example shape of a CSV file's rows (`1,8,8` for 8×8 images), checked against its columns.
    public var inputShape: [Int]?
    /// The sequence length of a built-in sequence task.
    public var sequenceLength: Int?
    public var label: String?
    public var targets: [String]?
    public var validation: Double?
    public var standardize: Bool?
    public var precision: Experiment.Precision?

    public init() {}

    /// The config-file keys, which are also the flag names.
    public static var keys: [String] { Settings.keys }

    /// Sets the setting of config key `key` from `text`, read by the setting's parser; a problem names the
    /// setting (as a flag would). The demo and tests set settings this way.
    public mutating func set(_ key: String, _ text: String) throws {
        guard let setting = Settings.named(key) else {
            throw ExperimentError(setting: key, message: "unknown setting; see `gradlab train --help` for the settings")
        }
        do throws(ConfigProblem) {
            try setting.assign(text, to: &self)
        } catch {
            throw ExperimentError(setting: key, message: error.message)
        }
    }

    /// `self` with every field that `overrides` sets replaced: flags given on the command line win over
    /// the config file.
    public func merging(_ overrides: ExperimentConfig) -> ExperimentConfig {
        var result = self
        for setting in Settings.all { setting.take(from: overrides, into: &result) }
        return result
    }

    /// Reads a config file. Every problem is a `ConfigError` naming the file, line, column and key.
    public static func load(from url: URL) throws -> ExperimentConfig { try loadWithSource(from: url).config }

    /// Reads a config file, with where each setting's value stands in it, so that a value found wrong
    /// later (`Experiment.init`) is reported at its line and column. The values of `overridden` (keys
    /// that flags set, and so win) are not read: a flag replaces even a value the file got wrong.
    public static func loadWithSource(from url: URL, overridden: Set<String> = []) throws
        -> (config: ExperimentConfig, source: ConfigSource) {
        let bytes: [UInt8]
        do {
            bytes = try FileAccess.read(url.path)
        } catch let error as FileAccessError {
            throw ConfigError(file: url.path, line: nil, column: nil, key: nil, message: error.problem)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(file: url.path, line: nil, column: nil, key: nil,
                              message: "not UTF-8 text; save the config file as UTF-8")
        }
        return try parseWithSource(text, file: url.path, overridden: overridden)
    }

    /// Parses config text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws -> ExperimentConfig {
        try parseWithSource(text, file: file).config
    }

    /// Parses config text, with the places of its values.
    public static func parseWithSource(_ text: String, file: String, overridden: Set<String> = []) throws
        -> (config: ExperimentConfig, source: ConfigSource) {
        let root = try composeYAML(text, file: file)
        guard let root else { return (ExperimentConfig(), ConfigSource(file: file)) }
        return try parse(root, file: file, overridden: overridden)
    }

    /// Parses one YAML mapping of settings (a config file, or a sweep file's `base`).
    public static func parse(_ root: Node, file: String, overridden: Set<String> = []) throws
        -> (config: ExperimentConfig, source: ConfigSource) {
        guard let mapping = root.mapping else {
            throw ConfigError(file: file, line: root.mark?.line, column: root.mark?.column, key: nil,
                              message: "expected a mapping of settings (key: value lines), found \(kind(of: root))")
        }
        var config = ExperimentConfig()
        var source = ConfigSource(file: file)
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                throw ConfigError(file: file, line: keyNode.mark?.line, column: keyNode.mark?.column, key: nil,
                                  message: "a key must be text")
            }
            if let mark = value.mark ?? keyNode.mark {
                source.locations[key] = ConfigSource.Location(line: mark.line, column: mark.column)
            }
            guard let setting = Settings.named(key) else {
                let nearest = keys.min { editDistance($0, key) < editDistance($1, key) }
                let hint = nearest.flatMap { editDistance($0, key) <= 3 ? "did you mean '\($0)'?" : nil }
                    ?? "the settings are the flags of `gradlab train --help`, without the dashes"
                throw ConfigError(file: file, line: keyNode.mark?.line, column: keyNode.mark?.column,
                                  key: CSVTable.clipped(key, limit: 50), message: "unknown setting; \(hint)")
            }
            if overridden.contains(key) { continue }
            do throws(ConfigProblem) {
                switch value {
                case .scalar(let scalar): try setting.assign(scalar.string, to: &config)
                case .sequence(let items) where setting.takesItems:
                    let names = try items.map { item throws(ConfigProblem) in
                        guard let name = item.scalar?.string else { throw ConfigProblem("expected a list of column names, found \(kind(of: item))") }
                        return name
                    }
                    try setting.assign(items: names, to: &config)
                default: throw ConfigProblem("expected \(setting.expected), found \(kind(of: value))")
                }
            } catch {
                throw ConfigError(file: file, line: value.mark?.line, column: value.mark?.column, key: key,
                                  message: error.message)
            }
        }
        return (config, source)
    }

    /// The YAML document of `text`, nil when empty; a syntax error names its line and column.
    static func composeYAML(_ text: String, file: String) throws -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            switch error {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
                 .composer(_, let problem, let mark, _):
                throw ConfigError(file: file, line: mark.line, column: mark.column, key: nil,
                                  message: "not valid YAML: \(CSVTable.clipped(problem))")
            default:
                throw ConfigError(file: file, line: nil, column: nil, key: nil,
                                  message: "not valid YAML: " + CSVTable.clipped(String(describing: error)))
            }
        }
    }
}

/// A config-file problem: what, where (file, line, column, key) and, in the message, how to fix it.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var key: String?
    public var message: String

    public var description: String {
        var place = file
        if let line { place += ":\(line)" }
        if let column { place += ":\(column)" }
        return "\(place): " + (key.map { "'\($0)': " } ?? "") + message
    }
}

private func kind(of node: Node) -> String {
    switch node {
    case .scalar(let s): quoted(s.string)
    case .mapping: "a mapping"
    case .sequence: "a list"
    case .alias: "an alias"
    }
}

/// Levenshtein distance, for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where !b.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
}

/// Where each setting of a config file stands: the line and column of its value.
public struct ConfigSource: Sendable, Equatable {
    public struct Location: Sendable, Equatable {
        public var line: Int
        public var column: Int
    }

    public var file: String
    public var locations: [String: Location] = [:]

    public init(file: String, locations: [String: Location] = [:]) {
        self.file = file
        self.locations = locations
    }

    /// `error` placed at its setting's value in this file, when the file gave that setting.
    public func place(_ error: ExperimentError) -> ConfigError? {
        guard let location = locations[error.setting] else { return nil }
        return ConfigError(file: file, line: location.line, column: location.column, key: error.setting,
                           message: error.message)
    }
}
