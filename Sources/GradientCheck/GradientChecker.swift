import Backprop
import RunFormat

/// How many entries of each tensor to check.
public enum CheckMode: Sendable, Equatable {
    /// Every entry: 2 evaluations each (4 where Richardson is needed).
    case full
    /// `count` seeded entries per tensor, always including the largest |analytic| ones.
    case sample(count: Int)
    /// One seeded random direction v per tensor: (f(θ+hv) − f(θ−hv))/2h against ⟨∇f, v⟩, 2 evaluations;
    /// a failing direction is bisected over masked directions to the bad entries, O(log n) more.
    case direction

    public var name: String {
        switch self {
        case .full: "full"
        case .sample: "sample"
        case .direction: "direction"
        }
    }
}

/// A scalar function of some Double tensors, with the gradient its backward pass claims.
///
/// `evaluate` computes f from the tensors' current values; the checker perturbs them in place and
/// restores them. `analytic[i]` is the claimed ∂f/∂tensors[i], computed once at the unperturbed point.
public struct CheckProblem {
    public var names: [String]
    public var tensors: [Tensor<Double>]
    public var analytic: [Tensor<Double>]
    public var evaluate: () -> Double

    public init(names: [String], tensors: [Tensor<Double>], analytic: [Tensor<Double>], evaluate: @escaping () -> Double) {
        precondition(names.count == tensors.count && tensors.count == analytic.count,
                     "\(names.count) names, \(tensors.count) tensors, \(analytic.count) gradients")
        for (t, g) in zip(tensors, analytic) {
            precondition(t.shape == g.shape, "tensor of shape \(t.shape) has a gradient of shape \(g.shape)")
        }
        self.names = names
        self.tensors = tensors
        self.analytic = analytic
        self.evaluate = evaluate
    }
}

/// One checked entry (or, in direction mode, one direction: `index` is `direction`).
public struct CheckedEntry: Sendable, Equatable {
    public var tensor: String
    /// Tensor coordinates, `i;j`; `direction` for a whole-tensor direction.
    public var index: String
    public var judgement: EntryJudgement
}

/// The result for one tensor.
public struct TensorCheck: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var entries: [CheckedEntry]
    /// Function evaluations spent on this tensor.
    public var evaluations: Int

    public var worst: CheckedEntry? { entries.max { $0.judgement.relativeError < $1.judgement.relativeError } }
    public func count(_ verdict: EntryVerdict) -> Int { entries.filter { $0.judgement.verdict == verdict }.count }
    public var passed: Bool { count(.wrong) == 0 }
}

/// Finite-difference verification of a `CheckProblem`, in Double.
public struct GradientChecker: Sendable {
    public var mode: CheckMode
    public var tolerance: Tolerance
    public var seed: UInt64

    public init(mode: CheckMode = .full, tolerance: Tolerance = Tolerance(), seed: UInt64 = 0) {
        self.mode = mode
        self.tolerance = tolerance
        self.seed = seed
    }

    /// Checks every tensor of `problem`.
    public func check(_ problem: CheckProblem) -> [TensorCheck] {
        var generator = RandomGenerator(seed: seed)
        let f0 = problem.evaluate()
        return problem.tensors.indices.map { t in
            let tensor = problem.tensors[t], gradient = problem.analytic[t], name = problem.names[t]
            var evaluations = 0
            let entries: [CheckedEntry]
            switch mode {
            case .full:
                entries = (0..<tensor.count).map { checkEntry($0, in: problem, tensor: t, f0: f0, evaluations: &evaluations) }
            case .sample(let count):
                entries = sampleIndices(gradient: gradient, count: count, generator: &generator)
                    .map { checkEntry($0, in: problem, tensor: t, f0: f0, evaluations: &evaluations) }
            case .direction:
                entries = checkDirection(in: problem, tensor: t, f0: f0, generator: &generator, evaluations: &evaluations)
            }
            return TensorCheck(name: name, shape: tensor.shape, entries: entries, evaluations: evaluations)
        }
    }

    /// The step for an entry of magnitude `value`.
    func step(for value: Double) -> Double { tolerance.step * max(1, abs(value)) }

    func checkEntry(_ i: Int, in problem: CheckProblem, tensor t: Int, f0: Double, evaluations: inout Int) -> CheckedEntry {
        let x = problem.tensors[t]
        let original = x[i]
        let h = step(for: original)
        func at(_ offset: Double) -> Double {
            x[i] = original + offset
            defer { x[i] = original }
            return problem.evaluate()
        }
        let plus = at(h), minus = at(-h)
        evaluations += 2
        var extra = 0
        let judgement = EntryJudgement(analytic: problem.analytic[t][i], f0: f0, plus: plus, minus: minus, h: h,
                                       tolerance: tolerance) {
            extra += 2
            return (at(h / 2), at(-h / 2))
        }
        evaluations += extra
        return CheckedEntry(tensor: problem.names[t], index: coordinates(i, shape: x.shape), judgement: judgement)
    }

    /// k seeded entries: the largest |analytic| ones (a quarter, at least one) and a random rest.
    func sampleIndices(gradient: Tensor<Double>, count: Int, generator: inout RandomGenerator) -> [Int] {
        let n = gradient.count
        guard count < n else { return Array(0..<n) }
        let largest = (0..<n).sorted { abs(gradient[$0]) > abs(gradient[$1]) }.prefix(max(1, count / 4))
        var chosen = Set(largest)
        var rest = Array(0..<n).filter { !chosen.contains($0) }
        rest.shuffle(using: &generator)
        for i in rest.prefix(count - chosen.count) { chosen.insert(i) }
        return chosen.sorted()
    }

    /// One random direction; bisection to the bad entries when it fails.
    func checkDirection(in problem: CheckProblem, tensor t: Int, f0: Double, generator: inout RandomGenerator,
                        evaluations: inout Int) -> [CheckedEntry] {
        let x = problem.tensors[t], gradient = problem.analytic[t]
        let v = (0..<x.count).map { _ in generator.nextNormal() }
        let scale = x.scalars.reduce(0) { max($0, abs($1)) }
        let h = step(for: scale)
        /// The judgement along v restricted to `indices`.
        let saved = x.scalars
        let claimed = gradient.scalars
        func along(_ indices: [Int]) -> EntryJudgement {
            func at(_ offset: Double) -> Double {
                x.withUnsafeMutableBufferPointer { p in for i in indices { p[i] = saved[i] + offset * v[i] } }
                defer { x.withUnsafeMutableBufferPointer { p in for i in indices { p[i] = saved[i] } } }
                return problem.evaluate()
            }
            let analytic = indices.reduce(0.0) { $0 + claimed[$1] * v[$1] }
            let plus = at(h), minus = at(-h)
            evaluations += 2
            var extra = 0
            let judgement = EntryJudgement(analytic: analytic, f0: f0, plus: plus, minus: minus, h: h,
                                           tolerance: tolerance) {
                extra += 2
                return (at(h / 2), at(-h / 2))
            }
            evaluations += extra
            return judgement
        }
        let whole = along(Array(0..<x.count))
        var entries = [CheckedEntry(tensor: problem.names[t], index: "direction", judgement: whole)]
        guard whole.verdict == .wrong else { return entries }
        // Bisection: keep halving the set whose masked direction still fails.
        var pending: [[Int]] = [Array(0..<x.count)]
        while let set = pending.popLast() {
            if set.count == 1 {
                entries.append(checkEntry(set[0], in: problem, tensor: t, f0: f0, evaluations: &evaluations))
                continue
            }
            let left = Array(set[..<(set.count / 2)]), right = Array(set[(set.count / 2)...])
            let leftFails = along(left).verdict == .wrong
            if leftFails { pending.append(left) }
            // The right half is tested too, unless the left half explains the whole failure.
            if !leftFails || along(right).verdict == .wrong { pending.append(right) }
        }
        return entries
    }
}

/// `i;j` for entry `flat` of a tensor of `shape` (row-major).
func coordinates(_ flat: Int, shape: [Int]) -> String {
    guard shape.count > 1 else { return "\(flat)" }
    var rest = flat
    var parts: [Int] = []
    for size in shape.reversed() {
        parts.append(rest % size)
        rest /= size
    }
    return parts.reversed().map(String.init).joined(separator: ";")
}
