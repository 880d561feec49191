import Backprop

/// Summary statistics of one tensor, computed in a single pass over its buffer (see `sums`).
///
/// ```
/// norm = √Σ g²   mean = Σ g / n   std = √(Σ g²/n − mean²) (population)   maxAbs = max |g|
/// zeroFraction = #{g = 0} / n     nonfinite = #{g NaN or ±∞}   (non-finite values are left out of the sums)
/// ```
public struct TensorStatistics: Sendable, Equatable {
    public var count: Int
    public var norm: Double
    public var mean: Double
    public var standardDeviation: Double
    public var maxAbs: Double
    public var zeroFraction: Double
    public var nonfinite: Int

    /// The statistics of `values`, accumulated as `sums` does (lanes in the tensor's precision, blocks in
    /// Double); with a non-finite value present, recounted exactly leaving those values out.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public init<Scalar: TensorScalar>(_ values: UnsafeBufferPointer<Scalar>) {
        var s = sums(values)
        var nonfinite = 0
        if !s.isFinite {
            s = BufferSums(count: values.count)
            for value in values {
                let v = Double(value)
                if !v.isFinite { nonfinite += 1; continue }
                s.sum += v
                s.squares += v * v
                if v == 0 { s.zeros += 1 }
                if abs(v) > s.maxAbs { s.maxAbs = abs(v) }
            }
        }
        let finite = values.count - nonfinite
        let mean = finite > 0 ? s.sum / Double(finite) : 0
        self.count = values.count
        self.norm = s.squares.squareRoot()
        self.mean = mean
        self.standardDeviation = finite > 0 ? Swift.max(0, s.squares / Double(finite) - mean * mean).squareRoot() : 0
        self.maxAbs = s.maxAbs
        self.zeroFraction = values.isEmpty ? 0 : Double(s.zeros) / Double(values.count)
        self.nonfinite = nonfinite
    }
}

/// The statistics of a fixed list of tensors (a model's gradients), split over the product threads
/// (`ParallelParts`) in runs of whole tensors of about the same element count. Each tensor's statistics
/// are `TensorStatistics.init`'s, computed by one thread, so a split result is the same to the bit as
/// one thread's. Made once for the list and kept: `compute` allocates nothing.
public final class TensorStatisticsSweep<Scalar: TensorScalar>: ParallelTask {
    /// The tensors, in the order of the results.
    public let tensors: [Tensor<Scalar>]
    /// Running totals of the tensors' element counts: 0, then one per tensor.
    private let cumulative: [Int]
    private let results: UnsafeMutableBufferPointer<TensorStatistics>

    public init(_ tensors: [Tensor<Scalar>]) {
        self.tensors = tensors
        var totals = [0]
        for tensor in tensors { totals.append(totals[totals.count - 1] + tensor.count) }
        cumulative = totals
        results = .allocate(capacity: tensors.count)
        let empty = TensorStatistics(UnsafeBufferPointer<Scalar>(start: nil, count: 0))
        _ = results.initialize(from: repeatElement(empty, count: tensors.count))
    }

    deinit {
        results.deinitialize()
        results.deallocate()
    }

    /// Computes every tensor's statistics from its current values; `self[i]` then reads tensor i's.
    public func compute() {
        cumulative.withUnsafeBufferPointer { ParallelParts.forEachRange(weighted: $0, self) }
    }

    /// Tensor `index`'s statistics from the last `compute`.
    public subscript(index: Int) -> TensorStatistics { results[index] }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    package func run(_ range: Range<Int>) {
        for index in range {
            results[index] = tensors[index].withUnsafeBufferPointer { TensorStatistics($0) }
        }
    }
}
