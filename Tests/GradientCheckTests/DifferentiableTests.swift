import _Differentiation
import XCTest
@testable import GradientCheck

@differentiable(reverse)
func smooth(_ x: Double, _ y: Double) -> Double { x * x * y + y / x - 3 * x * y * y }

func cube(_ x: Double) -> Double { x * x * x }

/// A deliberately wrong custom derivative: d(x³)/dx is 3x², not 2x².
@derivative(of: cube)
func cubeWrongVJP(_ x: Double) -> (value: Double, pullback: (Double) -> Double) {
    (cube(x), { v in v * 2 * x * x })
}

@differentiable(reverse)
func usesCube(_ x: Double, _ y: Double) -> Double { cube(x) + y * x }

/// Swift's own automatic differentiation, checked like any claimed gradient.
final class DifferentiableTests: XCTestCase {
    func testSwiftDifferentiationAgreesWithFiniteDifferences() {
        let (gx, gy) = gradient(at: 0.7, 1.3, of: smooth)
        let problem = CheckTargets.function({ smooth($0[0], $0[1]) }, gradient: [gx, gy], at: [0.7, 1.3])
        XCTAssertEqual(GradientChecker(mode: .full).check(problem)[0].entries.map(\.judgement.verdict), [.ok, .ok])
    }

    func testAWrongCustomDerivativeIsCaught() {
        let (gx, gy) = gradient(at: 1.5, -0.4, of: usesCube)
        let problem = CheckTargets.function({ usesCube($0[0], $0[1]) }, gradient: [gx, gy], at: [1.5, -0.4])
        let entries = GradientChecker(mode: .full).check(problem)[0].entries
        XCTAssertEqual(entries.map(\.judgement.verdict), [.wrong, .ok], "∂/∂x uses the wrong derivative, ∂/∂y does not")
        XCTAssertEqual(entries[0].judgement.numeric, 3 * 1.5 * 1.5 - 0.4, accuracy: 1e-6)
    }
}
