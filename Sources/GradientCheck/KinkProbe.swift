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
/// hears each layer's input through `LayerTracer.layer(_:willForward:)`. A finite difference whose
/// evaluations crossed no kink sees a function that is smooth between them, so its disagreement with
/// the backward pass cannot be blamed on a kink.
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
    private var recording = true
    /// The first crossing of the evaluation under way (or the last one finished).
    private(set) var crossing: KinkCrossing?

    /// Whether the model declares any kink at all (no probe is needed when it does not).
    var isEmpty: Bool { watchedLayers.isEmpty }

    init(model: any Layer<Double>) {
        var slots: [ObjectIdentifier: Int] = [:]
        var watchedLayers: [Watched] = []
        for named in model.namedLayers where !named.layer.kinks.isEmpty {
            slots[ObjectIdentifier(named.layer)] = watchedLayers.count
            watchedLayers.append(Watched(name: named.name, points: named.layer.kinks.map { kink in
                switch kink {
                case .inputEquals(let x): x
                case .choice: nil  // compared through `choices`, not input thresholds (to be probed)
                }
            }.compactMap { $0 }))
        }
        self.slots = slots
        self.watchedLayers = watchedLayers
    }

    /// Runs `pass` as the reference: the sides every later pass is compared with.
    func recordReference(_ pass: () -> Void) {
        for i in watchedLayers.indices { watchedLayers[i].reference = [] }
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

    func layer(_ layer: any Layer<Double>, didProduce output: Tensor<Double>) {}
    func layer(_ layer: any Layer<Double>, willBackward outputGradient: Tensor<Double>) {}
}

@inline(__always)
private func side(_ x: Double, _ k: Double) -> Int { x > k ? 1 : x < k ? -1 : 0 }
