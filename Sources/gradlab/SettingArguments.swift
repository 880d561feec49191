import ArgumentParser
import Experiments
import Foundation

/// The settings on a command line, read with the table `Settings`: every flag of `train`, `check` and
/// `compare` that sets a model, data, optimisation or run setting is an entry of that table, so the three
/// commands accept the same flags, with the same parsers, defaults and help.
///
/// ArgumentParser declares each option as a property; these flags come from a table instead, so each
/// command collects what its own options leave (`@Argument(parsing: .allUnrecognized)`) and reads it
/// here: the optional file (config or sweep) and the settings. The forms are ArgumentParser's:
/// `--lr 0.1`, `--lr=0.1`; an on/off setting is `--residual`, `--no-residual` or `--residual false`.
struct SettingArguments {
    /// One setting as a flag gave it.
    struct Given {
        var setting: any ExperimentSetting
        /// The value's text, as given (`true` or `false` for a bare on/off flag).
        var text: String
        var flag: String { "--\(setting.key)" }
    }

    /// The positional argument: a config file (train, check) or a sweep file (compare).
    var file: String?
    /// The settings in the order given; a later one of the same key wins.
    var given: [Given] = []

    /// Reads `arguments`, accepting the settings of `groups`.
    init(_ arguments: [String], groups: [SettingGroup]) throws {
        let settings = Settings.of(groups)
        func setting(_ key: String) -> (any ExperimentSetting)? { settings.first { $0.key == key } }
        var index = 0
        var positionalOnly = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard !positionalOnly, argument.hasPrefix("-"), argument.count > 1 else {
                guard file == nil else { throw UserError(message: "Unexpected argument '\(Self.clipped(argument))'") }
                file = argument
                continue
            }
            if argument == "--" {
                positionalOnly = true
                continue
            }
            var name = argument.hasPrefix("--") ? String(argument.dropFirst(2)) : ""
            var inline: String?
            if let equals = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            var negated = false
            var found = setting(name)
            if found == nil, name.hasPrefix("no-"), let toggle = setting(String(name.dropFirst(3))), toggle.isToggle {
                found = toggle
                negated = true
            }
            guard let found else { throw Self.unknown(argument) }
            let text: String
            if found.isToggle {
                if negated {
                    guard inline == nil else { throw UserError(message: "'--\(name)' takes no value") }
                    text = "false"
                } else if let inline {
                    text = inline
                } else if index < arguments.count, Self.isBoolList(arguments[index]) {
                    text = arguments[index]
                    index += 1
                } else {
                    text = "true"
                }
            } else if let inline {
                text = inline
            } else {
                guard index < arguments.count else {
                    throw UserError(message: "Missing value for '--\(found.key) <\(found.valueName ?? found.key)>'")
                }
                text = arguments[index]
                index += 1
            }
            given.append(Given(setting: found, text: text))
        }
    }

    /// The flags as one configuration (`train`, `check`); a bad value names its flag.
    func config() throws -> ExperimentConfig {
        var config = ExperimentConfig()
        for item in given {
            do throws(ConfigProblem) {
                try item.setting.assign(item.text, to: &config)
            } catch {
                throw ExperimentError(setting: item.setting.key, message: error.message)
            }
        }
        return config
    }

    /// The flags as a sweep's base and axes (`compare`): a flag with several values (a comma list, `;` for
    /// `--mlp` and `--targets`) is an axis, one value a setting of every run. A bad value names its flag.
    func sweep() throws -> (base: ExperimentConfig, axes: [Sweep.Axis]) {
        var base = ExperimentConfig()
        var axes: [Sweep.Axis] = []
        for item in given {
            let values = item.setting.listValues(item.text)
            axes.removeAll { $0.key == item.setting.key }
            guard values.count == 1 else {
                axes.append(Sweep.Axis(key: item.setting.key, values: values, origin: item.flag))
                continue
            }
            do throws(ConfigProblem) {
                try item.setting.assign(values[0], to: &base)
            } catch {
                throw SweepError(origin: item.flag, key: item.setting.key, message: error.message)
            }
        }
        return (base, axes)
    }

    /// The keys the flags set.
    var keys: Set<String> { Set(given.map(\.setting.key)) }

    private static func isBoolList(_ text: String) -> Bool {
        let words = ["true", "false", "yes", "no", "on", "off"]
        return text.split(separator: ",", omittingEmptySubsequences: false)
            .allSatisfy { words.contains($0.trimmingCharacters(in: .whitespaces).lowercased()) }
    }

    private static func unknown(_ argument: String) -> UserError {
        UserError(message: "Unknown option '\(clipped(argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument))'")
    }

    private static func clipped(_ text: String) -> String { text.count > 60 ? String(text.prefix(60)) + "…" : text }
}

extension SettingArguments {
    /// The settings of `groups` for `--help`, generated from the table: a section per group, each flag with
    /// its help and default, laid out as ArgumentParser lays out options (lines of at most 78 columns,
    /// which its help keeps as they are). `lists` adds how `compare` reads a list.
    static func help(_ groups: [SettingGroup], lists: Bool = false) -> String {
        var lines: [String] = []
        if lists {
            lines += wrap("Every setting takes a comma-separated list of values (separated by ';' for --mlp and "
                          + "--targets, whose values hold commas); a list of two or more is an axis of the grid, "
                          + "one value a setting of every run. An on/off setting takes true,false.", indent: 0)
        } else {
            lines += wrap("Each flag below is also a config-file key, without the dashes (lr: 0.01); a flag given "
                          + "on the command line wins over the file.", indent: 0)
        }
        for group in groups {
            lines.append("")
            lines.append(group.rawValue.uppercased() + " SETTINGS:")
            for setting in Settings.all where setting.group == group {
                let flag = setting.isToggle
                    ? "--[no-]\(setting.key)" + (lists ? " [<true,false>]" : "")
                    : "--\(setting.key) <\(setting.valueName ?? setting.key)>"
                // "(default:" stays on the line of the default's first word.
                let text = setting.help + (setting.defaultText.map { " (default:\u{1}\($0))" } ?? "")
                var body = wrap(text, indent: 26).map { $0.replacingOccurrences(of: "\u{1}", with: " ") }
                let head = "  " + flag
                if head.count <= 24 {
                    body[0] = head + String(repeating: " ", count: 26 - head.count) + body[0].dropFirst(26)
                } else {
                    body.insert(head, at: 0)
                }
                lines += body
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `text` in lines of at most 78 columns, each indented by `indent` spaces.
    private static func wrap(_ text: String, indent: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && indent + line.count + 1 + word.count > 78 {
                lines.append(String(repeating: " ", count: indent) + line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        lines.append(String(repeating: " ", count: indent) + line)
        return lines
    }
}

/// Reads an optional config file and lays the flags over it (flags win), then checks every value. A
/// value from the file that fails a check is reported at its line and column in the file.
func makeExperiment(configFile: String?, flags: ExperimentConfig, checksData: Bool = true,
                    adjust: ((inout ExperimentConfig) -> Void)? = nil) throws -> Experiment {
    var config = ExperimentConfig()
    var source: ConfigSource?
    if let configFile {
        (config, source) = try ExperimentConfig.loadWithSource(from: URL(fileURLWithPath: configFile),
                                                               overridden: Set(flags.settings.keys))
    }
    do {
        var merged = config.merging(flags)
        adjust?(&merged)
        let experiment = try Experiment(merged)
        return checksData ? try experiment.checkedAgainstData() : experiment
    } catch let error as ExperimentError {
        throw placed(error, source: source, flags: flags)
    }
}

/// `error` as the user should see it: at its place in the config file when the file gave the setting
/// and no flag overrode it, else naming the flag.
func placed(_ error: ExperimentError, source: ConfigSource?, flags: ExperimentConfig) -> Error {
    if flags.settings[error.setting] == nil, let placed = source?.place(error) { return placed }
    return error
}
