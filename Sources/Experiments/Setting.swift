import Backprop
import RunFormat

/// Which part of a run a setting describes; the sections of `--help`, and what each command accepts
/// (`check` takes the model, the data and the seed; `train` and `compare` take all of them).
public enum SettingGroup: String, Sendable, CaseIterable {
    case model = "Model"
    case data = "Data"
    case optimization = "Optimisation"
    case run = "Run"
}

/// One setting of a training run, as every reader of settings sees it: config files, flags, sweep axes
/// and the demo's scenarios all go through `assign(_:to:)`, so a value is parsed once, in one way, and
/// stored typed in its `ExperimentConfig` field.
///
/// The table of all of them is `Settings.all`; `Setting<Value>` is the one implementation.
public protocol ExperimentSetting: Sendable {
    /// The config-file key, which is also the flag's name without the dashes (`lr`, `--lr`).
    var key: String { get }
    var group: SettingGroup { get }
    /// One line of help, without the default.
    var help: String { get }
    /// The default in words, for `--help` (nil when there is none to state).
    var defaultText: String? { get }
    /// The placeholder of the value in `--help` (`<sizes>`); nil for an on/off setting.
    var valueName: String? { get }
    /// What separates the values of a `compare` list on the command line: `,`, or `;` for a setting whose
    /// own value holds commas (`--mlp "2,8,3;2,16,3"`).
    var listSeparator: Character { get }
    /// Parses `text` and stores the value in `config`; the problem's message says what was expected.
    func assign(_ text: String, to config: inout ExperimentConfig) throws(ConfigProblem)
    /// Stores a list of items (a YAML sequence); settings that take no list refuse it.
    func assign(items: [String], to config: inout ExperimentConfig) throws(ConfigProblem)
    /// True for the setting that also takes a list of items (a YAML sequence).
    var takesItems: Bool { get }
    /// The value set in `config`, as text that `assign` reads back; nil when unset.
    func text(in config: ExperimentConfig) -> String?
    /// Copies the value from `source` into `config` when `source` sets it.
    func take(from source: ExperimentConfig, into config: inout ExperimentConfig)
    /// What the setting expects, for a value of the wrong shape ("a number", "text").
    var expected: String { get }
    /// `text` split into the values of a `compare` list.
    func listValues(_ text: String) -> [String]
}

extension ExperimentSetting {
    /// True for an on/off setting (`--residual`, `--no-standardize`).
    public var isToggle: Bool { valueName == nil }
}

/// A setting whose value is a `Value`, stored in `ExperimentConfig` at `field`.
public struct Setting<Value: Sendable>: ExperimentSetting {
    public let key: String
    public let group: SettingGroup
    public let help: String
    public let defaultText: String?
    public let valueName: String?
    public let listSeparator: Character
    public let expected: String
    let field: WritableKeyPath<ExperimentConfig, Value?> & Sendable
    let parse: @Sendable (String) throws(ConfigProblem) -> Value
    let parseItems: (@Sendable ([String]) throws(ConfigProblem) -> Value)?
    let format: @Sendable (Value) -> String
    let split: (@Sendable (String) -> [String])?

    /// - Parameters:
    ///   - parser: text to value, with the problem in the words config files and flags show.
    ///   - format: the value as text that `parser` reads back (run.json records it).
    ///   - items: how a YAML list is read, for the one setting that takes a list.
    ///   - split: how a `compare` list is cut into values, when splitting at `listSeparator` is not enough.
    init(_ key: String, _ group: SettingGroup, _ field: WritableKeyPath<ExperimentConfig, Value?> & Sendable,
         parser: ValueParser<Value>, help: String, default defaultText: String? = nil, valueName: String? = nil,
         listSeparator: Character = ",", format: @escaping @Sendable (Value) -> String = { "\($0)" },
         items: (@Sendable ([String]) throws(ConfigProblem) -> Value)? = nil,
         split: (@Sendable (String) -> [String])? = nil) {
        self.key = key
        self.group = group
        self.field = field
        self.parse = parser.parse
        self.expected = parser.expected
        self.help = help
        self.defaultText = defaultText
        self.valueName = parser.isToggle ? nil : (valueName ?? key)
        self.listSeparator = listSeparator
        self.format = format
        self.parseItems = items
        self.split = split
    }

    public func assign(_ text: String, to config: inout ExperimentConfig) throws(ConfigProblem) {
        config[keyPath: field] = try parse(text)
    }

    public func assign(items: [String], to config: inout ExperimentConfig) throws(ConfigProblem) {
        guard let parseItems else { throw ConfigProblem("expected \(expected), found a list") }
        config[keyPath: field] = try parseItems(items)
    }

    public var takesItems: Bool { parseItems != nil }

    public func text(in config: ExperimentConfig) -> String? { config[keyPath: field].map(format) }

    public func take(from source: ExperimentConfig, into config: inout ExperimentConfig) {
        if let value = source[keyPath: field] { config[keyPath: field] = value }
    }

    public func listValues(_ text: String) -> [String] {
        if let split { return split(text) }
        return text.split(separator: listSeparator, omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

/// Text to a typed value, and what it expects in words ("a number"), for every reader of settings.
public struct ValueParser<Value: Sendable>: Sendable {
    public let expected: String
    let isToggle: Bool
    let parse: @Sendable (String) throws(ConfigProblem) -> Value

    init(expected: String, isToggle: Bool = false, parse: @escaping @Sendable (String) throws(ConfigProblem) -> Value) {
        self.expected = expected
        self.isToggle = isToggle
        self.parse = parse
    }

    static func failure(_ expected: String, _ text: String) -> ConfigProblem {
        ConfigProblem("expected \(expected), found \(quoted(text))")
    }
}

extension ValueParser where Value == Int {
    /// A whole number of at least `minimum`.
    static func integer(minimum: Int = 1) -> ValueParser {
        ValueParser(expected: "a whole number") { (text) throws(ConfigProblem) in
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let value = Int(trimmed.hasPrefix("+") ? String(trimmed.dropFirst()) : trimmed) else {
                throw failure("a whole number", text)
            }
            guard value >= minimum else { throw failure("a whole number ≥ \(minimum)", text) }
            return value
        }
    }
}

extension ValueParser where Value == UInt64 {
    /// A whole number from 0 to 2⁶⁴ − 1 (a seed).
    static var unsigned: ValueParser {
        ValueParser(expected: "a whole number") { (text) throws(ConfigProblem) in
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let value = UInt64(trimmed) else {
                throw failure(Int(trimmed) != nil ? "a whole number ≥ 0" : "a whole number", text)
            }
            return value
        }
    }
}

extension ValueParser where Value == Double {
    /// A finite number (`0.1`, `3e-4`); ranges are checked by `Experiment.init`, which names the rule.
    static var number: ValueParser {
        ValueParser(expected: "a number") { (text) throws(ConfigProblem) in
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                throw failure("a number", text)
            }
            return value
        }
    }
}

extension ValueParser where Value == Bool {
    /// true or false (YAML's yes/no and on/off too).
    static var bool: ValueParser {
        ValueParser(expected: "true or false", isToggle: true) { (text) throws(ConfigProblem) in
            switch text.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true", "yes", "on", "y": return true
            case "false", "no", "off", "n": return false
            default: throw failure("true or false", text)
            }
        }
    }
}

extension ValueParser where Value == String {
    /// Any text that is not blank (a file path, a column name).
    static var text: ValueParser {
        ValueParser(expected: "text") { (text) throws(ConfigProblem) in
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw ConfigProblem("is empty") }
            return text
        }
    }
}

extension ValueParser {
    /// Text that is not blank, then `read`: a name from a vocabulary, with `read`'s message when unknown.
    static func named(_ read: @escaping @Sendable (String) throws(ConfigProblem) -> Value) -> ValueParser {
        ValueParser(expected: "text") { (text) throws(ConfigProblem) in
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw ConfigProblem("is empty") }
            return try read(text)
        }
    }
}
