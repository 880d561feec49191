import CKernels

/// The recorder's reductions, in CKernels (Sources/CKernels/Reductions.c): one pass at the machine's
/// vector width, the clone chosen when the program loads, like the activation kernels.
enum Kernels {
    /// Σx, Σx², max |x| and the zero count of a Float buffer.
    static func sums(_ values: UnsafeBufferPointer<Float>) -> BufferSums {
        BufferSums(gl_buffer_sums_f32(values.baseAddress, values.count), count: values.count)
    }

    /// Σx, Σx², max |x| and the zero count of a Double buffer.
    static func sums(_ values: UnsafeBufferPointer<Double>) -> BufferSums {
        BufferSums(gl_buffer_sums_f64(values.baseAddress, values.count), count: values.count)
    }

    /// Sum, squares, minimum, maximum and the count outside [low, high] (or at or beyond its ends when
    /// `inclusive`) of Float values; minimum and maximum hold only when sum and squares are finite.
    static func activationSums(_ values: UnsafeBufferPointer<Float>, low: Float, high: Float, inclusive: Bool)
        -> (sum: Double, squares: Double, min: Double, max: Double, outside: Int) {
        let r = gl_activation_sums_f32(values.baseAddress, values.count, low, high, inclusive ? 1 : 0)
        return (r.sum, r.squares, r.min, r.max, r.outside)
    }

    /// `activationSums` for Double values.
    static func activationSums(_ values: UnsafeBufferPointer<Double>, low: Double, high: Double, inclusive: Bool)
        -> (sum: Double, squares: Double, min: Double, max: Double, outside: Int) {
        let r = gl_activation_sums_f64(values.baseAddress, values.count, low, high, inclusive ? 1 : 0)
        return (r.sum, r.squares, r.min, r.max, r.outside)
    }
}

extension BufferSums {
    init(_ sums: gl_buffer_sums, count: Int) {
        self.init(sum: sums.sum, squares: sums.squares, maxAbs: sums.maxAbs, zeros: sums.zeros, count: count)
    }
}
