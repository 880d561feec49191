import Backprop
import Foundation
import GradientCheck

extension GradLabBench {
    /// The gradient checker's cost: full and direction mode on an MLP 8 → 3 × 16 tanh → 4 (756 parameters)
    /// and on one of about 10⁴ parameters, batch 4, MSE, in Double; with the time of one function
    /// evaluation (a forward pass and the loss), since full mode needs at least two per entry.
    func gradientCheckTimings() {
        for sizes in [[8, 16, 16, 16, 4], [8, 64, 64, 64, 4]] {
            var generator = RandomGenerator(seed: seed)
            let model = Sequential<Double>.multilayerPerceptron(sizes: sizes, activation: .tanh,
                                                                initializer: .xavierUniform(), generator: &generator)
            let x = Tensor<Double>(shape: [4, sizes[0]]), y = Tensor<Double>(shape: [4, sizes.last!])
            for i in 0..<x.count { x[i] = generator.nextNormal() }
            for i in 0..<y.count { y[i] = generator.nextNormal() }
            let (problem, restore) = CheckTargets.model(model, loss: MeanSquaredError<Double>(), inputs: x, target: .values(y))
            defer { restore() }
            let parameters = model.parameterCount
            func median(_ rounds: Int, _ body: () -> Void) -> Double {
                var times: [Double] = []
                for _ in 0..<rounds {
                    let start = DispatchTime.now().uptimeNanoseconds
                    body()
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                }
                return times.sorted()[rounds / 2]
            }
            var sink = 0.0
            let evaluation = median(2001) { sink += problem.evaluate() } 
            var evaluations = 0
            let full = median(9) {
                evaluations = GradientChecker(mode: .full).check(problem).reduce(0) { $0 + $1.evaluations }
            }
            var directionEvaluations = 0
            let direction = median(51) {
                directionEvaluations = GradientChecker(mode: .direction).check(problem).reduce(0) { $0 + $1.evaluations }
            }
            precondition(sink.isFinite)
            print(String(format: "gradient check, MLP %@ tanh, batch 4, MSE, Double, %d parameters: one evaluation %.4f ms; "
                         + "full %.2f ms (%d evaluations, %.0f per second; 2 whole evaluations per entry would take %.2f ms); "
                         + "direction %.3f ms (%d evaluations)",
                         sizes.map(String.init).joined(separator: "-"), parameters, evaluation, full, evaluations,
                         Double(evaluations) / (full / 1000), 2 * Double(parameters) * evaluation, direction,
                         directionEvaluations))
        }
    }
}
