/// An n-dimensional array of `Float` or `Double` in contiguous row-major storage.
///
/// A `Tensor` is a reference, like `torch.Tensor`: layers own their output and gradient buffers and
/// reuse them on every step, so a training step allocates nothing once the first step has run. A tensor
/// returned by a layer's `forward` or `backward` is overwritten by the next call; `copy()` keeps one.
public final class Tensor<Scalar: TensorScalar> {
    /// The extent of each dimension, outermost first.
    public let shape: [Int]
    /// The number of elements, the product of `shape`.
    public let count: Int
    @usableFromInline let base: UnsafeMutablePointer<Scalar>

    /// A tensor of the given shape with every element equal to `value`.
    public init(shape: [Int], repeating value: Scalar = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative dimension")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.base = .allocate(capacity: Swift.max(count, 1))
        base.initialize(repeating: value, count: count)
    }

    /// A tensor of the given shape holding `scalars` in row-major order.
    public convenience init(shape: [Int], scalars: [Scalar]) {
        self.init(shape: shape)
        precondition(
            scalars.count == count,
            "Tensor shape \(shape) holds \(count) elements, but \(scalars.count) scalars were given")
        scalars.withUnsafeBufferPointer { source in
            if let address = source.baseAddress { base.update(from: address, count: count) }
        }
    }

    deinit { base.deallocate() }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// All elements in row-major order, copied out.
    public var scalars: [Scalar] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// The element at a flat (row-major) index.
    public subscript(index: Int) -> Scalar {
        get {
            precondition(index >= 0 && index < count, "index \(index) out of range for shape \(shape)")
            return base[index]
        }
        set {
            precondition(index >= 0 && index < count, "index \(index) out of range for shape \(shape)")
            base[index] = newValue
        }
    }

    /// The element at `[row, column]` of a rank-2 tensor.
    public subscript(row: Int, column: Int) -> Scalar {
        get { base[matrixOffset(row, column)] }
        set { base[matrixOffset(row, column)] = newValue }
    }

    private func matrixOffset(_ row: Int, _ column: Int) -> Int {
        precondition(
            shape.count == 2 && row >= 0 && row < shape[0] && column >= 0 && column < shape[1],
            "index [\(row), \(column)] out of range for shape \(shape)")
        return row * shape[1] + column
    }

    /// An independent tensor with the same shape and elements.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func copy() -> Tensor {
        let result = Tensor(shape: shape)
        result.base.update(from: base, count: count)
        return result
    }

    /// Copies the elements of `other`, which must have the same number of elements.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func assign(from other: Tensor) {
        precondition(other.count == count, "cannot assign shape \(other.shape) to shape \(shape)")
        base.update(from: other.base, count: count)
    }

    /// Sets every element to `value`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func fill(_ value: Scalar) {
        base.update(repeating: value, count: count)
    }

    /// Calls `body` with the elements as a buffer.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// Calls `body` with the elements as a mutable buffer.
    @inlinable
    public func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: base, count: count))
    }

    /// The rows of a rank-2 tensor, or 1 for a rank-1 tensor: the batch dimension of layer inputs.
    var rows: Int { shape.count >= 1 ? shape[0] : 1 }
    /// The elements of one row: the product of all dimensions but the first.
    var columns: Int { rows == 0 ? 0 : count / rows }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor\(shape)[\(shown)\(count > 8 ? ", …" : "")]"
    }
}

/// A reusable buffer: returns the tensor it holds while the shape matches, else a new one.
///
/// Layers keep their outputs and gradients in workspaces, so that steps after the first allocate nothing.
struct Workspace<Scalar: TensorScalar> {
    private var tensor: Tensor<Scalar>?

    mutating func tensor(shape: [Int]) -> Tensor<Scalar> {
        if let tensor, tensor.shape == shape { return tensor }
        let fresh = Tensor<Scalar>(shape: shape)
        tensor = fresh
        return fresh
    }

    /// A tensor shaped as `shape` with its last axis replaced by `last`; compares without allocating.
    mutating func tensor(shape: [Int], lastAxis last: Int) -> Tensor<Scalar> {
        if let tensor, tensor.shape.count == shape.count, tensor.shape.last == last,
           tensor.shape.dropLast().elementsEqual(shape.dropLast()) {
            return tensor
        }
        var fresh = shape
        fresh[fresh.count - 1] = last
        let made = Tensor<Scalar>(shape: fresh)
        tensor = made
        return made
    }

    /// A tensor `[rows] + rest`; compares without allocating.
    mutating func tensor(rows: Int, rest: [Int]) -> Tensor<Scalar> {
        if let tensor, tensor.shape.count == rest.count + 1, tensor.shape[0] == rows,
           tensor.shape.dropFirst().elementsEqual(rest) {
            return tensor
        }
        let fresh = Tensor<Scalar>(shape: [rows] + rest)
        tensor = fresh
        return fresh
    }

    /// A `[d0, d1, d2, d3]` tensor (an NCHW image batch); compares without allocating.
    mutating func tensor(_ d0: Int, _ d1: Int, _ d2: Int, _ d3: Int) -> Tensor<Scalar> {
        if let tensor, tensor.shape.count == 4, tensor.shape[0] == d0, tensor.shape[1] == d1,
           tensor.shape[2] == d2, tensor.shape[3] == d3 {
            return tensor
        }
        let fresh = Tensor<Scalar>(shape: [d0, d1, d2, d3])
        tensor = fresh
        return fresh
    }

    mutating func tensor(rows: Int, columns: Int) -> Tensor<Scalar> {
        if let tensor, tensor.shape.count == 2, tensor.shape[0] == rows, tensor.shape[1] == columns {
            return tensor
        }
        let fresh = Tensor<Scalar>(shape: [rows, columns])
        tensor = fresh
        return fresh
    }
}
