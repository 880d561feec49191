import Backprop
import RunFormat

/// An MLP described the way the command line and config files say it: `--mlp 64,128x8,10
/// --activation tanh --init xavier-uniform [--norm layer|batch] [--residual] [--dropout P]`.
///
/// ```
/// sizes "IN,H1,H2,...,OUT", where "128x8" stands for eight hidden layers of 128
/// hidden layer i:  Linear(in, out) → [LayerNorm | BatchNorm1d](out) → activation → [Dropout(p)]
/// residual:        a hidden layer whose in = out becomes Residual(Sequential(that block)): x + block(x)
/// output:          Linear(last hidden, OUT), no activation (the loss takes logits)
/// ```
/// Parameter names are those of the equivalent torch `nn.Sequential`: `0.weight`, and `2.0.weight` for the
/// first Linear inside a residual block at position 2.
public struct ModelSpec: Sendable, Equatable {
    public enum Norm: String, Sendable, CaseIterable { case none, layer, batch }

    public var sizes: [Int]
    public var activation: Activation
    /// The initialiser's command-line name; He and orthogonal take the activation's gain.
    public var initializer: String
    public var norm: Norm
    public var residual: Bool
    public var dropout: Double

    /// - Parameters: defaults are ReLU with He-normal initialisation, the pairing of He et al. (2015), no
    ///   normalisation, no residual connections, no dropout.
    public init(sizes: [Int], activation: Activation = .relu, initializer: String = "he-normal",
                norm: Norm = .none, residual: Bool = false, dropout: Double = 0) {
        self.sizes = sizes
        self.activation = activation
        self.initializer = initializer
        self.norm = norm
        self.residual = residual
        self.dropout = dropout
    }

    /// The most layer sizes `parseSizes` accepts: far past any trainable depth, far below what would
    /// exhaust memory in the description alone.
    public static let maximumLayers = 100_000

    /// Parses `IN,H1,...,OUT` with `WIDTHxCOUNT` repeats: `64,128x8,10` is 64, eight 128s, 10.
    /// The error text says which item is wrong and why.
    public static func parseSizes(_ text: String) -> Result<[Int], ConfigProblem> {
        var sizes: [Int] = []
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        for (position, raw) in items.enumerated() {
            let item = raw.trimmingCharacters(in: .whitespaces)
            let parts = item.lowercased().split(separator: "x", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let width = Int(parts[0]), width > 0 else {
                return .failure(ConfigProblem("item \(position + 1) '\(item)' is not a positive layer size "
                                              + "or WIDTHxCOUNT (for example 64,128x8,10)"))
            }
            var count = 1
            if parts.count == 2 {
                guard let repeats = Int(parts[1]), repeats > 0 else {
                    return .failure(ConfigProblem("item \(position + 1) '\(item)': the repeat count after 'x' "
                                                  + "must be a positive whole number"))
                }
                guard position > 0 && position < items.count - 1 else {
                    return .failure(ConfigProblem("item \(position + 1) '\(item)': only hidden layers repeat; "
                                                  + "the first size is the input, the last the output"))
                }
                count = repeats
            }
            guard count <= maximumLayers - sizes.count else {
                let bytes = MemoryBudget.product([count, width, width + 1, 4, 4]) ?? .max
                return .failure(ConfigProblem("item \(position + 1) '\(CSVTable.clipped(item, limit: 40))' asks for "
                                              + "\(count) layers, which would need about \(MemoryBudget.describe(bytes)) "
                                              + "for the weights alone; at most \(maximumLayers) layers are accepted"))
            }
            sizes += Array(repeating: width, count: count)
        }
        guard sizes.count >= 2 else {
            return .failure(ConfigProblem("'\(text)' needs at least an input and an output size (for example 2,64,3)"))
        }
        return .success(sizes)
    }

    /// The compact form back: `64,128x8,10`.
    public var sizesDescription: String {
        var parts: [String] = []
        var i = 0
        while i < sizes.count {
            var j = i
            while j + 1 < sizes.count - 1 && i > 0 && sizes[j + 1] == sizes[i] { j += 1 }
            parts.append(j > i ? "\(sizes[i])x\(j - i + 1)" : "\(sizes[i])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// Builds the network with weights drawn from `generator`, layer by layer from the input.
    public func build<Scalar: TensorScalar>(generator: inout RandomGenerator, as: Scalar.Type = Scalar.self)
        -> Sequential<Scalar>
    {
        let initializer = Initializer(name: self.initializer, activation: activation) ?? .classic
        var layers: [any Layer<Scalar>] = []
        for i in 0..<(sizes.count - 2) {
            let (input, output) = (sizes[i], sizes[i + 1])
            var block: [any Layer<Scalar>] = [
                Dense<Scalar>(inputFeatures: input, outputFeatures: output, initializer: initializer,
                              generator: &generator)
            ]
            switch norm {
            case .none: break
            case .layer: block.append(LayerNorm<Scalar>(features: output))
            case .batch: block.append(BatchNorm1d<Scalar>(features: output))
            }
            block.append(ActivationLayer<Scalar>(activation))
            if dropout > 0 { block.append(Dropout<Scalar>(probability: dropout, seed: generator.next())) }
            if residual && input == output {
                layers.append(Residual<Scalar>(Sequential(block)))
            } else {
                layers += block
            }
        }
        layers.append(Dense<Scalar>(inputFeatures: sizes[sizes.count - 2], outputFeatures: sizes[sizes.count - 1],
                                    initializer: initializer, generator: &generator))
        return Sequential(layers, inputShape: [sizes[0]])
    }
}

/// What is wrong with a value, before it is placed (file, line, field) by the caller.
public struct ConfigProblem: Error, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

import Foundation
