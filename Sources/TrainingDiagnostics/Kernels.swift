/// The vector kernels behind `sums` and `ActivationStatistics`, written once per precision: comparisons
/// and selects on generic `SIMD8<Scalar>` compile lane by lane, on the concrete types they are single
/// vector instructions.
enum Kernels {
    /// `sums` for Float buffers, on concrete `SIMD8<Float>` so that every lane operation is a vector instruction.
    static func sums(_ values: UnsafeBufferPointer<Float>) -> BufferSums {
        typealias Lanes = SIMD8<Float>
        typealias Bits = SIMD8<Int32>
        var result = BufferSums(count: values.count)
        guard let base = values.baseAddress, !values.isEmpty else { return result }
        let raw = UnsafeRawPointer(base)
        let n = values.count, vectorEnd = n - n % 8
        var i = 0
        var maxAbs: Float = 0
        let magnitudeMask = Bits(repeating: Int32.max)
        while i < vectorEnd {
            let blockEnd = Swift.min(vectorEnd, i + 512)
            var sum = Lanes(), squares = Lanes(), magnitude = Lanes(), zeros = Bits()
            while i < blockEnd {
                let v = raw.loadUnaligned(fromByteOffset: i &* MemoryLayout<Float>.stride, as: Lanes.self)
                sum += v
                squares += v * v
                let a = unsafeBitCast(unsafeBitCast(v, to: Bits.self) & magnitudeMask, to: Lanes.self)
                magnitude = magnitude.replacing(with: a, where: a .> magnitude)
                zeros &-= unsafeBitCast(v .== 0, to: Bits.self)
                i &+= 8
            }
            result.sum += Double(sum.sum())
            result.squares += Double(squares.sum())
            maxAbs = Swift.max(maxAbs, magnitude.max())
            result.zeros += Int(zeros.wrappedSum())
        }
        while i < n {
            let v = base[i]
            result.sum += Double(v)
            result.squares += Double(v) * Double(v)
            maxAbs = Swift.max(maxAbs, Swift.abs(v))
            if v == 0 { result.zeros += 1 }
            i += 1
        }
        result.maxAbs = Double(maxAbs)
        return result
    }

    /// Sum, squares, minimum, maximum and the count outside [low, high] (or at or beyond its ends when
    /// `inclusive`) of finite Float values.
    static func activationSums(_ values: UnsafeBufferPointer<Float>, low: Float, high: Float, inclusive: Bool)
        -> (sum: Double, squares: Double, min: Double, max: Double, outside: Int)
    {
        typealias Lanes = SIMD8<Float>
        typealias Bits = SIMD8<Int32>
        guard let base = values.baseAddress, !values.isEmpty else { return (0, 0, .nan, .nan, 0) }
        let raw = UnsafeRawPointer(base)
        let n = values.count, vectorEnd = n - n % 8
        var i = 0
        var total = 0.0, totalSquares = 0.0, outside = 0
        var lowest = Float.infinity, highest = -Float.infinity
        let lowLanes = Lanes(repeating: low), highLanes = Lanes(repeating: high)
        while i < vectorEnd {
            let blockEnd = Swift.min(vectorEnd, i + 512)
            var sum = Lanes(), squares = Lanes(), count = Bits()
            var minimum = Lanes(repeating: .infinity), maximum = Lanes(repeating: -.infinity)
            while i < blockEnd {
                let v = raw.loadUnaligned(fromByteOffset: i &* MemoryLayout<Float>.stride, as: Lanes.self)
                sum += v
                squares += v * v
                minimum = minimum.replacing(with: v, where: v .< minimum)
                maximum = maximum.replacing(with: v, where: v .> maximum)
                let beyond = inclusive ? (v .<= lowLanes) .| (v .>= highLanes) : (v .< lowLanes) .| (v .> highLanes)
                count &-= unsafeBitCast(beyond, to: Bits.self)
                i &+= 8
            }
            total += Double(sum.sum())
            totalSquares += Double(squares.sum())
            lowest = Swift.min(lowest, minimum.min())
            highest = Swift.max(highest, maximum.max())
            outside += Int(count.wrappedSum())
        }
        while i < n {
            let v = base[i]
            total += Double(v)
            totalSquares += Double(v) * Double(v)
            lowest = Swift.min(lowest, v)
            highest = Swift.max(highest, v)
            if inclusive ? (v <= low || v >= high) : (v < low || v > high) { outside += 1 }
            i += 1
        }
        return (total, totalSquares, Double(lowest), Double(highest), outside)
    }

    /// `sums` for Double buffers, on concrete `SIMD8<Double>` so that every lane operation is a vector instruction.
    static func sums(_ values: UnsafeBufferPointer<Double>) -> BufferSums {
        typealias Lanes = SIMD8<Double>
        typealias Bits = SIMD8<Int64>
        var result = BufferSums(count: values.count)
        guard let base = values.baseAddress, !values.isEmpty else { return result }
        let raw = UnsafeRawPointer(base)
        let n = values.count, vectorEnd = n - n % 8
        var i = 0
        var maxAbs: Double = 0
        let magnitudeMask = Bits(repeating: Int64.max)
        while i < vectorEnd {
            let blockEnd = Swift.min(vectorEnd, i + 512)
            var sum = Lanes(), squares = Lanes(), magnitude = Lanes(), zeros = Bits()
            while i < blockEnd {
                let v = raw.loadUnaligned(fromByteOffset: i &* MemoryLayout<Double>.stride, as: Lanes.self)
                sum += v
                squares += v * v
                let a = unsafeBitCast(unsafeBitCast(v, to: Bits.self) & magnitudeMask, to: Lanes.self)
                magnitude = magnitude.replacing(with: a, where: a .> magnitude)
                zeros &-= unsafeBitCast(v .== 0, to: Bits.self)
                i &+= 8
            }
            result.sum += Double(sum.sum())
            result.squares += Double(squares.sum())
            maxAbs = Swift.max(maxAbs, magnitude.max())
            result.zeros += Int(zeros.wrappedSum())
        }
        while i < n {
            let v = base[i]
            result.sum += Double(v)
            result.squares += Double(v) * Double(v)
            maxAbs = Swift.max(maxAbs, Swift.abs(v))
            if v == 0 { result.zeros += 1 }
            i += 1
        }
        result.maxAbs = Double(maxAbs)
        return result
    }

    /// Sum, squares, minimum, maximum and the count outside [low, high] (or at or beyond its ends when
    /// `inclusive`) of finite Double values.
    static func activationSums(_ values: UnsafeBufferPointer<Double>, low: Double, high: Double, inclusive: Bool)
        -> (sum: Double, squares: Double, min: Double, max: Double, outside: Int)
    {
        typealias Lanes = SIMD8<Double>
        typealias Bits = SIMD8<Int64>
        guard let base = values.baseAddress, !values.isEmpty else { return (0, 0, .nan, .nan, 0) }
        let raw = UnsafeRawPointer(base)
        let n = values.count, vectorEnd = n - n % 8
        var i = 0
        var total = 0.0, totalSquares = 0.0, outside = 0
        var lowest = Double.infinity, highest = -Double.infinity
        let lowLanes = Lanes(repeating: low), highLanes = Lanes(repeating: high)
        while i < vectorEnd {
            let blockEnd = Swift.min(vectorEnd, i + 512)
            var sum = Lanes(), squares = Lanes(), count = Bits()
            var minimum = Lanes(repeating: .infinity), maximum = Lanes(repeating: -.infinity)
            while i < blockEnd {
                let v = raw.loadUnaligned(fromByteOffset: i &* MemoryLayout<Double>.stride, as: Lanes.self)
                sum += v
                squares += v * v
                minimum = minimum.replacing(with: v, where: v .< minimum)
                maximum = maximum.replacing(with: v, where: v .> maximum)
                let beyond = inclusive ? (v .<= lowLanes) .| (v .>= highLanes) : (v .< lowLanes) .| (v .> highLanes)
                count &-= unsafeBitCast(beyond, to: Bits.self)
                i &+= 8
            }
            total += Double(sum.sum())
            totalSquares += Double(squares.sum())
            lowest = Swift.min(lowest, minimum.min())
            highest = Swift.max(highest, maximum.max())
            outside += Int(count.wrappedSum())
        }
        while i < n {
            let v = base[i]
            total += Double(v)
            totalSquares += Double(v) * Double(v)
            lowest = Swift.min(lowest, v)
            highest = Swift.max(highest, v)
            if inclusive ? (v <= low || v >= high) : (v < low || v > high) { outside += 1 }
            i += 1
        }
        return (total, totalSquares, Double(lowest), Double(highest), outside)
    }
}
