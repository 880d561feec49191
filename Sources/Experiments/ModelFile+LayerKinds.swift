import Backprop

// MARK: - The layer kinds

/// What a layer kind takes: its keyword arguments, with their types and whether they can be left out.
struct LayerKind {
    enum ArgumentType { case integer, pair, number, bool, text([String]), shape, initializer }

    struct Argument {
        var name: String
        var type: ArgumentType
        /// Inferred from the input shape when left out (the input size of the layer).
        var inferred = false
        var required = false
    }

    var arguments: [Argument]
    /// `Sequential` and `Residual` hold a list of layers instead of arguments.
    var isContainer = false

    /// The arguments of RNN, LSTM and GRU, torch's with `batch_first=True` (the only layout); and
    /// GradLab's `recurrent_init`, the initialiser of every `weight_hh_l*` (`orthogonal:1.5` gives a spectral
    /// radius of 1.5), which torch code writes as `nn.init.orthogonal_(rnn.weight_hh_l0, gain=1.5)`; for LSTM
    /// also `forget_bias`, the forget gate's total bias (torch: `bias_ih_l0[H:2H] = b`, `bias_hh_l0[H:2H] = 0`),
    /// which lets the cell keep its memory from the start (Gers, Schmidhuber & Cummins 2000; Jozefowicz,
    /// Zaremba & Sutskever 2015 recommend 1).
    static let recurrent: [Argument] = [
        .init(name: "input_size", type: .integer, inferred: true), .init(name: "hidden_size", type: .integer, required: true),
        .init(name: "num_layers", type: .integer), .init(name: "bias", type: .bool),
        .init(name: "batch_first", type: .bool), .init(name: "recurrent_init", type: .initializer),
    ]

    static let table: [String: LayerKind] = {
        var table: [String: LayerKind] = [
            "Linear": LayerKind(arguments: [.init(name: "in_features", type: .integer, inferred: true),
                                            .init(name: "out_features", type: .integer, required: true),
                                            .init(name: "bias", type: .bool)]),
            "Dropout": LayerKind(arguments: [.init(name: "p", type: .number)]),
            "LayerNorm": LayerKind(arguments: [.init(name: "normalized_shape", type: .integer, inferred: true),
                                               .init(name: "eps", type: .number)]),
            "BatchNorm1d": LayerKind(arguments: [.init(name: "num_features", type: .integer, inferred: true),
                                                 .init(name: "eps", type: .number), .init(name: "momentum", type: .number)]),
            "Conv2d": LayerKind(arguments: [.init(name: "in_channels", type: .integer, inferred: true),
                                            .init(name: "out_channels", type: .integer, required: true),
                                            .init(name: "kernel_size", type: .pair, required: true),
                                            .init(name: "stride", type: .pair), .init(name: "padding", type: .pair),
                                            .init(name: "dilation", type: .pair), .init(name: "bias", type: .bool)]),
            "MaxPool2d": LayerKind(arguments: [.init(name: "kernel_size", type: .pair, required: true),
                                               .init(name: "stride", type: .pair), .init(name: "padding", type: .pair),
                                               .init(name: "dilation", type: .pair)]),
            "AvgPool2d": LayerKind(arguments: [.init(name: "kernel_size", type: .pair, required: true),
                                               .init(name: "stride", type: .pair), .init(name: "padding", type: .pair),
                                               .init(name: "count_include_pad", type: .bool)]),
            "AdaptiveAvgPool2d": LayerKind(arguments: [.init(name: "output_size", type: .pair)]),
            "Flatten": LayerKind(arguments: []),
            "BatchNorm2d": LayerKind(arguments: [.init(name: "num_features", type: .integer, inferred: true),
                                                 .init(name: "eps", type: .number), .init(name: "momentum", type: .number),
                                                 .init(name: "affine", type: .bool)]),
            "Dropout2d": LayerKind(arguments: [.init(name: "p", type: .number)]),
            "RNN": LayerKind(arguments: recurrent + [.init(name: "nonlinearity", type: .text(["tanh", "relu"]))]),
            "LSTM": LayerKind(arguments: recurrent + [.init(name: "forget_bias", type: .number)]),
            "GRU": LayerKind(arguments: recurrent),
            "Embedding": LayerKind(arguments: [.init(name: "num_embeddings", type: .integer, required: true),
                                               .init(name: "embedding_dim", type: .integer, required: true)]),
            "LastTimeStep": LayerKind(arguments: []),
            "Sequential": LayerKind(arguments: [], isContainer: true),
            "Residual": LayerKind(arguments: [], isContainer: true),
            "LeakyReLU": LayerKind(arguments: [.init(name: "negative_slope", type: .number)]),
            "ELU": LayerKind(arguments: [.init(name: "alpha", type: .number)]),
            "GELU": LayerKind(arguments: [.init(name: "approximate", type: .text(["none", "tanh"]))]),
            "Softplus": LayerKind(arguments: [.init(name: "beta", type: .number), .init(name: "threshold", type: .number)]),
            "Hardtanh": LayerKind(arguments: [.init(name: "min_val", type: .number), .init(name: "max_val", type: .number)]),
        ]
        for plain in ["ReLU", "Tanh", "Sigmoid", "SELU", "SiLU", "Softsign", "Identity"] {
            table[plain] = LayerKind(arguments: [])
        }
        return table
    }()
}

extension LayerKind {
    /// The activation function an entry names, with its arguments, or nil for a layer that is not one.
    static func activation(_ entry: ModelFile.Entry) -> Activation? {
        func number(_ key: String, _ value: Double) -> Double {
            switch entry.arguments[key] {
            case .number(let v)?: v
            case .integer(let v)?: Double(v)
            default: value
            }
        }
        switch entry.kind {
        case "ReLU": return .relu
        case "Tanh": return .tanh
        case "Sigmoid": return .sigmoid
        case "SELU": return .selu
        case "SiLU": return .silu
        case "Softsign": return .softsign
        case "Identity": return .identity
        case "LeakyReLU": return .leakyReLU(slope: number("negative_slope", 0.01))
        case "ELU": return .elu(alpha: number("alpha", 1))
        case "GELU": return entry.arguments["approximate"] == .text("tanh") ? .geluTanh : .gelu
        case "Softplus": return .softplus(beta: number("beta", 1), threshold: number("threshold", 20))
        case "Hardtanh": return .hardtanh(min: number("min_val", -1), max: number("max_val", 1))
        default: return nil
        }
    }
}
