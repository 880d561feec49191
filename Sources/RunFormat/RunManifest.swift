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
            throw RunFolderError.cannotWrite(path: target.path, reason: error.localizedDescription)
        }
    }

    /// Reads `run.json` from a run folder.
    public static func read(from folder: URL) throws -> RunManifest {
        let url = folder.appendingPathComponent("run.json")
        guard FileManager.default.fileExists(atPath: url.path) else { throw RunFolderError.missing(path: url.path) }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf",
                                                                        negativeInfinity: "-inf", nan: "nan")
        do {
            return try decoder.decode(RunManifest.self, from: Data(contentsOf: url))
        } catch let DecodingError.keyNotFound(key, _) {
            throw RunFolderError.malformed(path: url.path, line: nil, reason: "the field '\(key.stringValue)' is missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw RunFolderError.malformed(path: url.path, line: nil, reason: "the field '\(path)' has the wrong type")
        } catch {
            throw RunFolderError.malformed(path: url.path, line: nil, reason: "not valid JSON (\(error.localizedDescription))")
        }
    }

    /// The status a reader should show: a run left `running` whose process is gone was interrupted.
    public var effectiveStatus: Status {
        guard status == .running else { return status }
        if let pid, kill(pid, 0) == 0 || errno == EPERM { return .running }
        return .interrupted
    }
}
