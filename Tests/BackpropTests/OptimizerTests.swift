import Backprop
import CAllocationCounter
import XCTest

/// Each optimizer's first three steps against numbers worked out from its documented update rule
/// (Reference/optimizer_steps.py writes the formulas out line by line, independent of this code).
/// θ₀ = [1, −2] and the three gradients are given, so nothing else enters.
final class OptimizerTests: XCTestCase {
    private let gradients: [[Double]] = [[0.5, -1.0], [0.3, 0.2], [-0.4, 0.1]]

    private func assertSteps(
        _ make: ([NamedParameter<Double>]) -> any Optimizer<Double>, _ expected: [[Double]],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let parameter = Parameter(Tensor<Double>(shape: [2], scalars: [1, -2]))
        let optimizer = make([NamedParameter(name: "w", parameter: parameter, role: .weight)])
        for (t, gradient) in gradients.enumerated() {
            parameter.zeroGradient()
            parameter.gradient[0] = gradient[0]
            parameter.gradient[1] = gradient[1]
            optimizer.step()
            for i in 0..<2 {
                // Only the order of floating-point operations differs from the reference: 1e−12 relative.
                XCTAssertEqual(parameter.value[i], expected[t][i], accuracy: 1e-12 * max(1, abs(expected[t][i])),
                               "\(optimizer.name) step \(t + 1), θ[\(i)]", file: file, line: line)
            }
        }
        XCTAssertEqual(optimizer.stepCount, 3, file: file, line: line)
    }

    func testSGD() {
        assertSteps({ SGD(parameters: $0, learningRate: 0.1) },
                    [[0.95, -1.9], [0.92, -1.92], [0.96, -1.93]])
        assertSteps({ SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, dampening: 0.5, weightDecay: 0.1) },
                    [[0.94, -1.88], [0.8663, -1.7726], [0.8156385, -1.672077]])
        assertSteps({ SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, nesterov: true) },
                    [[0.905, -1.81], [0.8075, -1.767], [0.82275, -1.7293]])
    }

    func testRMSprop() {
        assertSteps({ RMSprop(parameters: $0, learningRate: 0.01) },
                    [[0.900000019999996, -1.900000009999999], [0.8483602509394512, -1.9197065936215374],
                     [0.9052640832496293, -1.9295613206911095]])
        assertSteps({ RMSprop(parameters: $0, learningRate: 0.01, weightDecay: 0.1, momentum: 0.5, centered: true) },
                    [[0.8994962353090928, -1.8994962268915865], [0.7940297056100527, -1.850090187391123],
                     [0.7826203768291163, -1.818210321293768]])
    }

    func testAdagrad() {
        assertSteps({ Adagrad(parameters: $0, learningRate: 0.1, learningRateDecay: 0.1, weightDecay: 0.1,
                              initialAccumulatorValue: 0.5) },
                    [[0.9353003360849137, -1.913845020972057], [0.8997878668877343, -1.9144073344883377],
                     [0.9242986525789193, -1.9089483052174647]])
    }

    func testAdamAndAMSGradAndAdamW() {
        assertSteps({ Adam(parameters: $0, learningRate: 0.1) },
                    [[0.900000002, -1.900000001], [0.8042509867088761, -1.8488973939904947],
                     [0.7793923040411518, -1.815824099722949]])
        assertSteps({ Adam(parameters: $0, learningRate: 0.1, beta2: 0.5, weightDecay: 0.1, amsgrad: true) },
                    [[0.9000000016666666, -1.9000000008333333], [0.8000866062852365, -1.8425229394685938],
                     [0.7580239890672879, -1.7999219385556344]])
        assertSteps({ Adam.adamW(parameters: $0, learningRate: 0.1) },
                    [[0.899000002, -1.898000001], [0.802351986706876, -1.8449993939894946],
                     [0.7766909520524449, -1.8100811003279593]])
    }

    func testLion() {
        assertSteps({ Lion(parameters: $0, learningRate: 0.1, weightDecay: 0.1) },
                    [[0.89, -1.88], [0.7811, -1.9612], [0.873289, -2.041588]])
    }

    func testDefaultsAreTorchs() {
        let p = [NamedParameter(name: "w", parameter: Parameter(Tensor<Float>(shape: [1])), role: .weight)]
        let adam = Adam(parameters: p)
        XCTAssertEqual([adam.learningRate, adam.beta1, adam.beta2, adam.epsilon, adam.weightDecay], [1e-3, 0.9, 0.999, 1e-8, 0])
        XCTAssertEqual(Adam.adamW(parameters: p).weightDecay, 0.01)
        let rms = RMSprop(parameters: p)
        XCTAssertEqual([rms.learningRate, rms.alpha, rms.epsilon], [0.01, 0.99, 1e-8])
        let ada = Adagrad(parameters: p)
        XCTAssertEqual([ada.learningRate, ada.epsilon], [0.01, 1e-10])
        XCTAssertEqual(OptimizerKind(rawValue: "adamw")?.make(parameters: p).name, "adamw")
        XCTAssertEqual(OptimizerKind.allCases.map { $0.make(parameters: p).name },
                       ["sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw", "lion"])
    }

    /// Seeded convergence: every optimizer brings a convex quadratic's loss down by 100× in 300 steps.
    func testEveryOptimizerMinimisesAQuadratic() {
        for kind in OptimizerKind.allCases {
            let parameter = Parameter(Tensor<Double>(shape: [3], scalars: [1, -2, 3]))
            // Sign-like and adaptive steps move about γ per coordinate: γ = 0.05 covers the distance 3 in
            // 300 steps; Adagrad's steps shrink as 1/√t and need a larger γ; SGD's contract by 1 − 2γ.
            let rate = switch kind {
            case .sgd, .momentum, .nesterov: 0.1
            case .adagrad: 0.5
            case .rmsprop, .adam, .adamw, .lion: 0.05
            }
            let optimizer = kind.make(parameters: [NamedParameter(name: "w", parameter: parameter, role: .weight)], learningRate: rate,
                                      weightDecay: 0)
            func loss() -> Double { parameter.value.scalars.reduce(0) { $0 + $1 * $1 } }
            let initial = loss()
            for _ in 0..<300 {
                parameter.zeroGradient()
                for i in 0..<3 { parameter.gradient[i] = 2 * parameter.value[i] }
                optimizer.step()
            }
            XCTAssertLessThan(loss(), initial / 100, "\(kind.rawValue) at lr \(rate)")
        }
    }
}

final class ClippingAndScheduleTests: XCTestCase {
    private func parameters(_ values: [[Double]]) -> [NamedParameter<Double>] {
        values.enumerated().map { index, gradient in
            let p = Parameter(Tensor<Double>(shape: [gradient.count]))
            for (i, g) in gradient.enumerated() { p.gradient[i] = g }
            return NamedParameter(name: "p\(index)", parameter: p, role: .weight)
        }
    }

    func testClipByNormReportsTheNormBeforeClipping() {
        let p = parameters([[3, 0], [0, 4]])  // global norm 5
        let (norm, clipped) = GradientClipping.norm(1).apply(to: p)
        XCTAssertEqual(norm, 5)
        XCTAssertTrue(clipped)
        XCTAssertEqual(GradientClipping.globalNorm(p), 1, accuracy: 1e-6, "rescaled to the threshold (torch's +1e−6)")
        XCTAssertEqual(p[0].parameter.gradient[0], 3 / (5 + 1e-6), accuracy: 1e-15)
        let untouched = parameters([[0.3, 0.4]])
        XCTAssertEqual(GradientClipping.norm(1).apply(to: untouched).clipped, false)
        XCTAssertEqual(untouched[0].parameter.gradient.scalars, [0.3, 0.4])
    }

    func testClipByValue() {
        let p = parameters([[-3, 0.5, 2]])
        let (norm, clipped) = GradientClipping.value(1).apply(to: p)
        XCTAssertEqual(norm, (9 + 0.25 + 4).squareRoot(), accuracy: 1e-15)
        XCTAssertTrue(clipped)
        XCTAssertEqual(p[0].parameter.gradient.scalars, [-1, 0.5, 1])
    }

    func testSchedules() {
        XCTAssertEqual(LearningRateSchedule.constant.learningRate(base: 0.1, step: 99), 0.1)
        XCTAssertEqual((0..<5).map { LearningRateSchedule.step(size: 2, factor: 0.5).learningRate(base: 1, step: $0) },
                       [1, 1, 0.5, 0.5, 0.25])
        XCTAssertEqual(LearningRateSchedule.exponential(factor: 0.9).learningRate(base: 1, step: 2), 0.81, accuracy: 1e-15)
        let cosine = LearningRateSchedule.cosine(steps: 10, minimum: 0.1)
        XCTAssertEqual(cosine.learningRate(base: 1, step: 0), 1)
        XCTAssertEqual(cosine.learningRate(base: 1, step: 5), 0.55, accuracy: 1e-15)
        XCTAssertEqual(cosine.learningRate(base: 1, step: 10), 0.1, accuracy: 1e-15)
        XCTAssertEqual(cosine.learningRate(base: 1, step: 20), 0.1, accuracy: 1e-15, "stays at the minimum")
        let warm = LearningRateSchedule.warmup(steps: 4, then: .constant)
        XCTAssertEqual((0..<6).map { warm.learningRate(base: 1, step: $0) }, [0.25, 0.5, 0.75, 1, 1, 1])
        XCTAssertEqual(LearningRateSchedule(parsing: "warmup:100,cosine", totalSteps: 1000),
                       .warmup(steps: 100, then: .cosine(steps: 900, minimum: 0)))
        XCTAssertEqual(LearningRateSchedule(parsing: "step:30:0.1", totalSteps: 1), .step(size: 30, factor: 0.1))
        XCTAssertNil(LearningRateSchedule(parsing: "step:30", totalSteps: 1))
        XCTAssertNil(LearningRateSchedule(parsing: "linear", totalSteps: 1))
    }
}

/// `step(measuringInto:)` against `step()` on a twin: the same weights to the bit, and norms equal to
/// those of the change and of the weights computed here from copies.
final class AppliedUpdateTests: XCTestCase {
    private let kinds = OptimizerKind.allCases

    /// Parameters of 37, 8 and 1100 elements (a tail after the sixteen-lane loop, none, and three 512-element
    /// blocks of the measured loop, the last partial), random values and
    /// gradients, three steps.
    private func twins<Scalar: TensorScalar>(_ kind: OptimizerKind, _: Scalar.Type)
        -> (plain: any Optimizer<Scalar>, measured: any Optimizer<Scalar>) {
        func parameters() -> [NamedParameter<Scalar>] {
            var generator = RandomGenerator(seed: 11)
            return [37, 8, 1100].enumerated().map { index, count in
                let value = Tensor<Scalar>(shape: [count], scalars: (0..<count).map { _ in Scalar(generator.nextNormal()) })
                return NamedParameter(name: "p\(index)", parameter: Parameter(value), role: .weight)
            }
        }
        return (kind.make(parameters: parameters(), learningRate: 0.05, weightDecay: 0.01),
                kind.make(parameters: parameters(), learningRate: 0.05, weightDecay: 0.01))
    }

    /// `tolerance`: the norms' relative error, from lanes that add in Float over blocks of 512 values
    /// (about 2e-6 at most) or in Double.
    private func assertMeasured<Scalar: TensorScalar>(_ type: Scalar.Type, tolerance: Double) {
        for kind in kinds {
            let (plain, measured) = twins(kind, type)
            var generator = RandomGenerator(seed: 3)
            var updates: [AppliedUpdate] = []
            for step in 1...3 {
                for (a, b) in zip(plain.parameters, measured.parameters) {
                    for i in 0..<a.parameter.value.count {
                        let g = Scalar(generator.nextNormal())
                        a.parameter.gradient[i] = g
                        b.parameter.gradient[i] = g
                    }
                }
                let before = measured.parameters.map(\.parameter.value.scalars)
                plain.step()
                measured.step(measuringInto: &updates)
                XCTAssertEqual(updates.count, 3, "\(kind) step \(step)")
                for (index, (a, b)) in zip(plain.parameters, measured.parameters).enumerated() {
                    let after = b.parameter.value.scalars
                    XCTAssertEqual(a.parameter.value.scalars, after, "\(kind) step \(step): weights differ from step()")
                    let change = zip(after, before[index]).map { Double($0 - $1) }
                    let changeNorm = change.map { $0 * $0 }.reduce(0, +).squareRoot()
                    let weightNorm = after.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
                    XCTAssertGreaterThan(changeNorm, 0, "\(kind) step \(step): the step moved nothing")
                    XCTAssertEqual(updates[index].updateNorm, changeNorm, accuracy: tolerance * changeNorm,
                                   "\(kind) step \(step) \(b.name) update norm")
                    XCTAssertEqual(updates[index].weightNorm, weightNorm, accuracy: tolerance * weightNorm,
                                   "\(kind) step \(step) \(b.name) weight norm")
                }
            }
            XCTAssertEqual(measured.stepCount, 3)
        }
    }

    /// Measuring adds no heap allocation to a step, for every optimizer, in Float and Double: a measured
    /// step allocates exactly as often as `step()` on its twin (none in a release build; the count of the
    /// process's mallocs, so a debug build's generic iterator allocations appear on both sides alike).
    private func assertNoAllocation<Scalar: TensorScalar>(_ type: Scalar.Type) {
        for kind in kinds {
            let (plain, measured) = twins(kind, type)
            for parameter in plain.parameters + measured.parameters {
                for i in 0..<parameter.parameter.value.count { parameter.parameter.gradient[i] = 0.25 }
            }
            var updates: [AppliedUpdate] = []
            plain.step()
            measured.step(measuringInto: &updates)  // sizes `updates`
            let start = gradlab_allocation_count()
            for _ in 0..<5 { plain.step() }
            let middle = gradlab_allocation_count()
            for _ in 0..<5 { measured.step(measuringInto: &updates) }
            let plainCount = middle - start, measuredCount = gradlab_allocation_count() - middle
            XCTAssertEqual(measuredCount, plainCount, "\(kind) \(Scalar.self): measuring allocated")
            XCTAssertEqual(measured.stepCount, 6)
        }
    }

    func testMeasuringAllocatesNothingInFloat() { assertNoAllocation(Float.self) }
    func testMeasuringAllocatesNothingInDouble() { assertNoAllocation(Double.self) }

    func testMeasuredStepEqualsPlainStepAndMeasuresTheChangeInFloat() { assertMeasured(Float.self, tolerance: 4e-6) }
    func testMeasuredStepEqualsPlainStepAndMeasuresTheChangeInDouble() { assertMeasured(Double.self, tolerance: 1e-12) }

    /// An update below half an ulp of the weight leaves it unchanged: the applied update is 0, not γ·g.
    func testAnUpdateThatRoundsAwayMeasuresZero() {
        let parameter = Parameter(Tensor<Float>(shape: [3], scalars: [1, 1, 1]))
        let sgd = SGD(parameters: [NamedParameter(name: "w", parameter: parameter, role: .weight)], learningRate: 1e-9)
        for i in 0..<3 { parameter.gradient[i] = 1 }
        var updates: [AppliedUpdate] = []
        sgd.step(measuringInto: &updates)
        XCTAssertEqual(parameter.value.scalars, [1, 1, 1])
        XCTAssertEqual(updates, [AppliedUpdate(updateNorm: 0, weightNorm: 3.0.squareRoot())])
    }
}
