import RunFormat

/// One histogram of histograms.csv (one step, layer and tensor) as TensorBoard's `HistogramProto`.
///
/// TensorBoard's bucket i holds the values in (bucket_limit[i−1], bucket_limit[i]]: each limit is a
/// bucket's right edge, and the first bucket's left edge and the last bucket's right edge are taken from
/// `min` and `max` when TensorBoard draws it. GradLab's bins map one to one, in bin order:
/// ```
/// bucket_limit[i] = hi of bin i        bucket[i] = count of bin i
/// hi = +∞ (the overflow bin)     →    bucket_limit = Double.greatestFiniteMagnitude, as TensorFlow writes it
/// lo = hi = NaN (non-finite bin)  →    no bucket: its count is returned apart, as `nonfinite`
/// ```
/// so for gradient magnitudes bucket 0 (limit 0) is g = 0, bucket 1 (limit 1e-12) is 0 < |g| < 1e-12,
/// and so on; for activations bucket 0 (limit lo) is everything below the function's range. GradLab's
/// bins are closed on the left ([lo, hi)) and TensorBoard's on the right, which matters only for a value
/// exactly on an edge.
///
/// `min`, `max`, `sum` and `sum_squares` are not in the run folder; they are estimated from the bins:
/// - `min` is `lo` of the lowest non-empty bin and `max` is `hi` of the highest; an infinite edge (the under-
///   and overflow bins) is replaced by the bin's finite edge moved out by the width of the neighbouring
///   bin, so that TensorBoard draws the bin with a width.
/// - `sum` and `sum_squares` take every entry at its bin's midpoint (with the same replaced edges).
/// - `num` is the number of finite entries, the sum of `bucket`. With no finite entries all are 0.
struct HistogramSummary: Equatable {
    var min: Double
    var max: Double
    var num: Double
    var sum: Double
    var sumSquares: Double
    var bucketLimits: [Double]
    var buckets: [Double]

    /// The histogram of `rows`, the bins of one histogram in any order, and the count of its non-finite bin.
    static func from(_ rows: [HistogramRow]) -> (histogram: HistogramSummary, nonfinite: Int) {
        let ordered = rows.sorted { $0.bin < $1.bin }
        let finite = ordered.filter { !$0.lo.isNaN && !$0.hi.isNaN }
        let nonfinite = ordered.filter { $0.lo.isNaN || $0.hi.isNaN }.reduce(0) { $0 + $1.count }
        // The edges with infinities replaced by the neighbour's width.
        let edges: [(lo: Double, hi: Double)] = finite.indices.map { i in
            var (lo, hi) = (finite[i].lo, finite[i].hi)
            if lo.isInfinite, i + 1 < finite.count { lo = hi - width(finite[i + 1]) }
            if hi.isInfinite, i > 0 { hi = lo + width(finite[i - 1]) }
            return (lo, hi)
        }
        var summary = HistogramSummary(
            min: 0, max: 0, num: 0, sum: 0, sumSquares: 0,
            bucketLimits: finite.map { $0.hi == .infinity ? .greatestFiniteMagnitude : $0.hi },
            buckets: finite.map { Double($0.count) })
        let filled = finite.indices.filter { finite[$0].count > 0 }
        if let first = filled.first, let last = filled.last {
            summary.min = edges[first].lo
            summary.max = edges[last].hi
        }
        for i in filled {
            let middle = (edges[i].lo + edges[i].hi) / 2, count = Double(finite[i].count)
            summary.num += count
            summary.sum += count * middle
            summary.sumSquares += count * middle * middle
        }
        return (summary, nonfinite)
    }

    /// A bin's width, 0 when an edge is infinite.
    private static func width(_ row: HistogramRow) -> Double {
        row.lo.isFinite && row.hi.isFinite ? row.hi - row.lo : 0
    }

    var encoded: ProtobufMessage {
        var message = ProtobufMessage()
        message.double(1, min)
        message.double(2, max)
        message.double(3, num)
        message.double(4, sum)
        message.double(5, sumSquares)
        message.packedDoubles(6, bucketLimits)
        message.packedDoubles(7, buckets)
        return message
    }
}
