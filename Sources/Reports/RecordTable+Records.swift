import RunFormat

/// The run folder's record types read from a `RecordTable`, column by column.
extension RecordTable {
    func steps() throws -> [StepRow] {
        let step = try integers("step"), loss = try required("loss"), norm = try required("grad_norm")
        let epoch = try optional("epoch"), lr = try optional("lr"), clipped = try optional("clipped")
        let seconds = try optional("seconds"), validation = try optional("val_loss")
        let trainAccuracy = try optional("train_accuracy"), validationAccuracy = try optional("val_accuracy")
        return (0..<count).map { i in
            StepRow(step: step[i], epoch: Int(epoch[i] ?? 0), loss: loss[i], learningRate: lr[i] ?? .nan,
                    gradientNorm: norm[i], clipped: (clipped[i] ?? 0) != 0, seconds: seconds[i] ?? .nan,
                    validationLoss: validation[i], trainAccuracy: trainAccuracy[i],
                    validationAccuracy: validationAccuracy[i])
        }
    }

    func gradients() throws -> [GradientRow] {
        let step = try integers("step"), parameter = try texts("parameter"), layer = try texts("layer")
        let norm = try required("grad_norm"), maxAbs = try required("grad_max_abs")
        let mean = try optional("grad_mean"), std = try optional("grad_std"), zero = try optional("zero_fraction")
        let nonfinite = try optional("nonfinite"), weight = try optional("weight_norm")
        let update = try optional("update_norm"), ratio = try optional("update_ratio")
        return (0..<count).map { i in
            GradientRow(step: step[i], parameter: parameter[i], layer: layer[i], norm: norm[i], mean: mean[i] ?? .nan,
                        standardDeviation: std[i] ?? .nan, maxAbs: maxAbs[i], zeroFraction: zero[i] ?? .nan,
                        nonfinite: Int(nonfinite[i] ?? 0), weightNorm: weight[i] ?? .nan,
                        updateNorm: update[i] ?? .nan, updateRatio: ratio[i] ?? .nan)
        }
    }

    func activations() throws -> [ActivationRow] {
        let step = try integers("step"), layer = try texts("layer")
        let mean = try optional("mean"), std = try optional("std"), low = try optional("min"), high = try optional("max")
        let saturated = try required("saturated_fraction"), dead = try required("dead_fraction")
        let nonfinite = try optional("nonfinite")
        return (0..<count).map { i in
            ActivationRow(step: step[i], layer: layer[i], mean: mean[i] ?? .nan, standardDeviation: std[i] ?? .nan,
                          min: low[i] ?? .nan, max: high[i] ?? .nan, saturatedFraction: saturated[i],
                          deadFraction: dead[i], nonfinite: Int(nonfinite[i] ?? 0))
        }
    }

    func histograms() throws -> [HistogramRow] {
        let step = try integers("step"), layer = try texts("layer"), tensor = try texts("tensor")
        let bin = try integers("bin"), lo = try required("lo"), hi = try required("hi"), count = try integers("count")
        return (0..<self.count).map { i in
            HistogramRow(step: step[i], layer: layer[i], tensor: tensor[i], bin: bin[i], lo: lo[i], hi: hi[i],
                         count: count[i])
        }
    }

    func findings() throws -> [FindingRow] {
        let step = try integers("step"), layer = try texts("layer"), kind = try texts("kind")
        let severity = try texts("severity"), message = try texts("message")
        let value = try optional("value"), threshold = try optional("threshold")
        return (0..<count).map { i in
            FindingRow(step: step[i], layer: layer[i], kind: kind[i], severity: severity[i], value: value[i] ?? .nan,
                       threshold: threshold[i] ?? .nan, message: message[i])
        }
    }

    func gradchecks() throws -> [GradcheckRow] {
        let step = try numbers("step"), parameter = try texts("parameter"), index = try texts("index")
        let analytic = try optional("analytic"), numeric = try optional("numeric")
        let absolute = try required("abs_error"), relative = try required("rel_error"), verdict = try texts("verdict")
        return (0..<count).map { i in
            GradcheckRow(step: step[i].map { Int($0) }, parameter: parameter[i], index: index[i],
                         analytic: analytic[i] ?? .nan, numeric: numeric[i] ?? .nan, absoluteError: absolute[i],
                         relativeError: relative[i], verdict: verdict[i])
        }
    }

    func sweep() throws -> [RunData.SweepRow] {
        let parameter = try texts("parameter"), index = try texts("index"), h = try required("h")
        let numeric = try optional("numeric"), absolute = try optional("abs_error"), relative = try required("rel_error")
        return (0..<count).map { i in
            RunData.SweepRow(parameter: parameter[i], index: index[i], h: h[i], numeric: numeric[i] ?? .nan,
                             absoluteError: absolute[i] ?? .nan, relativeError: relative[i])
        }
    }

    /// A column that may be absent from the file (added later, or written by another framework).
    private func optional(_ name: String) throws -> [Double?] {
        columns.contains(name) ? try numbers(name) : Array(repeating: nil, count: count)
    }
}
