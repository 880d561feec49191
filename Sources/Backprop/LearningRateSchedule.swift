import RealModule

/// The learning rate as a function of the step, t = 0, 1, 2, ... (the number of optimizer steps taken).
///
/// ```
/// constant                 γ₀
/// step(size s, factor f)   γ₀ · f^⌊t/s⌋                                   torch StepLR
/// exponential(f)           γ₀ · fᵗ                                         torch ExponentialLR
/// cosine(T, γ_min)         γ_min + (γ₀ − γ_min)(1 + cos(π·min(t, T)/T))/2   torch CosineAnnealingLR, one half-period
/// warmup(w, then: s)       γ₀ · (t + 1)/w for t < w, then s at step t − w   linear warm-up (Goyal et al. 2017)
/// ```
/// Schedules are applied per step, not per epoch.
public indirect enum LearningRateSchedule: Sendable, Equatable {
    case constant
    case step(size: Int, factor: Double)
    case exponential(factor: Double)
    case cosine(steps: Int, minimum: Double = 0)
    case warmup(steps: Int, then: LearningRateSchedule)

    /// The learning rate at step `t` for a base rate γ₀.
    public func learningRate(base: Double, step t: Int) -> Double {
        switch self {
        case .constant:
            return base
        case .step(let size, let factor):
            return base * Double.pow(factor, Double(t / Swift.max(size, 1)))
        case .exponential(let factor):
            return base * Double.pow(factor, Double(t))
        case .cosine(let steps, let minimum):
            let progress = Double(Swift.min(t, steps)) / Double(Swift.max(steps, 1))
            return minimum + (base - minimum) * (1 + Double.cos(Double.pi * progress)) / 2
        case .warmup(let steps, let then):
            if t < steps { return base * Double(t + 1) / Double(steps) }
            return then.learningRate(base: base, step: t - steps)
        }
    }

    /// Parses `constant`, `step:SIZE:FACTOR`, `exponential:FACTOR`, `cosine[:STEPS[:MIN]]`, each optionally
    /// prefixed by `warmup:STEPS,` (for example `warmup:100,cosine`). `cosine` without STEPS runs over
    /// `totalSteps`. Nil if malformed.
    public init?(parsing text: String, totalSteps: Int) {
        let lowered = text.lowercased().trimmingCharacters(in: .whitespaces)
        if lowered.hasPrefix("warmup:") {
            let rest = lowered.dropFirst("warmup:".count)
            let parts = rest.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
            guard let steps = Int(parts.first ?? ""), steps > 0 else { return nil }
            // `warmup:100` alone warms up into a constant rate; `warmup:100,` names no schedule after it.
            let tail = parts.count == 2 ? String(parts[1]) : "constant"
            guard let then = LearningRateSchedule(parsing: tail, totalSteps: Swift.max(totalSteps - steps, 1)) else {
                return nil
            }
            self = .warmup(steps: steps, then: then)
            return
        }
        let fields = lowered.split(separator: ":").map(String.init)
        switch fields.first {
        case "constant" where fields.count == 1:
            self = .constant
        case "step" where fields.count == 3:
            guard let size = Int(fields[1]), size > 0, let factor = Double(fields[2]), factor > 0, factor.isFinite else {
                return nil
            }
            self = .step(size: size, factor: factor)
        case "exponential" where fields.count == 2:
            guard let factor = Double(fields[1]), factor > 0, factor.isFinite else { return nil }
            self = .exponential(factor: factor)
        case "cosine" where fields.count <= 3:
            let steps = fields.count >= 2 ? Int(fields[1]) : totalSteps
            let minimum = fields.count == 3 ? Double(fields[2]) : 0
            guard let steps, steps > 0, let minimum, minimum >= 0, minimum.isFinite else { return nil }
            self = .cosine(steps: steps, minimum: minimum)
        default:
            return nil
        }
    }
}

import Foundation
