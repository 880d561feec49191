import ArgumentParser
import Backprop
import Experiments
import Foundation
import GradientCheck
import Reports
import RunFormat

/// `gradlab demo`: the main job. The canonical pictures of gradient health on built-in data, in one report.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reproduce the canonical pictures: vanishing and exploding gradients, optimizers, a gradient check.",
        discussion: """
            (a) a deep sigmoid MLP with the classic initialisation vanishes, ReLU with He initialisation does not \
            (Glorot & Bengio 2010; He et al. 2015); (b) too high a learning rate explodes, clipping the gradient \
            norm tames it (Pascanu et al. 2013); (c) SGD, momentum, RMSprop and Adam on one model; (d) that \
            model's gradient check, on the spirals; (e) a plain 16-layer convnet on the digits images vanishes, \
            the same with BatchNorm2d and a residual one train (He et al. 2016); (f) on the adding problem a \
            tanh RNN with recurrent spectral radius 1.5 explodes unless clipped, a tanh RNN vanishes through \
            time and an LSTM learns the task (Hochreiter & Schmidhuber 1997). One seed, into --out: the runs \
            (OUT/runs), their model files (OUT/models), the gradient check (OUT/gradcheck) and the report \
            (OUT/index.html).
            """
    )

    @Option(help: ArgumentHelp("Folder for the runs and the report.", valueName: "folder"))
    var out: String = "out/demo"
    @Option(help: "Seed of data, weights and batches.")
    var seed: UInt64 = 7
    @Option(help: "Runs trained at once (default: the number of cores).")
    var jobs = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: ArgumentHelp("Scale every run's step budget (0.1 for a quick look).", valueName: "factor"))
    var scale = 1.0
    @Option(name: .customLong("record-every"), help: "Record gradients and activations every N steps.")
    var recordEvery = 1
    @Option(help: ArgumentHelp("Run only these scenarios, comma-separated (a,b,c,e,f); the gradient check (d) always runs.",
                               valueName: "ids"))
    var only: String?
    @Flag(name: .customLong("run-reports"), inversion: .prefixedNo,
          help: "Also write a full report of every run (the comparisons and the front page are always written).")
    var runReports = true

    func validate() throws {
        guard jobs > 0 else { throw ValidationError("--jobs must be at least 1") }
        guard scale > 0 && scale <= 10 else { throw ValidationError("--scale must be in (0, 10]") }
        guard recordEvery > 0 else { throw ValidationError("--record-every must be positive") }
        if let only {
            let known = Set(DemoScenarios.scenarios(models: "").map(\.id))
            let asked = only.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if let unknown = asked.first(where: { !known.contains($0) }) {
                throw ValidationError("--only: '\(unknown.prefix(20))' is not a scenario; use some of \(known.sorted().joined(separator: ","))")
            }
        }
    }

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let folder = URL(fileURLWithPath: out, isDirectory: true)
        let models = folder.appendingPathComponent("models")
        let chosen = only.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        let scenarios = DemoScenarios.scenarios(seed: seed, scale: scale, models: models.path)
            .filter { chosen?.contains($0.id) ?? true }
        let configurations = scenarios.flatMap(\.runs)
        try RunFolderContents.checkIsOwnFolder(out)
        try RunFolderContents.checkOwnFile(folder.appendingPathComponent("index.html"), flag: "--out")
        try RunFolderContents.checkOwnFile(folder.appendingPathComponent("summary.csv"), header: "rank,run,", flag: "--out")
        try RunFolderContents.checkOwnFile(folder.appendingPathComponent("gradcheck").appendingPathComponent("gradcheck.csv"),
                                           header: "step,parameter,", flag: "--out")
        for file in DemoScenarios.modelFiles {
            try RunFolderContents.checkOwnFile(models.appendingPathComponent(file.name), header: "# GradLab demo model",
                                               flag: "--out")
        }
        do {
            try FileAccess.prepareFolder(folder.path)
            try FileAccess.prepareFolder(models.path)
        } catch let error as FileAccessError {
            throw UserError(message: "cannot write --out \(error.description)")
        }
        for file in DemoScenarios.modelFiles {
            let url = models.appendingPathComponent(file.name)
            do {
                try Data(file.text.utf8).write(to: url, options: .atomic)
            } catch {
                throw UserError(message: "cannot write \(url.path): \(FileAccess.words(for: error))")
            }
        }
        // A fresh demo every time: earlier runs of the same names are replaced, and only GradLab run folders.
        for run in configurations {
            let runFolder = folder.appendingPathComponent("runs").appendingPathComponent(run.name)
            guard FileManager.default.fileExists(atPath: runFolder.path) else { continue }
            try RunFolderContents.checkReplaceable(runFolder)
            do {
                try FileManager.default.removeItem(at: runFolder)
            } catch {
                throw UserError(message: "cannot replace \(runFolder.path): \(FileAccess.words(for: error))")
            }
        }
        let runner = SweepRunner(configurations: configurations, folder: folder, jobs: jobs,
                                 recording: .init(recordEvery: recordEvery, histogramsEvery: recordEvery == 1 ? 50 : 250), checkEvery: 1000)
        let progress = ProgressReporter(total: configurations.count, label: "demo")
        do {
            _ = try runner.run { outcome, done, _ in
                let m = outcome.manifest
                progress.message("\(outcome.configuration.name): \(m?.effectiveStatus.rawValue ?? "failed") after "
                                 + "\(m?.stepsCompleted ?? 0) steps" + (outcome.error.map { ": \($0)" } ?? ""))
                progress.update(done, detail: "")
            }
        } catch let error as RunFolderError {
            throw UserError(message: error.description)
        }
        progress.finish()

        var assessments: [String: RunAssessment] = [:]
        for run in configurations {
            assessments[run.name] = try SweepSummary.assess(folder: runner.runFolder(run), name: run.name,
                                                           settings: run.assignments.map(\.description).joined(separator: ", "),
                                                           targetLoss: 0.5)
        }
        func summary(_ scenario: DemoScenarios.Scenario) -> SweepSummary {
            SweepSummary(scenario.runs.compactMap { assessments[$0.name] })
        }
        var expectations: [(String, Bool)] = []
        func has(_ name: String, _ kinds: Set<FindingKind>) -> Bool { !(assessments[name]?.findingKinds ?? []).filter(kinds.contains).isEmpty }
        expectations.append(("(a) sigmoid/classic is flagged vanishing", has("a-sigmoid-classic", [.vanishing])))
        expectations.append(("(a) ReLU/He is not flagged vanishing", !has("a-relu-he", [.vanishing])))
        expectations.append(("(b) without clipping: exploding or non-finite", has("b-lr2-no-clipping", [.exploding, .nonfinite])))
        expectations.append(("(b) with clipping: neither", !has("b-lr2-clip-norm-1", [.exploding, .nonfinite])))
        expectations.append(("(c) Adam's plateau ended: not stagnation", !has("c-adam", [.stagnation])))
        expectations.append(("(c) Adam raises no warning", assessments["c-adam"]?.warnings.isEmpty == true))
        let plainReason = assessments["e-plain"]?.reason ?? ""
        expectations.append(("(e) the plain convnet is flagged vanishing or stagnation, with its depth ratio",
                             has("e-plain", [.vanishing, .stagnation]) && plainReason.contains("depth ratio")))
        for name in ["e-batchnorm", "e-residual"] {
            expectations.append(("(e) \(name) reaches 95% validation accuracy", (assessments[name]?.accuracy ?? 0) >= 0.95))
        }
        expectations.append(("(f) radius 1.5 without clipping: exploding or non-finite",
                             has("f-rnn-radius-1.5", [.exploding, .explodingThroughTime, .nonfinite])))
        expectations.append(("(f) radius 1.5 with clipping: finite, not exploding",
                             !has("f-rnn-radius-1.5-clip-1", [.exploding, .nonfinite])))
        func warns(_ name: String, _ kind: FindingKind) -> Bool { assessments[name]?.warnings.contains { $0.kind == kind } ?? false }
        expectations.append(("(f) the tanh RNN vanishes through time", warns("f-rnn", .vanishingThroughTime)))
        expectations.append(("(f) the LSTM does not vanish through time (no warning)", !warns("f-lstm", .vanishingThroughTime)))
        let constantMSE = 1.0 / 6
        expectations.append(("(f) only the LSTM beats the constant prediction's MSE 1/6 by a wide margin (below 1/3 of it)",
                             (assessments["f-lstm"]?.validationLoss ?? 1) < constantMSE / 3
                                && (assessments["f-rnn"]?.validationLoss ?? 0) > constantMSE / 3))

        let check = try GradientCheckJob(
            experiment: Experiment(DemoScenarios.checked(seed: seed)), batch: 8,
            checker: GradientChecker(mode: .full, seed: seed), sweep: true).run()
        let checkFolder = folder.appendingPathComponent("gradcheck")
        do { try check.write(to: checkFolder) } catch let error as RunFolderError {
            throw UserError(message: error.description)
        }
        expectations.append(("(d) the gradient check finds nothing wrong", !check.hasWrong))
        // Only the scenarios that ran have outcomes to expect; (d) always runs.
        expectations = expectations.filter { text, _ in
            let id = String(text.dropFirst().prefix(1))
            return id == "d" || (chosen?.contains(id) ?? true)
        }

        for scenario in scenarios {
            print("\n(\(scenario.id)) \(scenario.title)")
            print(scenario.explanation)
            print(summary(scenario).table)
        }
        print("\n(d) Gradient check of (c)'s model")
        print(check.table)
        do {
            try SweepSummary(configurations.compactMap { assessments[$0.name] })
                .write(to: folder.appendingPathComponent("summary.csv"))
        } catch let error as RunFolderError {
            throw UserError(message: error.description)
        }
        print("\nExpected outcomes:")
        for (text, holds) in expectations { print("  \(holds ? "✓" : "✗ NOT") \(text)") }
        let index: URL
        do {
            var sections: [IndexReport.Section] = []
            for scenario in scenarios {
                let data = try scenario.runs.map { try RunReader().read(runner.runFolder($0)) }
                let reportFolder = folder.appendingPathComponent("report").appendingPathComponent(scenario.id)
                try ComparisonReport(runs: data).write(to: reportFolder)
                var links = [(text: "comparison of (\(scenario.id))", path: "report/\(scenario.id)/index.html")]
                for run in scenario.runs where runReports {
                    let runReport = folder.appendingPathComponent("report").appendingPathComponent(run.name)
                    try RunReport(run: try RunReader().read(runner.runFolder(run))).write(to: runReport)
                    links.append((text: run.name, path: "report/\(run.name)/index.html"))
                }
                sections.append(.init(
                    title: "(\(scenario.id)) \(scenario.title)", paragraphs: [scenario.explanation],
                    items: summary(scenario).reasons, links: links))
            }
            sections.append(.init(title: "Expected outcomes",
                                  items: expectations.map { "\($0.1 ? "✓" : "✗ not") \($0.0)" }))
            index = try IndexReport(
                title: "GradLab demo: the canonical pictures of gradient health",
                introduction: ["Scenarios (a) to (d) train on the same spirals data (1000 examples, three arms), (e) on the "
                               + "digits images (1,797 8×8 images, UCI, CC BY 4.0) and (f) on the adding problem, all with seed "
                               + "\(seed); each links to its full report and to a comparison of its scenario. Regenerate "
                               + "with `make demo` (or `make reports` for the copy in reports/)."],
                sections: sections,
                gradientCheck: (title: "(d) The gradient check of (c)'s model",
                                text: "Every entry of every parameter tensor, in Double, on a batch of 8: analytic gradients "
                                    + "against central differences, with the step-size sweep of the worst entries.",
                                folder: checkFolder)).write(to: folder)
        } catch let error as RunFolderError {
            throw UserError(message: error.description)
        } catch let error as GnuplotError {
            throw UserError(message: error.description)
        }
        let elapsed = clock.now - start
        print(String(format: "\nDemo finished in %.1f s. Report: %@", 
                     Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18, index.path))
    }
}
