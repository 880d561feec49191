/// What one optimizer step did to one parameter tensor: ‖Δθ‖ and ‖θ‖ after the step, measured by the
/// loop that applied the update.
///
/// Δθ is `θ_after − θ_before` as the tensor's own type computes it, so an update that rounds away
/// (θ unchanged) counts as 0, as it would in a copy-and-subtract of the weights. Both norms are sums of
/// squares over sixteen lanes in the tensor's precision, each 256-element block added into Double
/// (relative error about 1e-6 at most in Float), and cost no copy of the weights beyond one block.
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
/// debug build), the same plain loop as the unmeasured path updates the block, and a second pass sums the
/// squares of the change and of the new values (`Kernels.addUpdateSums`, a C kernel at the
/// machine's width; Swift's own SIMD8 loop here compiled to the SSE2 baseline).
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
    var sums = (0.0, 0.0)
    var saved = InlineArray<256, Scalar>(repeating: 0)
    withUnsafeMutableBytes(of: &saved) { bytes in
        let old = bytes.baseAddress!.assumingMemoryBound(to: Scalar.self)
        var start = 0
        while start < count {
            let length = Swift.min(block, count - start)
            let part = theta + start
            old.update(from: part, count: length)
            for j in 0..<length { part[j] = newValue(start &+ j) }  // &+: a trapping add keeps the loop scalar
            Kernels.addUpdateSums(before: old, after: part, count: length, into: &sums)
            start += length
        }
    }
    measured.pointee = AppliedUpdate(updateNorm: sums.0.squareRoot(), weightNorm: sums.1.squareRoot())
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
