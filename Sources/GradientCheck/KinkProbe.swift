import Backprop

/// A declared kink that a perturbed evaluation crossed: the unit, and how far the step went past it.
public struct KinkCrossing: Sendable, Equatable, CustomStringConvertible {
    /// The full torch name of the layer whose input crossed (`3`, `3.1`).
    public var layer: String
    /// The input element that changed side, in the layer input's coordinates with the batch axis (`0;5`).
    public var element: String
    /// The kink point it crossed (0 for ReLU).
    public var point: Double
    /// The largest step that, to first order, would have stayed on the reference side for every
    /// crossing element, as a fraction of the step that crossed: min over crossing elements of
    /// |x₀ − k| / |x − x₀|. Below 1 by construction.
    public var safeFraction: Double

    public init(layer: String, element: String, point: Double, safeFraction: Double) {
        self.layer = layer
        self.element = element
        self.point = point
        self.safeFraction = safeFraction
    }

    /// `3[0;5]`: the layer and element.
    public var description: String { "\(layer)[\(element)]" }
}

/// Detects, for every evaluation of a model, whether the input of a layer that declares `kinks` changed
/// side of one of its kink points compared with the reference (unperturbed) pass.
///
/// ```
/// side(x, k) = sign(x − k) ∈ {−1, 0, +1}   for every input element x of a layer with kinks, every kink k
/// crossed    ⇔ side(x, k) ≠ side(x₀, k)     for some element, x₀ its value in the reference pass
/// ```
/// A layer's kinks are what it declares (`Kink.inputEquals`), read through the layer contract; the probe
/// hears each layer's input through `LayerTracer.layer(_:willForward:)`. A layer that declares
/// `Kink.choice` (max-pooling) is compared by its `choices` after its forward pass
/// (`layer(_:didProduce:)`): any choice that differs from the reference pass's is a crossing. A finite
/// difference whose evaluations crossed no kink sees a function that is smooth between them, so its
/// disagreement with the backward pass cannot be blamed on a kink.
final class KinkProbe: LayerTracer {
    typealias Scalar = Double

    /// A layer with kinks: its full name, its kink points, and the reference pass's input.
    private struct Watched {
        var name: String
        var points: [Double]
        var reference: [Double] = []
    }

    /// The layers with kinks, by identity, as positions in `watchedLayers`: one lookup per layer and pass.
    private let slots: [ObjectIdentifier: Int]
    private var watchedLayers: [Watched]
    /// The layers that declare `Kink.choice`, by identity: full name and what reports their choices.
    private let choosing: [ObjectIdentifier: (name: String, choices: any ChoiceReporting)]
    /// The reference pass's choices, by layer.
    private var referenceChoices: [ObjectIdentifier: [Int32]] = [:]
    private var recording = true
    /// The first crossing of the evaluation under way (or the last one finished).
    private(set) var crossing: KinkCrossing?

    /// Whether the model declares any kink at all (no probe is needed when it does not).
    var isEmpty: Bool { watchedLayers.isEmpty && choosing.isEmpty }

    init(model: any Layer<Double>) {
        var slots: [ObjectIdentifier: Int] = [:]
        var watchedLayers: [Watched] = []
        var choosing: [ObjectIdentifier: (name: String, choices: any ChoiceReporting)] = [:]
        for named in model.namedLayers where !named.layer.kinks.isEmpty {
            let points = named.layer.kinks.compactMap { kink -> Double? in
                if case .inputEquals(let x) = kink { return x }
                return nil
            }
            if !points.isEmpty {
                slots[ObjectIdentifier(named.layer)] = watchedLayers.count
                watchedLayers.append(Watched(name: named.name, points: points))
            }
            if named.layer.kinks.contains(.choice) {
                precondition(named.layer.choices != nil,
                             "layer \(named.name) (\(named.layer.kind)) declares Kink.choice but reports no choices")
                if let choices = named.layer.choices { choosing[ObjectIdentifier(named.layer)] = (named.name, choices) }
            }
        }
        self.slots = slots
        self.watchedLayers = watchedLayers
        self.choosing = choosing
    }

    /// Runs `pass` as the reference: the sides every later pass is compared with.
    func recordReference(_ pass: () -> Void) {
        for i in watchedLayers.indices { watchedLayers[i].reference = [] }
        referenceChoices = [:]
        recording = true
        pass()
        recording = false
        crossing = nil
    }

    /// Starts an evaluation: forgets the last crossing.
    func begin() { crossing = nil }

    func layer(_ layer: any Layer<Double>, willForward input: Tensor<Double>) {
        guard let slot = slots[ObjectIdentifier(layer)] else { return }
        if recording {
            watchedLayers[slot].reference = input.scalars
            return
        }
        // Once one crossing is known, the evaluation's answer is settled: later layers are not scanned.
        guard crossing == nil else { return }
        let watched = watchedLayers[slot]
        guard watched.reference.count == input.count else { return }
        var first: Int?
        var firstPoint = 0.0
        var fraction = 1.0
        watched.reference.withUnsafeBufferPointer { x0 in
            input.withUnsafeBufferPointer { x in
                for k in watched.points {
                    for i in 0..<x.count where side(x[i], k) != side(x0[i], k) {
                        if first == nil || i < first! { first = i; firstPoint = k }
                        let moved = abs(x[i] - x0[i])
                        if moved > 0 { fraction = min(fraction, abs(x0[i] - k) / moved) }
                    }
                }
            }
        }
        if let first {
            crossing = KinkCrossing(layer: watched.name, element: coordinates(first, shape: input.shape), point: firstPoint,
                                    safeFraction: fraction)
        }
    }

    /// For a layer that declares `Kink.choice`: its choices after the forward pass, compared with the
    /// reference pass's. A changed choice is a crossing at that output element (`point` 0); the distance
    /// to the tie is unknown, so the step is halved (`safeFraction` 0.5).
    func layer(_ layer: any Layer<Double>, didProduce output: Tensor<Double>) {
        let id = ObjectIdentifier(layer)
        guard let (name, choices) = choosing[id] else { return }
        let made = choices.lastChoices
        if recording {
            referenceChoices[id] = made
            return
        }
        guard crossing == nil, let chosen = referenceChoices[id], chosen.count == made.count else { return }
        guard let changed = made.indices.first(where: { made[$0] != chosen[$0] }) else { return }
        // The choices follow the output's order, so the output's shape names the element.
        let shape = made.count == output.count ? output.shape : [made.count]
        crossing = KinkCrossing(layer: name, element: coordinates(changed, shape: shape), point: 0, safeFraction: 0.5)
    }
    func layer(_ layer: any Layer<Double>, willBackward outputGradient: Tensor<Double>) {}
}

@inline(__always)
private func side(_ x: Double, _ k: Double) -> Int { x > k ? 1 : x < k ? -1 : 0 }
