import Backprop
import Foundation
import RunFormat
import TrainingDiagnostics

/// Runs a sweep's configurations into `folder/runs/NAME`, several at once, resuming and sharding.
///
/// - Resume: a configuration whose run folder says `completed` or `diverged` is skipped; one left
///   `running` by a killed process, `interrupted` or `failed` is run again from the start.
/// - Shards: with `shard` (i, n), only configurations whose index is i − 1 modulo n run here, so n machines
///   (for example the tasks of a Slurm job array) can share one sweep folder; any of them, or a last
///   step, then builds the comparison from all runs present.
/// - Parallel jobs each train one configuration; OpenBLAS is held to one thread per job meanwhile.
public struct SweepRunner: Sendable {
    /// Every configuration of the sweep (a shard runs its part of them).
    public var configurations: [Sweep.Configuration]
    public var folder: URL
    public var jobs: Int
    public var shard: (index: Int, count: Int)?
    public var recording: RecordingOptions
    /// Steps between gradient checks during each run; nil for none.
    public var checkEvery: Int?

    public init(configurations: [Sweep.Configuration], folder: URL, jobs: Int, shard: (index: Int, count: Int)? = nil,
                recording: RecordingOptions = RecordingOptions(histogramsEvery: 100), checkEvery: Int? = 1000) {
        precondition(jobs > 0, "jobs must be positive, got \(jobs)")
        self.configurations = configurations
        self.folder = folder
        self.jobs = jobs
        self.shard = shard
        self.recording = recording
        self.checkEvery = checkEvery
    }

    /// The runner of every configuration of `sweep`.
    public init(sweep: Sweep, folder: URL, jobs: Int, shard: (index: Int, count: Int)? = nil,
                recording: RecordingOptions = RecordingOptions(histogramsEvery: 100)) throws {
        self.init(configurations: try sweep.configurations(), folder: folder, jobs: jobs, shard: shard,
                  recording: recording)
    }

    /// What became of one configuration.
    public struct Outcome: Sendable {
        public enum Kind: String, Sendable { case ran, skipped, failed }
        public var configuration: Sweep.Configuration
        public var kind: Kind
        public var folder: URL
        /// The run's manifest, when it has one.
        public var manifest: RunManifest?
        /// Why a configuration failed (an input error), in words.
        public var error: String?
    }

    /// The folder of one configuration's run.
    public func runFolder(_ configuration: Sweep.Configuration) -> URL {
        folder.appendingPathComponent("runs").appendingPathComponent(configuration.name)
    }

    /// The configurations this shard is responsible for.
    public func assigned() -> [Sweep.Configuration] {
        guard let shard else { return configurations }
        return configurations.filter { $0.index % shard.count == shard.index - 1 }
    }

    /// Checks every configuration before anything runs: a bad value fails the sweep at once.
    public func validate() throws {
        for configuration in configurations { _ = try Experiment(configuration.config).checkedAgainstData() }
    }

    /// Runs what is assigned and not yet done. `finished` is called (on one thread at a time) as each
    /// configuration ends; `stopper` receives a closure that stops every run in progress (for Ctrl-C).
    public func run(stopper: ((@escaping @Sendable () -> Void) -> Void)? = nil,
                    finished: @escaping (Outcome, _ done: Int, _ total: Int) -> Void) throws -> [Outcome] {
        try validate()
        let work = assigned()
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("runs"),
                                                withIntermediateDirectories: true)
        let state = SweepState(count: work.count)
        stopper?({ state.stopAll() })
        let previousThreads = BLASThreads.count
        let parallel = min(jobs, max(work.count, 1))
        if parallel > 1 { BLASThreads.set(1) }
        defer { if parallel > 1 { BLASThreads.set(previousThreads) } }
        // `finished` runs under the state's lock, one call at a time, so it need not be thread-safe itself.
        let report = UncheckedSendable(value: finished)
        DispatchQueue.concurrentPerform(iterations: parallel) { _ in
            while let index = state.next(), !state.isStopped {
                let outcome = runOne(work[index], state: state)
                state.finish(index, outcome) { done in report.value(outcome, done, work.count) }
            }
        }
        return state.outcomes.compactMap { $0 }
    }

    private func runOne(_ configuration: Sweep.Configuration, state: SweepState) -> Outcome {
        let target = runFolder(configuration)
        if let manifest = try? RunManifest.read(from: target),
           [.completed, .diverged].contains(manifest.effectiveStatus) {
            return Outcome(configuration: configuration, kind: .skipped, folder: target, manifest: manifest)
        }
        do {
            let experiment = try Experiment(configuration.config)
            let job = TrainingJob(experiment: experiment, folder: target, recording: recording, force: true,
                                  checkEvery: checkEvery)
            let outcome = try job.run(hooks: .init(willBegin: { _, stop in state.register(stop) }))
            return Outcome(configuration: configuration, kind: .ran, folder: target, manifest: outcome.manifest)
        } catch {
            return Outcome(configuration: configuration, kind: .failed, folder: target,
                           manifest: try? RunManifest.read(from: target), error: "\(error)")
        }
    }
}

/// The work queue and results shared by a sweep's worker threads.
final class SweepState: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private var done = 0
    private var stopped = false
    private var stops: [@Sendable () -> Void] = []
    private(set) var outcomes: [SweepRunner.Outcome?]

    init(count: Int) { outcomes = Array(repeating: nil, count: count) }

    func next() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard !stopped, nextIndex < outcomes.count else { return nil }
        nextIndex += 1
        return nextIndex - 1
    }

    var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    func register(_ stop: @escaping @Sendable () -> Void) {
        lock.lock()
        stops.append(stop)
        let already = stopped
        lock.unlock()
        if already { stop() }
    }

    func stopAll() {
        lock.lock()
        stopped = true
        let all = stops
        lock.unlock()
        for stop in all { stop() }
    }

    /// Records an outcome and reports it while holding the lock, so reports never interleave.
    func finish(_ index: Int, _ outcome: SweepRunner.Outcome, report: (Int) -> Void) {
        lock.lock(); defer { lock.unlock() }
        outcomes[index] = outcome
        done += 1
        report(done)
    }
}

/// A value handed to other threads under a guarantee the compiler cannot see (here: a lock).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}
