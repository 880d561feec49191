/// What one optimizer step did to one parameter tensor: ‖Δθ‖ and ‖θ‖ after the step, measured by the
/// loop that applied the update.
///
/// Δθ is `θ_after − θ_before` as the tensor's own type computes it, so an update that rounds away
/// (θ unchanged) counts as 0, as it would in a copy-and-subtract of the weights. Both norms are sums of
/// squares in Double over eight lanes, so they cost the optimizer loop two fused multiply-adds per element
/// and no copy of the weights.
public struct AppliedUpdate: Sendable, Equatable {
    /// ‖θ_after − θ_before‖₂.
    public var updateNorm: Double
    /// ‖θ_after‖₂.
    public var weightNorm: Double

    public init(updateNorm: Double = 0, weightNorm: Double = 0) {
        self.updateNorm = updateNorm
        self.weightNorm = weightNorm
    }
}

/// Writes `θ[i] ← newValue(i)` for every `i < count`; when `measured` is given, also the norms of the
/// change and of the result into it.
///
/// `newValue` reads θ[i] (and the optimizer's state, which it may update) before θ[i] is overwritten:
/// it is called once per element, in order. The measured loop works eight elements at a time so that the
/// two sums of squares run in eight independent lanes.
@inline(__always)
func applyUpdate<Scalar: TensorScalar>(
    _ theta: UnsafeMutablePointer<Scalar>, count: Int, measuring measured: UnsafeMutablePointer<AppliedUpdate>?,
    _ newValue: (Int) -> Scalar
) {
    guard let measured else {
        for i in 0..<count { theta[i] = newValue(i) }
        return
    }
    var changes = SIMD8<Double>(repeating: 0), values = SIMD8<Double>(repeating: 0)
    var i = 0
    while i + 8 <= count {
        var change = SIMD8<Double>(repeating: 0), value = SIMD8<Double>(repeating: 0)
        for lane in 0..<8 {
            let before = theta[i + lane]
            let after = newValue(i + lane)
            theta[i + lane] = after
            change[lane] = Double(after - before)
            value[lane] = Double(after)
        }
        changes += change * change
        values += value * value
        i += 8
    }
    var changeTail = 0.0, valueTail = 0.0
    while i < count {
        let before = theta[i]
        let after = newValue(i)
        theta[i] = after
        let change = Double(after - before), value = Double(after)
        changeTail += change * change
        valueTail += value * value
        i += 1
    }
    measured.pointee = AppliedUpdate(updateNorm: (changes.sum() + changeTail).squareRoot(),
                                     weightNorm: (values.sum() + valueTail).squareRoot())
}

/// Runs `body` with a pointer to `updates`' first element, after resizing `updates` to `count` entries.
@inline(__always)
func measuring(_ updates: inout [AppliedUpdate], count: Int, _ body: (UnsafeMutablePointer<AppliedUpdate>) -> Void) {
    if updates.count != count { updates = Array(repeating: AppliedUpdate(), count: count) }
    updates.withUnsafeMutableBufferPointer { buffer in
        if let first = buffer.baseAddress { return body(first) }
        var none = AppliedUpdate()  // no parameters: the step still counts, nothing is measured
        withUnsafeMutablePointer(to: &none) { body($0) }
    }
}
