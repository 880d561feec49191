import Foundation

/// A run folder read for a report: the manifest and every record on disk, with notes on what was
/// missing, torn or still being written.
///
/// Only `run.json` and `steps.csv` are required; every other file is optional and its absence is noted,
/// not fatal, so runs written by other frameworks (or killed early) still render.
public struct RunData: Sendable {
    /// One row of `gradcheck-sweep.csv`: a finite-difference estimate at one step size `h`.
    public struct SweepRow: Equatable, Sendable {
        public var parameter: String
        public var index: String
        public var h: Double
        public var numeric: Double
        public var absoluteError: Double
        public var relativeError: Double

        public init(parameter: String, index: String, h: Double, numeric: Double, absoluteError: Double,
                    relativeError: Double) {
            self.parameter = parameter
            self.index = index
            self.h = h
            self.numeric = numeric
            self.absoluteError = absoluteError
            self.relativeError = relativeError
        }
    }

    public var folder: URL
    public var manifest: RunManifest
    public var steps: [StepRow]
    public var gradients: [GradientRow]
    public var activations: [ActivationRow]
    public var histograms: [HistogramRow]
    /// From `findings.csv` when present (it is flushed at every finding), else from `run.json`.
    public var findings: [FindingRow]
    public var gradchecks: [GradcheckRow]
    public var sweep: [SweepRow]
    /// `timesteps.csv`: per-time-step gradient and hidden norms of recurrent layers; empty without one.
    public var timeSteps: [TimeStepRow] = []
    /// The CSV files found, in reading order (file names only).
    public var files: [String]
    /// Plain-language notes about the state of the folder: missing optional files, torn last lines, a
    /// run still going or killed.
    public var notes: [String]

    /// The status to show: `run.json`'s, or `interrupted` when it says running and its process is gone.
    public var status: RunManifest.Status { manifest.effectiveStatus }

    /// The last step on disk (steps.csv may be ahead of run.json for a live or killed run).
    public var lastStep: Int { max(manifest.stepsCompleted, steps.last?.step ?? 0) }

    /// A one-line description of the status, saying when the report shows a partial run.
    public var statusSentence: String {
        switch (manifest.status, status) {
        case (.running, .running):
            "still running: this report shows the \(lastStep) steps on disk when it was made"
        case (.running, _):
            "killed: run.json still says running but its process is gone; this report shows the \(lastStep) "
                + "steps that reached the disk"
        case (_, .interrupted): "interrupted after \(lastStep) steps"
        case (_, .diverged): "diverged at step \(lastStep)"
        case (_, .failed): "failed after \(lastStep) steps"
        default: "completed \(lastStep) steps"
        }
    }

    /// Whether the run is not known to have finished (still going, killed, interrupted or failed).
    public var isPartial: Bool { status == .running || status == .interrupted || status == .failed }

    public init(folder: URL, manifest: RunManifest, steps: [StepRow], gradients: [GradientRow] = [],
                activations: [ActivationRow] = [], histograms: [HistogramRow] = [], findings: [FindingRow] = [],
                gradchecks: [GradcheckRow] = [], sweep: [SweepRow] = [], files: [String] = [], notes: [String] = []) {
        self.folder = folder
        self.manifest = manifest
        self.steps = steps
        self.gradients = gradients
        self.activations = activations
        self.histograms = histograms
        self.findings = findings
        self.gradchecks = gradchecks
        self.sweep = sweep
        self.files = files
        self.notes = notes
    }
}

/// Reads run folders (format version 1) into `RunData`, tolerating what a live or killed run leaves:
/// missing optional files, a torn last line, a `run.json` that still says running.
public struct RunReader: Sendable {
    public init() {}

    /// Reads the run folder at `folder`. Throws `RunFolderError` for a missing folder, a missing or
    /// malformed `run.json`, a missing `steps.csv`, a file with wrong columns, or a run with no steps yet.
    public func read(_ folder: URL) throws -> RunData {
        var info = stat()
        guard stat(folder.path, &info) == 0 else { throw RunFolderError.missing(path: folder.path) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw RunFolderError.malformed(path: folder.path, line: nil, reason: "is a file, not a run folder; give "
                                           + "the folder that holds run.json and steps.csv")
        }
        let manifest = try RunManifest.read(from: folder)
        var notes: [String] = []
        if manifest.version > RunFormat.version {
            notes.append("run.json has format version \(manifest.version); this report reads version "
                         + "\(RunFormat.version) and may miss newer columns")
        }
        var files: [String] = []
        func table(_ name: String, required: Bool) throws -> CSVTable? {
            let url = folder.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                if required {
                    throw RunFolderError.malformed(path: url.path, line: nil, reason: "is missing; a run folder holds "
                                                   + "run.json and steps.csv at least")
                }
                return nil
            }
            let table = try CSVTable(url: url)
            files.append(name)
            if table.tornLine { notes.append("\(name) ends in an incomplete line (the run was writing it); it is ignored") }
            return table
        }

        guard let stepTable = try table("steps.csv", required: true) else { throw RunFolderError.missing(path: "steps.csv") }
        let steps = try stepTable.steps()
        guard !steps.isEmpty else {
            throw RunFolderError.malformed(path: stepTable.url.path, line: nil,
                                           reason: "the run has no recorded steps yet; report it once it has trained a step")
        }
        var data = RunData(folder: folder, manifest: manifest, steps: steps)
        if let t = try table("gradients.csv", required: false) { data.gradients = try t.gradients() }
        else { notes.append("gradients.csv is missing: no per-layer gradient figures") }
        if let t = try table("activations.csv", required: false) { data.activations = try t.activations() }
        else { notes.append("activations.csv is missing: no saturation or dead-unit figure") }
        if let t = try table("histograms.csv", required: false) { data.histograms = try t.histograms() }
        if let t = try table("findings.csv", required: false) { data.findings = try t.findings() }
        else { data.findings = FindingRow.spans(manifest.findings) }
        if let t = try table("gradcheck.csv", required: false) { data.gradchecks = try t.gradchecks() }
        if let t = try table("gradcheck-sweep.csv", required: false) { data.sweep = try t.sweep() }
        if let t = try table("timesteps.csv", required: false) { data.timeSteps = try t.timeSteps() }
        if manifest.status == .running {
            notes.insert(manifest.effectiveStatus == .running
                         ? "The run is still going: this report shows what was on disk when it was made."
                         : "The run was killed: run.json still says running but its process is gone. This report "
                         + "shows everything that reached the disk.", at: 0)
        } else if manifest.status == .interrupted {
            notes.insert("The run was interrupted (Ctrl-C) after \(data.lastStep) steps.", at: 0)
        }
        data.files = files
        data.notes = notes
        return data
    }
}
