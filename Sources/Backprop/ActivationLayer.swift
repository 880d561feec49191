/// An activation applied elementwise, as a layer: torch's `nn.Tanh()`, `nn.ReLU()`, ...
///
/// Takes a `[batch, ...]` input of any rank. Declares `function` as its nonlinearity, and so its kinks.
/// Forward and backward are `Activation.apply` and `Activation.backward`, split over the product threads
/// in blocks of 64 elements when the tensor is large (`ParallelParts`; elementwise, so the same bits); the
/// layer keeps its input and output for the backward pass.
public final class ActivationLayer<Scalar: TensorScalar>: Layer {
    public let function: Activation

    private var input: Tensor<Scalar>?
    private var output = Workspace<Scalar>()
    private var lastOutput: Tensor<Scalar>?
    private var inputGradient = Workspace<Scalar>()
    private lazy var elementwise = ElementwiseLoop<Scalar>(function: function)

    public init(_ function: Activation) {
        self.function = function
    }

    public var kind: String { function.torchName }
    public var nonlinearity: Activation? { function }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>, mode: Mode) -> Tensor<Scalar> {
        precondition(input.rank >= 1, "\(kind): expected input of shape [batch, ...], got a scalar")
        let y = output.tensor(shape: input.shape)
        elementwise.forward(input.base, into: y.base, count: input.count)
        self.input = input
        self.lastOutput = y
        return y
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ outputGradient: Tensor<Scalar>) -> Tensor<Scalar> {
        guard let input, let lastOutput else { preconditionFailure("\(kind).backward called before forward") }
        precondition(outputGradient.shape == input.shape,
                     "\(kind).backward: gradient shape \(outputGradient.shape), expected \(input.shape)")
        let dx = inputGradient.tensor(shape: input.shape)
        elementwise.backward(input: input.base, output: lastOutput.base, outputGradient: outputGradient.base,
                             into: dx.base, count: input.count)
        return dx
    }
}

/// An activation's forward or backward pass over a buffer, as a task the product threads split in blocks
/// of 64 elements (`ParallelParts`). One per layer, kept from call to call, so a split allocates nothing.
private final class ElementwiseLoop<Scalar: TensorScalar>: ParallelTask {
    let function: Activation
    private var isBackward = false
    private var x: UnsafePointer<Scalar>?, y: UnsafePointer<Scalar>?, dy: UnsafePointer<Scalar>?
    private var out: UnsafeMutablePointer<Scalar>?
    private var count = 0
    private static var block: Int { 64 }

    init(function: Activation) { self.function = function }

    func forward(_ x: UnsafePointer<Scalar>, into y: UnsafeMutablePointer<Scalar>, count: Int) {
        (isBackward, self.x, self.out, self.count) = (false, x, y, count)
        start()
    }

    func backward(input x: UnsafePointer<Scalar>, output y: UnsafePointer<Scalar>,
                  outputGradient dy: UnsafePointer<Scalar>, into dx: UnsafeMutablePointer<Scalar>, count: Int) {
        (isBackward, self.x, self.y, self.dy, self.out, self.count) = (true, x, y, dy, dx, count)
        start()
    }

    private func start() {
        let blocks = (count + Self.block - 1) / Self.block
        ParallelParts.forEachRange(of: blocks, elements: count, minimum: ParallelParts.minimumKernelElements, self)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func run(_ blocks: Range<Int>) {
        guard let x, let out else { return }
        let start = blocks.lowerBound * Self.block, end = Swift.min(count, blocks.upperBound * Self.block)
        guard start < end else { return }
        let n = end - start
        if isBackward, let y, let dy {
            function.backward(input: UnsafeBufferPointer(start: x + start, count: n),
                              output: UnsafeBufferPointer(start: y + start, count: n),
                              outputGradient: UnsafeBufferPointer(start: dy + start, count: n),
                              into: UnsafeMutableBufferPointer(start: out + start, count: n))
        } else {
            function.apply(UnsafeBufferPointer(start: x + start, count: n),
                           into: UnsafeMutableBufferPointer(start: out + start, count: n))
        }
    }
}
