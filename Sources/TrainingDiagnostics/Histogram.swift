/// Fixed histogram bins, the same for every step, layer and run, so that histograms compare.
///
/// ```
/// gradient magnitudes |g|:  bin 0  g = 0
///                           bin 1  0 < |g| < 1e-12
///                           bins 2…29  half-decades [1e-12, 10^-11.5), …, [10^1.5, 1e2)
///                           bin 30 |g| ≥ 1e2
///                           bin 31 NaN or ±∞   (lo and hi are NaN)
/// activations a on [lo, hi]: bin 0  a < lo;  bins 1…40  equal widths;  bin 41  a > hi;  bin 42 NaN or ±∞
/// ```
/// Activation ranges are the function's range where it is bounded (sigmoid [0, 1]; tanh, softsign,
/// hardtanh [−1, 1]) and [−5, 5] otherwise.
public struct HistogramBins: Sendable, Equatable {
    /// Each bin's lower and upper edge.
    public let edges: [(lo: Double, hi: Double)]
    private let kind: Kind

    private enum Kind: Equatable {
        case magnitude
        case linear(lo: Double, hi: Double, bins: Int)
    }

    public static func == (a: HistogramBins, b: HistogramBins) -> Bool { a.kind == b.kind }

    /// Magnitudes on half-decades from 1e-12 to 1e2.
    public static let magnitudes: HistogramBins = {
        var edges: [(Double, Double)] = [(0, 0), (0, 1e-12)]
        for k in 0..<28 {
            edges.append((pow10(-12 + Double(k) / 2), pow10(-12 + Double(k + 1) / 2)))
        }
        edges.append((1e2, .infinity))
        edges.append((.nan, .nan))
        return HistogramBins(edges: edges, kind: .magnitude)
    }()

    /// Values on `bins` equal bins over [lo, hi], with an underflow, an overflow and a non-finite bin.
    public static func linear(lo: Double, hi: Double, bins: Int = 40) -> HistogramBins {
        var edges: [(Double, Double)] = [(-.infinity, lo)]
        let width = (hi - lo) / Double(bins)
        for k in 0..<bins { edges.append((lo + Double(k) * width, lo + Double(k + 1) * width)) }
        edges.append((hi, .infinity))
        edges.append((.nan, .nan))
        return HistogramBins(edges: edges, kind: .linear(lo: lo, hi: hi, bins: bins))
    }

    private init(edges: [(Double, Double)], kind: Kind) {
        self.edges = edges.map { (lo: $0.0, hi: $0.1) }
        self.kind = kind
    }

    /// The bin of `value`.
    @inline(__always)
    public func bin(of value: Double) -> Int {
        guard value.isFinite else { return edges.count - 1 }
        switch kind {
        case .magnitude:
            let m = abs(value)
            if m == 0 { return 0 }
            if m < 1e-12 { return 1 }
            if m >= 1e2 { return 30 }
            // Half-decade index: floor(2·log10 m) + 24, clamped against rounding at the edges.
            let k = Int((2 * log10(m)).rounded(.down)) + 24
            return 2 + Swift.min(Swift.max(k, 0), 27)
        case .linear(let lo, let hi, let bins):
            if value < lo { return 0 }
            if value > hi { return bins + 1 }
            return 1 + Swift.min(Int((value - lo) / (hi - lo) * Double(bins)), bins - 1)
        }
    }

    /// Counts of `values` per bin.
    public func counts<Scalar: BinaryFloatingPoint>(_ values: UnsafeBufferPointer<Scalar>) -> [Int] {
        var counts = [Int](repeating: 0, count: edges.count)
        for v in values { counts[bin(of: Double(v))] += 1 }
        return counts
    }
}

@inline(__always)
private func pow10(_ x: Double) -> Double { Foundation.pow(10, x) }

import Foundation
