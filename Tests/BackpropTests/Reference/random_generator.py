"""The first outputs of RandomGenerator, from the published algorithms written out here by hand (no
GradLab code): SplitMix64 (Steele, Lea & Flood 2014) fills the four words of xoshiro256** (Blackman &
Vigna 2021); uniforms are (next >> 11) * 2**-53; normals are Box-Muller on u = 1 - uniform and
v = uniform, cosine first; integers below n are Lemire's multiply-high with rejection, the method of
Swift's RandomNumberGenerator.next(upperBound:). Run: python3 random_generator.py
"""
import math

MASK = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro256StarStar:
    def __init__(self, seed):
        self.s, state = [], seed
        for _ in range(4):
            state, word = splitmix64(state)
            self.s.append(word)

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next() >> 11) * 2.0**-53

    def normal_pair(self):
        u, v = 1 - self.uniform(), self.uniform()
        radius, angle = math.sqrt(-2 * math.log(u)), 2 * math.pi * v
        return radius * math.cos(angle), radius * math.sin(angle)

    def below(self, n):
        while True:
            product = self.next() * n
            if product & MASK >= ((1 << 64) - n) % n:
                return product >> 64


for seed in (0, 42):
    g = Xoshiro256StarStar(seed)
    print(f"seed {seed} next:", ", ".join(f"0x{g.next():016X}" for _ in range(4)))
print("seed 7 nextNormal:", ", ".join(repr(x) for x in Xoshiro256StarStar(7).normal_pair()))
g = Xoshiro256StarStar(3)
print("seed 3 nextInt(below: 10):", [g.below(10) for _ in range(8)])
g = Xoshiro256StarStar(3)
print("seed 3 nextInt(below: 1000003):", [g.below(1000003) for _ in range(3)])
