/// The one seeded pseudo-random generator of GradLab: xoshiro256** seeded through SplitMix64.
///
/// ```
/// seeding:  s0…s3 = four successive SplitMix64 outputs of the seed
/// next:     result = rotl(s1 · 5, 7) · 9;  t = s1 << 17;  s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
///           s2 ^= t;  s3 = rotl(s3, 45)
/// uniform:  (next >> 11) · 2⁻⁵³ ∈ [0, 1)
/// normal:   Box–Muller on two uniforms; the second value of each pair is kept for the next call
/// ```
/// Passed `inout` to everything random (initialisers, datasets, dropout), so the same seed gives the
/// same weights, batches and losses bit for bit on a machine.
/// Reference: Blackman & Vigna (2021), *Scrambled Linear Pseudorandom Number Generators*; Steele, Lea &
/// Flood (2014) for SplitMix64; Box & Muller (1958).
public struct RandomGenerator: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64
    private var spareNormal: Double?

    /// A generator whose whole sequence is determined by `seed`.
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    @inline(__always)
    private static func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotateLeft(s3, 45)
        return result
    }

    /// A uniform draw from [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform draw from [low, high).
    public mutating func nextUniform(in low: Double, _ high: Double) -> Double {
        low + (high - low) * nextUniform()
    }

    /// A draw from the normal distribution with the given mean and standard deviation.
    public mutating func nextNormal(mean: Double = 0, standardDeviation: Double = 1) -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return mean + standardDeviation * spare
        }
        // 1 − u lies in (0, 1], so the logarithm is finite.
        let u = 1 - nextUniform()
        let v = nextUniform()
        let radius = (-2 * _log(u)).squareRoot()
        let angle = 2 * Double.pi * v
        spareNormal = radius * _sin(angle)
        return mean + standardDeviation * radius * _cos(angle)
    }

    /// A uniformly chosen integer in 0..<upperBound.
    public mutating func nextInt(below upperBound: Int) -> Int {
        precondition(upperBound > 0, "nextInt(below:) needs a positive bound, got \(upperBound)")
        return Int.random(in: 0..<upperBound, using: &self)
    }
}

import RealModule

@inline(__always) private func _log(_ x: Double) -> Double { Double.log(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Double.sin(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Double.cos(x) }
