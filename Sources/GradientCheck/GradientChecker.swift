import Backprop
import RunFormat

/// How many entries of each tensor to check.
public enum CheckMode: Sendable, Equatable {
    /// Every entry: 2 evaluations each (4 where Richardson is needed).
    case full
    /// `count` seeded entries per tensor, always including the largest |analytic| ones.
    case sample(count: Int)
    /// One seeded random direction v per tensor: (f(θ+hv) − f(θ−hv))/2h against ⟨∇f, v⟩, 2 evaluations;
    /// a failing direction is bisected over masked directions to the bad entries, O(log n) more, and
    /// stays `wrong` only when an entry checked on its own is wrong (else it is recorded `imprecise`).
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
/// `crossing`, when the problem probes kinks (`CheckTargets.model` and `.layer` do), tells after each
/// evaluation whether it crossed a kink the model declares, compared with the unperturbed point.
public struct CheckProblem {
    public var names: [String]
    public var tensors: [Tensor<Double>]
    public var analytic: [Tensor<Double>]
    public var evaluate: () -> Double
    /// The declared kink the last evaluation crossed; nil for problems that do not probe (`probesKinks`).
    public var crossing: () -> KinkCrossing?
    /// Whether `crossing` is a probe (true) or no kink information exists (plain functions).
    public var probesKinks: Bool
    /// Called with a tensor's position before its entries are perturbed, and with nil when any tensor may
    /// change again: a model then re-runs only the layers from the one holding the tensor, reusing the
    /// unperturbed activations below it (`CheckTargets.model`). Nil for problems that always run whole.
    public var focus: ((Int?) -> Void)?

    public init(names: [String], tensors: [Tensor<Double>], analytic: [Tensor<Double>], evaluate: @escaping () -> Double,
                crossing: (() -> KinkCrossing?)? = nil) {
        precondition(names.count == tensors.count && tensors.count == analytic.count,
                     "\(names.count) names, \(tensors.count) tensors, \(analytic.count) gradients")
        for (t, g) in zip(tensors, analytic) {
            precondition(t.shape == g.shape, "tensor of shape \(t.shape) has a gradient of shape \(g.shape)")
        }
        self.names = names
        self.tensors = tensors
        self.analytic = analytic
        self.evaluate = evaluate
        self.crossing = crossing ?? { nil }
        self.probesKinks = crossing != nil
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
        defer { problem.focus?(nil) }
        return problem.tensors.indices.map { t in
            problem.focus?(t)
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

    /// The first step for an entry of magnitude `value`: torch's h = step·max(1, |θ|).
    func step(for value: Double) -> Double { tolerance.step * max(1, abs(value)) }

    /// The smallest step worth taking: the one whose predicted round-off, 16·ε·|f| / h, is a tenth of the
    /// tolerance for this entry (atol + rtol·|a|), and at least 8 ulps of the coordinate's magnitude so
    /// that θ ± h differs from θ.
    func roundoffFloor(f0: Double, analytic: Double, magnitude: Double) -> Double {
        let allowance = 0.1 * (tolerance.absolute + tolerance.relative * abs(analytic))
        return max(16 * Double.ulpOfOne * max(abs(f0), Double.leastNormalMagnitude) / max(allowance, 1e-300),
                   8 * Double.ulpOfOne * max(1e-300, magnitude))
    }

    /// At most this many smaller steps after the first one crossed a kink.
    static let maximumShrinks = 6

    /// The judgement of one entry or direction, with the step fitted to the kinks.
    ///
    /// ```
    /// h₀ = step·max(1, |θ|)
    /// while f(θ ± h) crossed a declared kink and h > floor:  h ← max(floor, h · min(1/2, r/2))
    /// ```
    /// where r = min |x₀ − k| / |x − x₀| over the crossing elements (`KinkCrossing.safeFraction`): to first
    /// order the step that stays on the reference side of every kink, halved. So the step ends up fitted to
    /// the size of the pre-activations the parameter feeds: in a deep ReLU net whose activations are
    /// ~1e-5, h = 1e-6 crosses many kinks, and the step shrinks until it crosses none. When even the
    /// round-off floor crosses one, the verdict is `kink`, naming the unit.
    func judge(analytic: Double, f0: Double, magnitude: Double, problem: CheckProblem, evaluations: inout Int,
               at: (Double) -> Double) -> EntryJudgement {
        var h = step(for: magnitude)
        let floor = roundoffFloor(f0: f0, analytic: analytic, magnitude: magnitude)
        var firstCrossing: KinkCrossing?
        var shrinks = 0
        while true {
            let plus = at(h), crossedPlus = problem.crossing()
            let minus = at(-h), crossedMinus = problem.crossing()
            evaluations += 2
            if let crossing = crossedPlus ?? crossedMinus {
                firstCrossing = firstCrossing ?? crossing
                if h <= floor || shrinks == Self.maximumShrinks {
                    return EntryJudgement(kinkAt: crossing, analytic: analytic, f0: f0, plus: plus, minus: minus, h: h,
                                          crossedForward: crossedPlus != nil, crossedBackward: crossedMinus != nil,
                                          tolerance: tolerance)
                }
                let r = min(crossedPlus?.safeFraction ?? 1, crossedMinus?.safeFraction ?? 1)
                h = max(floor, h * min(0.5, r / 2))
                shrinks += 1
                continue
            }
            let step = h
            var judgement = EntryJudgement(analytic: analytic, f0: f0, plus: plus, minus: minus, h: h,
                                           tolerance: tolerance, kinksProbed: problem.probesKinks) {
                evaluations += 2
                let halfPlus = at(step / 2), crossedPlus = problem.crossing()
                let halfMinus = at(-step / 2), crossedMinus = problem.crossing()
                return crossedPlus == nil && crossedMinus == nil ? (halfPlus, halfMinus) : nil
            }
            judgement.kink = firstCrossing
            return judgement
        }
    }

    func checkEntry(_ i: Int, in problem: CheckProblem, tensor t: Int, f0: Double, evaluations: inout Int) -> CheckedEntry {
        let x = problem.tensors[t]
        let original = x[i]
        let judgement = judge(analytic: problem.analytic[t][i], f0: f0, magnitude: original, problem: problem,
                              evaluations: &evaluations) { offset in
            x[i] = original + offset
            defer { x[i] = original }
            return problem.evaluate()
        }
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
        /// The judgement along v restricted to `indices`.
        let saved = x.scalars
        let claimed = gradient.scalars
        func along(_ indices: [Int]) -> EntryJudgement {
            let analytic = indices.reduce(0.0) { $0 + claimed[$1] * v[$1] }
            return judge(analytic: analytic, f0: f0, magnitude: scale, problem: problem,
                         evaluations: &evaluations) { offset in
                x.withUnsafeMutableBufferPointer { p in for i in indices { p[i] = saved[i] + offset * v[i] } }
                defer { x.withUnsafeMutableBufferPointer { p in for i in indices { p[i] = saved[i] } } }
                return problem.evaluate()
            }
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
        if entries.dropFirst().contains(where: { $0.judgement.verdict == .wrong }) { return entries }
        // Confirmation entry by entry: a direction is a sum over the whole tensor, and its difference can
        // miss the tolerance though every entry agrees. Every entry (a seeded sample of the largest and
        // random ones beyond `confirmationLimit`) is checked; the wrong ones, or else the worst, are kept.
        let checked = Set(entries.dropFirst().map(\.index))
        let indices = x.count <= Self.confirmationLimit
            ? Array(0..<x.count) : sampleIndices(gradient: gradient, count: Self.confirmationSample, generator: &generator)
        let confirmation = indices.filter { !checked.contains(coordinates($0, shape: x.shape)) }
            .map { checkEntry($0, in: problem, tensor: t, f0: f0, evaluations: &evaluations) }
        let wrong = confirmation.filter { $0.judgement.verdict == .wrong }
        if !wrong.isEmpty { return entries + wrong }
        // Unconfirmed: recorded as imprecise (the finite difference along v, not an entry, disagrees).
        entries[0].judgement.verdict = .imprecise
        if let worst = confirmation.max(by: { $0.judgement.relativeError < $1.judgement.relativeError }) {
            entries.append(worst)
        }
        return entries
    }

    /// Tensors up to this size are confirmed on every entry after a failing direction; larger ones on
    /// `confirmationSample` entries.
    static let confirmationLimit = 4096
    static let confirmationSample = 256
}

/// `i;j` for entry `flat` of a tensor of `shape` (row-major).
/// Built from the last axis backwards without intermediate arrays: full mode names every entry.
func coordinates(_ flat: Int, shape: [Int]) -> String {
    guard shape.count > 1 else { return String(flat) }
    var rest = flat
    var text = ""
    for axis in shape.indices.reversed() {
        let part = String(rest % shape[axis])
        text = axis == shape.count - 1 ? part : part + ";" + text
        rest /= shape[axis]
    }
    return text
}
