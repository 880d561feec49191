/// Gradient clipping before the optimizer step, as `torch.nn.utils.clip_grad_norm_` and
/// `clip_grad_value_`.
///
/// ```
/// norm:   n = √(Σ_parameters Σ g²);  if n > c:  g ← g · c / (n + 1e−6)
/// value:  g ← clamp(g, −c, c)
/// ```
/// Both report the global norm *before* clipping, which is what a diagnostic wants to see.
/// Reference: torch.nn.utils documentation; Pascanu, Mikolov & Bengio (2013), section 3.2.
public enum GradientClipping: Sendable, Equatable {
    case none
    /// Rescale all gradients together when their global L2 norm exceeds the threshold.
    case norm(Double)
    /// Clamp every gradient entry to [−threshold, threshold].
    case value(Double)

    /// The global L2 norm of the parameters' gradients, accumulated in Double.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func globalNorm<Scalar: TensorScalar>(_ parameters: [NamedParameter<Scalar>]) -> Double {
        var sum = 0.0
        for named in parameters {
            named.parameter.gradient.withUnsafeBufferPointer { g in
                for v in g { sum += Double(v) * Double(v) }
            }
        }
        return sum.squareRoot()
    }

    /// Clips the gradients in place; returns the global norm before clipping and whether anything changed.
    /// `norm`, when given, is the global norm already measured for these gradients (saves a pass).
    @discardableResult
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func apply<Scalar: TensorScalar>(
        to parameters: [NamedParameter<Scalar>], norm measured: Double? = nil
    ) -> (norm: Double, clipped: Bool) {
        let norm = measured ?? Self.globalNorm(parameters)
        switch self {
        case .none:
            return (norm, false)
        case .norm(let threshold):
            // torch multiplies by min(1, c/(n + 1e−6)); a non-finite norm is left alone so it can be seen.
            let coefficient = threshold / (norm + 1e-6)
            guard coefficient < 1, norm.isFinite else { return (norm, false) }
            let scale = Scalar(coefficient)
            for named in parameters {
                named.parameter.gradient.withUnsafeMutableBufferPointer { g in
                    for i in g.indices { g[i] *= scale }
                }
            }
            return (norm, true)
        case .value(let threshold):
            let c = Scalar(threshold)
            var clipped = false
            for named in parameters {
                named.parameter.gradient.withUnsafeMutableBufferPointer { g in
                    for i in g.indices where g[i] > c || g[i] < -c {
                        g[i] = g[i] > c ? c : -c
                        clipped = true
                    }
                }
            }
            return (norm, clipped)
        }
    }
}
