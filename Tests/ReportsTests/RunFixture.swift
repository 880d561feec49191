import Foundation
import RunFormat

/// A small hand-written run folder: three Linear layers with tanh between them, eight recorded steps,
/// a finding, histograms at two steps, gradient checks during training and a step-size sweep. Every
/// value is a closed formula of the step and layer, so reports built from it are deterministic.
struct RunFixture {
    var name = "fixture"
    var status: RunManifest.Status = .completed
    var pid: Int32? = nil
    var layerName = "2"
    var findingMessage = "gradients vanish towards the input"
    var findingKind: FindingKind = .vanishing
    /// The layers with rows in activations.csv, in file order.
    var activationLayers = ["1"]
    var steps = 8
    var clipNorm: String? = "5.0"
    /// Whether the run has timesteps.csv: a recurrent layer `recurrentLayer` of two stacked layers over
    /// `timeSteps` time steps, every step recorded (`timeGradientNorm`), with LSTM gates.
    var recurrent = false
    var recurrentLayer = "0"
    var timeSteps = 6
    /// Scales every ‖∂L/∂h_t‖, so that runs of a comparison differ.
    var timeScale = 1.0

    var manifest: RunManifest {
        let layers = [RunManifest.Layer(name: "0", kind: "Linear", inputFeatures: 2, outputFeatures: 4),
                      .init(name: "1", kind: "Tanh", inputFeatures: 4, outputFeatures: 4),
                      .init(name: layerName, kind: "Linear", inputFeatures: 4, outputFeatures: 3)]
        let parameters = [RunManifest.ParameterInfo(name: "0.weight", layer: "0", shape: [4, 2]),
                          .init(name: "0.bias", layer: "0", shape: [4]),
                          .init(name: "\(layerName).weight", layer: layerName, shape: [3, 4]),
                          .init(name: "\(layerName).bias", layer: layerName, shape: [3])]
        var optimizer = ["name": "sgd", "lr": "0.1"]
        if let clipNorm { optimizer["clip_norm"] = clipNorm }
        var m = RunManifest(name: name, created: "2026-01-02T03:04:05Z", status: status, seed: 7,
                            config: ["mlp": "2,4,3", "activation": "tanh"],
                            model: .init(description: "2,4,3 tanh", layers: layers, parameters: parameters),
                            dataset: .init(name: "spirals", trainingExamples: 80, validationExamples: 20, features: 2,
                                           outputs: 3),
                            optimizer: optimizer, stepsCompleted: status == .running ? 0 : steps,
                            findings: [finding], pid: pid)
        if status == .completed {
            m.finalLoss = loss(steps)
            m.finalValidationLoss = loss(steps) * 1.1
            m.finalTrainAccuracy = 0.75
            m.finalValidationAccuracy = 0.7
            m.depthRatio = 0.001
            if recurrent {
                m.timeRatios = (0..<2).map {
                    .init(layer: recurrentLayer, stack: $0,
                          ratio: timeGradientNorm(step: steps, stack: $0, t: 1) / timeGradientNorm(step: steps, stack: $0, t: timeSteps))
                }
                m.timeRatio = m.timeRatios?.map(\.ratio).min()
            }
        }
        return m
    }

    var finding: FindingRow {
        FindingRow(step: 3, layer: layerName, kind: findingKind, severity: .warning, value: 1e-4, threshold: 1e-3,
                   message: findingMessage)
    }

    func loss(_ step: Int) -> Double { 1.0 / Double(step) + 0.25 }

    /// ‖∂L/∂h_t‖ = scale · 10^(−(T − t)·step/4 − stack): a gradient vanishing faster through time as training goes on.
    func timeGradientNorm(step: Int, stack: Int, t: Int) -> Double {
        timeScale * pow(10, -Double(timeSteps - t) * Double(step) / 4 - Double(stack))
    }

    /// The saturated fraction of `gate` at `step`: step/16 for the forget gate, half of it for the others.
    func gateSaturation(_ gate: String, step: Int) -> Double { Double(step) / 16 * (gate == "f" ? 1 : 0.5) }

    /// The rows of timesteps.csv at `step`.
    func timeStepRows(step: Int) -> [TimeStepRow] {
        (0..<2).flatMap { stack in
            (1...timeSteps).map { t in
                TimeStepRow(step: step, layer: recurrentLayer, stack: stack, t: t,
                            gradientNorm: timeGradientNorm(step: step, stack: stack, t: t), hiddenNorm: Double(t) / 2,
                            gates: ["i", "f", "g", "o"].map { .init(name: $0, mean: 0.5, saturated: gateSaturation($0, step: step)) })
            }
        }
    }

    /// Writes the run folder at `folder` (which must not exist yet).
    func write(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try manifest.write(to: folder)
        let stepFile = try CSVTableWriter<StepRow>(url: folder.appendingPathComponent("steps.csv"))
        let gradients = try CSVTableWriter<GradientRow>(url: folder.appendingPathComponent("gradients.csv"))
        let activations = try CSVTableWriter<ActivationRow>(url: folder.appendingPathComponent("activations.csv"))
        let histograms = try CSVTableWriter<HistogramRow>(url: folder.appendingPathComponent("histograms.csv"))
        let findings = try CSVTableWriter<FindingRow>(url: folder.appendingPathComponent("findings.csv"))
        let checks = try CSVTableWriter<GradcheckRow>(url: folder.appendingPathComponent("gradcheck.csv"))
        findings.append(finding)
        for step in 1...steps {
            let s = Double(step)
            stepFile.append(StepRow(step: step, epoch: step / 4, loss: loss(step), learningRate: 0.1,
                                    gradientNorm: 8 / s, clipped: 8 / s > 5, seconds: s / 100,
                                    validationLoss: step % 4 == 0 ? loss(step) * 1.1 : nil,
                                    trainAccuracy: step % 4 == 0 ? 0.5 + s / 32 : nil,
                                    validationAccuracy: step % 4 == 0 ? 0.5 + s / 40 : nil))
            for (k, parameter) in manifest.model.parameters.enumerated() {
                let norm = pow(10, Double(k) - 4) / s
                gradients.append(GradientRow(step: step, parameter: parameter.name, layer: parameter.layer, norm: norm,
                                             mean: norm / 100, standardDeviation: norm / 10, maxAbs: norm / 2,
                                             zeroFraction: 0, nonfinite: 0, weightNorm: 2, updateNorm: norm / 10,
                                             updateRatio: norm / 20))
            }
            for layer in activationLayers {
                activations.append(ActivationRow(step: step, layer: layer, mean: 0, standardDeviation: 0.5, min: -1,
                                                 max: 1, saturatedFraction: s / 16, deadFraction: 0, nonfinite: 0))
            }
            if step == 1 || step == steps {
                for bin in 0..<4 {
                    let lo = -1 + 0.5 * Double(bin)
                    histograms.append(HistogramRow(step: step, layer: "1", tensor: "activation", bin: bin, lo: lo,
                                                   hi: lo + 0.5, count: (bin + 1) * step))
                    histograms.append(HistogramRow(step: step, layer: "0.weight", tensor: "gradient", bin: bin,
                                                   lo: pow(10, Double(bin) - 6), hi: pow(10, Double(bin) - 5),
                                                   count: 4 - bin + step))
                }
            }
            if step % 4 == 0 {
                for (k, parameter) in manifest.model.parameters.enumerated() {
                    let error = pow(10, -Double(9 - k - step / 4))
                    checks.append(GradcheckRow(step: step, parameter: parameter.name, index: "0;\(k)", analytic: 1,
                                               numeric: 1 + error, absoluteError: error, relativeError: error,
                                               verdict: error < 1e-4 ? .ok : .imprecise))
                }
            }
        }
        for writer in [stepFile, gradients, activations, histograms, findings, checks] as [Flushing] { try writer.flush() }
        if recurrent {
            let writer = try CSVTableWriter<TimeStepRow>(url: folder.appendingPathComponent("timesteps.csv"))
            for step in 1...steps { for row in timeStepRows(step: step) { writer.append(row) } }
            try writer.flush()
        }
        var sweep = "parameter,index,h,numeric,abs_error,rel_error\n"
        for e in -10 ... -2 {
            let h = pow(10, Double(e)), error = 1e-16 / h + h * h
            sweep += "0.weight,0;0,\(h),\(1 + error),\(error),\(error)\n"
        }
        try Data(sweep.utf8).write(to: folder.appendingPathComponent("gradcheck-sweep.csv"))
    }
}

/// The writers' common operation, so that they flush in one loop.
protocol Flushing { func flush() throws }
extension CSVTableWriter: Flushing {}
