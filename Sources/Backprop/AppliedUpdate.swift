/// What one optimizer step did to one parameter tensor: ‖Δθ‖ and ‖θ‖ after the step, measured by the
/// loop that applied the update.
///
/// Δθ is `θ_after − θ_before` as the tensor's own type computes it, so an update that rounds away
/// (θ unchanged) counts as 0, as it would in a copy-and-subtract of the weights. Both norms are sums of
/// squares over sixteen lanes in the tensor's precision, each 512-element block added into Double
/// (relative error about 2e-6 at most in Float), and cost no copy of the weights.
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
/// it is called once per element, in order. The measured path works in blocks of 512 elements: the same
/// plain loop as the unmeasured path writes the block's new values into an `InlineArray` on the stack
/// (L1-resident, no heap in any build; a `withUnsafeTemporaryAllocation` went to the heap for more than
/// 1024 bytes, and in every debug build), then one C pass at the machine's width stores them into θ while
/// it sums the squares of the change and of the new values (`Kernels.applyUpdate`; Swift's own SIMD8 loop
/// compiled to the SSE2 baseline). Nothing of θ is copied.
@inline(__always)
func applyUpdate<Scalar: TensorScalar>(
    _ theta: UnsafeMutablePointer<Scalar>, count: Int, measuring measured: UnsafeMutablePointer<AppliedUpdate>?,
    _ newValue: (Int) -> Scalar
) {
    guard let measured else {
        for i in 0..<count { theta[i] = newValue(i) }
        return
    }
    var next = InlineArray<512, Scalar>(repeating: 0)
    // gl_apply_update_f32/f64 add into 16 lanes of changes, then 16 of values (CKernels.h).
    var lanes = InlineArray<32, Double>(repeating: 0)
    let block = next.count, half = lanes.count / 2
    withUnsafeMutableBytes(of: &next) { nextBytes in
        withUnsafeMutableBytes(of: &lanes) { laneBytes in
            let values = nextBytes.baseAddress!.assumingMemoryBound(to: Scalar.self)
            let sums = laneBytes.baseAddress!.assumingMemoryBound(to: Double.self)
            var start = 0
            while start < count {
                let length = Swift.min(block, count - start)
                for j in 0..<length { values[j] = newValue(start &+ j) }  // &+: a trapping add keeps the loop scalar
                Kernels.applyUpdate(theta + start, from: values, count: length, lanes: sums)
                start += length
            }
        }
    }
    var changes = 0.0, squares = 0.0
    for j in 0..<half { changes += lanes[j]; squares += lanes[half + j] }
    measured.pointee = AppliedUpdate(updateNorm: changes.squareRoot(), weightNorm: squares.squareRoot())
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
