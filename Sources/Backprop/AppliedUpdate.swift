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
/// it is called once per element, in order. The measured path works in blocks of 256 elements: the
/// block's old values are kept in an `InlineArray` on the stack (L1-resident, no heap in any build; a
/// `withUnsafeTemporaryAllocation` went to the heap for more than 1024 bytes, 256 Doubles, and in every
/// debug build), the same plain loop as
/// the unmeasured path updates the block, and a second pass sums the squares of the change and of the
/// new values in eight Double lanes. Both loops vectorise, which a loop that also measured element by
/// element did not.
@inline(__always)
func applyUpdate<Scalar: TensorScalar>(
    _ theta: UnsafeMutablePointer<Scalar>, count: Int, measuring measured: UnsafeMutablePointer<AppliedUpdate>?,
    _ newValue: (Int) -> Scalar
) {
    guard let measured else {
        for i in 0..<count { theta[i] = newValue(i) }
        return
    }
    let block = 256
    var changes = SIMD8<Double>(repeating: 0), values = SIMD8<Double>(repeating: 0)
    var changeTail = 0.0, valueTail = 0.0
    var saved = InlineArray<256, Scalar>(repeating: 0)
    withUnsafeMutableBytes(of: &saved) { bytes in
        let old = bytes.baseAddress!.assumingMemoryBound(to: Scalar.self)
        var start = 0
        while start < count {
            let length = Swift.min(block, count - start)
            let part = theta + start
            old.update(from: part, count: length)
            for j in 0..<length { part[j] = newValue(start &+ j) }  // &+: a trapping add keeps the loop scalar
            var j = 0
            while j + 8 <= length {
                let after = UnsafeRawPointer(part + j).loadUnaligned(as: SIMD8<Scalar>.self)
                let before = UnsafeRawPointer(old + j).loadUnaligned(as: SIMD8<Scalar>.self)
                let change = SIMD8<Double>(after - before), value = SIMD8<Double>(after)
                changes += change * change
                values += value * value
                j += 8
            }
            while j < length {
                let change = Double(part[j] - old[j]), value = Double(part[j])
                changeTail += change * change
                valueTail += value * value
                j += 1
            }
            start += length
        }
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
