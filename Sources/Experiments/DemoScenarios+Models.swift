import Backprop

/// Scenarios (e) and (f) of the demo, whose models come from model files: deep convnets on the digits
/// images, and recurrent networks on the adding problem.
///
/// (e) Depth in convnets: a plain stack of 16 3×3 convolutions with ReLU and torch's default initialisation
///     (each layer scales the signal's variance by about 1/6, so gradients vanish with depth; He et al. 2015
///     and 2016), the same stack with BatchNorm2d after every convolution (Ioffe & Szegedy 2015), and a
///     residual version, x + F(x) around pairs of convolutions (He et al. 2016).
/// (f) Gradients through time on the adding problem (T = 50): a tanh RNN whose recurrent weights start
///     orthogonal with spectral radius 1.5 explodes without clipping and is tamed by clipping (Pascanu,
///     Mikolov & Bengio 2013); a tanh RNN with torch's initialisation loses the gradient through time, and
///     an LSTM, whose forget gates start open, carries it and learns the sum (Hochreiter & Schmidhuber 1997).
extension DemoScenarios {
    /// The first line of every model file the demo writes: the demo replaces only files that start with it.
    public static let modelFileHeader = "# GradLab demo model (gradlab demo writes this file; train it with gradlab train --model)\n"

    /// The channels of (e)'s convolutions, and how many there are.
    static let convChannels = 8
    static let convDepth = 16

    /// (e)'s and (f)'s model files, by file name: the demo writes them into its `models/` folder, where they
    /// show users what a model file looks like.
    public static var modelFiles: [(name: String, text: String)] {
        let c = convChannels
        let conv = "  - Conv2d: {out_channels: \(c), kernel_size: 3, padding: 1}\n"
        let head = "  - Flatten\n  - Linear: {out_features: 10}\n"
        let plain = "input: [1, 8, 8]\nlayers:\n" + String(repeating: conv + "  - ReLU\n", count: convDepth) + head
        let batchNorm = "input: [1, 8, 8]\nlayers:\n"
            + String(repeating: conv + "  - BatchNorm2d\n  - ReLU\n", count: convDepth) + head
        let block = "  - Residual:\n"
            + "      - Conv2d: {out_channels: \(c), kernel_size: 3, padding: 1}\n      - ReLU\n"
            + "      - Conv2d: {out_channels: \(c), kernel_size: 3, padding: 1}\n  - ReLU\n"
        let residual = "input: [1, 8, 8]\nlayers:\n" + conv + "  - ReLU\n"
            + String(repeating: block, count: (convDepth - 2) / 2) + conv + "  - ReLU\n" + head
        let rnnHead = "  - LastTimeStep\n  - Linear: {out_features: 1}\n"
        let files: [(name: String, text: String)] = [
            ("e-plain.yaml", plain), ("e-batchnorm.yaml", batchNorm), ("e-residual.yaml", residual),
            ("f-rnn-radius-1.5.yaml", "input: [T, 2]\nlayers:\n  - RNN: {hidden_size: 32, recurrent_init: \"orthogonal:1.5\"}\n" + rnnHead),
            ("f-rnn.yaml", "input: [T, 2]\nlayers:\n  - RNN: {hidden_size: 32}\n" + rnnHead),
            ("f-lstm.yaml", "input: [T, 2]\nlayers:\n  - LSTM: {hidden_size: 32, forget_bias: 3}\n" + rnnHead),
        ]
        return files.map { ($0.name, modelFileHeader + $0.text) }
    }

    /// The scenarios of model files in `models` (a folder holding `modelFiles`); `index` continues the
    /// numbering of the MLP scenarios.
    static func modelFileScenarios(models: String, seed: UInt64, scale: Double, index start: Int) -> [Scenario] {
        var index = start
        func run(_ name: String, model: String, dataset: [(String, String)], _ settings: [(String, String)],
                 steps: Int) -> Sweep.Configuration {
            var config = ExperimentConfig()
            config.batch = 64
            config.seed = seed
            config.model = models + "/" + model
            config.steps = max(20, Int(Double(steps) * scale))
            for (key, value) in dataset + settings {
                do { try config.set(key, value) } catch { preconditionFailure("demo setting \(key)=\(value): \(error)") }
            }
            index += 1
            return Sweep.Configuration(index: index - 1, name: name,
                                       assignments: ([("model", model)] + settings).map { .init(key: $0.0, value: $0.1) },
                                       config: config)
        }
        let digits = [("dataset", "digits")]
        let adding = [("dataset", "adding"), ("seq-len", "50"), ("examples", "2000")]
        let sgd = [("optimizer", "momentum"), ("lr", "0.05")]
        return [
            Scenario(id: "e", title: "Depth in convnets: plain, with BatchNorm2d, residual",
                     explanation: "Sixteen 3×3 convolutions of \(convChannels) channels on the 8×8 digits, SGD with momentum. "
                        + "With torch's default initialisation each plain layer shrinks the signal's variance about "
                        + "sixfold, so the first layers' gradients are many orders of magnitude below the last "
                        + "one's and the network does not learn; BatchNorm2d after every convolution, or identity "
                        + "shortcuts around pairs of them, keep the gradient alive and both reach high accuracy.",
                     runs: [run("e-plain", model: "e-plain.yaml", dataset: digits, sgd, steps: 600),
                            run("e-batchnorm", model: "e-batchnorm.yaml", dataset: digits, sgd, steps: 600),
                            run("e-residual", model: "e-residual.yaml", dataset: digits, sgd, steps: 600)]),
            Scenario(id: "f", title: "Gradients through time: exploding, vanishing, and the LSTM",
                     explanation: "The adding problem with T = 50 (predicting the constant 1 scores MSE 1/6). A tanh RNN "
                        + "whose recurrent weights start with spectral radius 1.5 explodes without clipping and "
                        + "trains with the gradient norm clipped to 1; a tanh RNN with torch's initialisation "
                        + "loses ‖∂L/∂h_t‖ geometrically towards the first steps; an LSTM whose forget gates "
                        + "start open keeps it and learns the sum.",
                     runs: [run("f-rnn-radius-1.5", model: "f-rnn-radius-1.5.yaml", dataset: adding,
                                [("optimizer", "sgd"), ("lr", "0.1")], steps: 300),
                            run("f-rnn-radius-1.5-clip-1", model: "f-rnn-radius-1.5.yaml", dataset: adding,
                                [("optimizer", "sgd"), ("lr", "0.1"), ("clip-norm", "1")], steps: 300),
                            run("f-rnn", model: "f-rnn.yaml", dataset: adding, [("optimizer", "adam"), ("lr", "0.01")],
                                steps: 1000),
                            run("f-lstm", model: "f-lstm.yaml", dataset: adding, [("optimizer", "adam"), ("lr", "0.01")],
                                steps: 1000)]),
        ]
    }
}
