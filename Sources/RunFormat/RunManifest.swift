import Foundation

/// `run.json`: what a run is and how it stands. Rewritten atomically (temporary file, then rename)
/// whenever its status changes, so a reader always sees a whole, valid file.
public struct RunManifest: Codable, Equatable, Sendable {
    public enum Status: String, Codable, Sendable {
        case running, completed, diverged, interrupted, failed
    }

    public struct Layer: Codable, Equatable, Sendable {
        /// The layer's position, as in parameter names (`"2"`).
        public var name: String
        /// The torch module class name.
        public var kind: String
        public var inputFeatures: Int
        public var outputFeatures: Int
        public init(name: String, kind: String, inputFeatures: Int, outputFeatures: Int) {
            self.name = name
            self.kind = kind
            self.inputFeatures = inputFeatures
            self.outputFeatures = outputFeatures
        }
        enum CodingKeys: String, CodingKey {
            case name, kind
            case inputFeatures = "input_features"
            case outputFeatures = "output_features"
        }
    }

    public struct ParameterInfo: Codable, Equatable, Sendable {
        public var name: String
        public var layer: String
        public var shape: [Int]
        public init(name: String, layer: String, shape: [Int]) {
            self.name = name
            self.layer = layer
            self.shape = shape
        }
    }

    public struct Model: Codable, Equatable, Sendable {
        public var description: String
        public var layers: [Layer]
        public var parameters: [ParameterInfo]
        public init(description: String, layers: [Layer], parameters: [ParameterInfo]) {
            self.description = description
            self.layers = layers
            self.parameters = parameters
        }
    }

    public struct DatasetInfo: Codable, Equatable, Sendable {
        public var name: String
        public var trainingExamples: Int
        public var validationExamples: Int
        public var features: Int
        public var outputs: Int
        public init(name: String, trainingExamples: Int, validationExamples: Int, features: Int, outputs: Int) {
            self.name = name
            self.trainingExamples = trainingExamples
            self.validationExamples = validationExamples
            self.features = features
            self.outputs = outputs
        }
        enum CodingKeys: String, CodingKey {
            case name, features, outputs
            case trainingExamples = "training_examples"
            case validationExamples = "validation_examples"
        }
    }

    public var format = RunFormat.name
    public var version = RunFormat.version
    public var name: String
    /// ISO 8601.
    public var created: String
    public var status: Status
    public var seed: UInt64
    /// The settings as given (flags and config file), as text.
    public var config: [String: String]
    public var model: Model
    public var dataset: DatasetInfo
    public var optimizer: [String: String]
    public var stepsCompleted: Int
    public var findings: [FindingRow]
    /// The process writing the run, so a reader can tell a live run from one that was killed.
    public var pid: Int32?
    public var finalLoss: Double?
    public var finalTrainAccuracy: Double?
    public var finalValidationLoss: Double?
    public var finalValidationAccuracy: Double?
    /// First hidden layer's gradient norm over the last one's, at the last recorded step.
    public var depthRatio: Double?
    /// The time ratio ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ at the last recorded step of the recurrent layers (timesteps.csv):
    /// the smallest over `timeRatios`, the one that shows a gradient vanishing through time. Nil for a model
    /// without recurrent layers.
    public var timeRatio: Double?
    /// The time ratio of every recurrent layer and stacked layer at the last recorded step; nil without
    /// recurrent layers.
    public var timeRatios: [TimeRatio]?

    /// One recurrent layer's (and stacked layer's) ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖.
    public struct TimeRatio: Codable, Equatable, Sendable {
        /// The recurrent layer's full torch name.
        public var layer: String
        /// The stacked layer, 0 for `weight_ih_l0`'s.
        public var stack: Int
        public var ratio: Double
        public init(layer: String, stack: Int, ratio: Double) {
            self.layer = layer
            self.stack = stack
            self.ratio = ratio
        }
    }

    public init(name: String, created: String, status: Status, seed: UInt64, config: [String: String], model: Model,
                dataset: DatasetInfo, optimizer: [String: String], stepsCompleted: Int = 0,
                findings: [FindingRow] = [], pid: Int32? = nil) {
        self.name = name
        self.created = created
        self.status = status
        self.seed = seed
        self.config = config
        self.model = model
        self.dataset = dataset
        self.optimizer = optimizer
        self.stepsCompleted = stepsCompleted
        self.findings = findings
        self.pid = pid
    }

    enum CodingKeys: String, CodingKey {
        case format, version, name, created, status, seed, config, model, dataset, optimizer, findings, pid
        case stepsCompleted = "steps_completed"
        case finalLoss = "final_loss"
        case finalTrainAccuracy = "final_train_accuracy"
        case finalValidationLoss = "final_val_loss"
        case finalValidationAccuracy = "final_val_accuracy"
        case depthRatio = "depth_ratio"
        case timeRatio = "time_ratio"
        case timeRatios = "time_ratios"
    }

    /// Writes `run.json` into `folder` atomically: a temporary file in the same folder, then a rename.
    public func write(to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf",
                                                                      negativeInfinity: "-inf", nan: "nan")
        let target = folder.appendingPathComponent("run.json")
        let temporary = folder.appendingPathComponent(".run.json.\(getpid()).tmp")
        do {
            try encoder.encode(self).write(to: temporary)
            guard rename(temporary.path, target.path) == 0 else {
                throw RunFolderError.cannotWrite(path: target.path, reason: String(cString: strerror(errno)))
            }
        } catch let error as RunFolderError {
            throw error
        } catch {
            throw RunFolderError.cannotWrite(path: target.path, reason: FileAccess.words(for: error))
        }
    }

    /// Reads `run.json` from a run folder. Every problem is a `RunFolderError` in words, with the path.
    public static func read(from folder: URL) throws -> RunManifest {
        let url = folder.appendingPathComponent("run.json")
        let bytes: [UInt8]
        do {
            bytes = try FileAccess.read(url.path)
        } catch let error as FileAccessError {
            if error.isMissing { throw RunFolderError.missing(path: url.path) }
            throw RunFolderError.malformed(path: url.path, line: nil, reason: error.problem)
        }
        return try decode(Data(bytes), path: url.path)
    }

    /// Decodes the text of a `run.json`; `path` names it in errors. Throws `RunFolderError.malformed`
    /// for anything that is not a run manifest, never traps.
    public static func decode(_ data: Data, path: String) throws -> RunManifest {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf",
                                                                        negativeInfinity: "-inf", nan: "nan")
        func field(_ codingPath: [CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        do {
            // The format first, so that another tool's file is named as such, not as a missing field.
            let format = try decoder.decode(FormatProbe.self, from: data).format
            guard format == RunFormat.name else {
                throw RunFolderError.malformed(path: path, line: nil, reason: "format is "
                                               + "'\(CSVTable.clipped(format))', not '\(RunFormat.name)': "
                                               + "this is not a GradLab run folder")
            }
            let manifest = try decoder.decode(RunManifest.self, from: data)
            try manifest.checkSizes(path: path)
            return manifest
        } catch let error as RunFolderError {
            throw error
        } catch let error as VocabularyError {
            throw RunFolderError.malformed(path: path, line: nil, reason: "the field '\(field(error.codingPath))' "
                                           + VocabularyError.reason(value: error.value, allowed: error.allowed))
        } catch DecodingError.keyNotFound(let key, let context) {
            let place = field(context.codingPath + [key])
            throw RunFolderError.malformed(path: path, line: nil, reason: "the field '\(place)' is missing")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw RunFolderError.malformed(path: path, line: nil,
                                           reason: "the field '\(field(context.codingPath))' has the wrong type")
        } catch DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty {
            throw RunFolderError.malformed(path: path, line: nil, reason: "the field '\(field(context.codingPath))' "
                                           + "holds a value that cannot be read (out of range or not valid)")
        } catch {
            throw RunFolderError.malformed(path: path, line: nil, reason: "not valid JSON; a run.json is one JSON "
                                           + "object written by `gradlab train` (see docs/RUN-FORMAT.md)")
        }
    }

    /// The status a reader should show: a run left `running` whose process is gone was interrupted.
    public var effectiveStatus: Status {
        guard status == .running else { return status }
        if let pid, pid > 0, kill(pid, 0) == 0 || errno == EPERM { return .running }
        return .interrupted
    }
}

/// Just the `format` field of a run.json.
private struct FormatProbe: Decodable {
    var format: String
}

extension RunManifest {
    /// Refuses counts and shapes no run can have, so that no reader's arithmetic on them can trap: every
    /// shape entry and count ≥ 0, and every tensor's size within 2⁵³.
    func checkSizes(path: String) throws {
        func fail(_ field: String, _ why: String) -> RunFolderError {
            RunFolderError.malformed(path: path, line: nil, reason: "the field '\(field)' \(why)")
        }
        for (i, parameter) in model.parameters.enumerated() {
            var size = 1
            for extent in parameter.shape {
                guard extent >= 0 else { throw fail("model.parameters[\(i)].shape", "has a negative size") }
                let (product, overflow) = size.multipliedReportingOverflow(by: extent)
                guard !overflow, product <= 1 << 53 else {
                    throw fail("model.parameters[\(i)].shape", "is too large for any tensor")
                }
                size = product
            }
        }
        for (field, value) in [("steps_completed", stepsCompleted), ("dataset.training_examples", dataset.trainingExamples),
                               ("dataset.validation_examples", dataset.validationExamples),
                               ("dataset.features", dataset.features), ("dataset.outputs", dataset.outputs)]
        where value < 0 || value > 1 << 53 {
            throw fail(field, "must be a whole number between 0 and 2⁵³")
        }
    }
}
