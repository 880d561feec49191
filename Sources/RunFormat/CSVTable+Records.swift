import Foundation

/// The run folder's record types read from a `CSVTable`, column by column. Columns other than the
/// required ones may be absent (added later, or not written by another framework).
extension CSVTable {
    public func steps() throws -> [StepRow] {
        let step = try integers("step"), loss = try required("loss"), norm = try required("grad_norm")
        let epoch = try optionalIntegers("epoch"), lr = try optionalNumbers("lr"), clipped = try optionalNumbers("clipped")
        let seconds = try optionalNumbers("seconds"), validation = try optionalNumbers("val_loss")
        let trainAccuracy = try optionalNumbers("train_accuracy"), validationAccuracy = try optionalNumbers("val_accuracy")
        return (0..<count).map { i in
            StepRow(step: step[i], epoch: epoch[i] ?? 0, loss: loss[i], learningRate: lr[i] ?? .nan,
                    gradientNorm: norm[i], clipped: (clipped[i] ?? 0) != 0, seconds: seconds[i] ?? .nan,
                    validationLoss: validation[i], trainAccuracy: trainAccuracy[i],
                    validationAccuracy: validationAccuracy[i])
        }
    }

    public func gradients() throws -> [GradientRow] {
        let step = try integers("step"), parameter = try texts("parameter"), layer = try texts("layer")
        let norm = try required("grad_norm"), maxAbs = try required("grad_max_abs")
        let mean = try optionalNumbers("grad_mean"), std = try optionalNumbers("grad_std"), zero = try optionalNumbers("zero_fraction")
        let nonfinite = try optionalIntegers("nonfinite"), weight = try optionalNumbers("weight_norm")
        let update = try optionalNumbers("update_norm"), ratio = try optionalNumbers("update_ratio")
        return (0..<count).map { i in
            GradientRow(step: step[i], parameter: parameter[i], layer: layer[i], norm: norm[i], mean: mean[i] ?? .nan,
                        standardDeviation: std[i] ?? .nan, maxAbs: maxAbs[i], zeroFraction: zero[i] ?? .nan,
                        nonfinite: nonfinite[i] ?? 0, weightNorm: weight[i] ?? .nan,
                        updateNorm: update[i] ?? .nan, updateRatio: ratio[i] ?? .nan)
        }
    }

    public func activations() throws -> [ActivationRow] {
        let step = try integers("step"), layer = try texts("layer")
        let mean = try optionalNumbers("mean"), std = try optionalNumbers("std"), low = try optionalNumbers("min"), high = try optionalNumbers("max")
        let saturated = try required("saturated_fraction"), dead = try required("dead_fraction")
        let nonfinite = try optionalIntegers("nonfinite")
        return (0..<count).map { i in
            ActivationRow(step: step[i], layer: layer[i], mean: mean[i] ?? .nan, standardDeviation: std[i] ?? .nan,
                          min: low[i] ?? .nan, max: high[i] ?? .nan, saturatedFraction: saturated[i],
                          deadFraction: dead[i], nonfinite: nonfinite[i] ?? 0)
        }
    }

    public func histograms() throws -> [HistogramRow] {
        let step = try integers("step"), layer = try texts("layer"), tensor = try texts("tensor")
        let bin = try integers("bin"), lo = try required("lo"), hi = try required("hi"), count = try integers("count")
        return (0..<self.count).map { i in
            HistogramRow(step: step[i], layer: layer[i], tensor: tensor[i], bin: bin[i], lo: lo[i], hi: hi[i],
                         count: count[i])
        }
    }

    /// The findings, one per span: closing rows replace their finding's first row (`FindingRow.spans`).
    public func findings() throws -> [FindingRow] {
        let step = try integers("step"), layer = try texts("layer")
        let kind = try vocabulary("kind", FindingKind.self, "a finding kind")
        let severity = try vocabulary("severity", FindingSeverity.self, "a severity"), message = try texts("message")
        let value = try optionalNumbers("value"), threshold = try optionalNumbers("threshold")
        let lastStep = try optionalIntegers("last_step")
        return FindingRow.spans((0..<count).map { i in
            FindingRow(step: step[i], layer: layer[i], kind: kind[i], severity: severity[i], value: value[i] ?? .nan,
                       threshold: threshold[i] ?? .nan, message: message[i], lastStep: lastStep[i])
        })
    }

    public func gradchecks() throws -> [GradcheckRow] {
        let step = try optionalIntegers("step"), parameter = try texts("parameter"), index = try texts("index")
        let analytic = try optionalNumbers("analytic"), numeric = try optionalNumbers("numeric")
        let absolute = try required("abs_error"), relative = try required("rel_error")
        let verdict = try vocabulary("verdict", EntryVerdict.self, "a verdict")
        // The evidence columns, added later: optional.
        let h = try optionalNumbers("h"), forward = try optionalNumbers("forward_slope")
        let backward = try optionalNumbers("backward_slope"), crossed = try optionalNumbers("kink_crossed")
        let unit = columns.contains("kink_unit") ? try texts("kink_unit") : Array(repeating: "", count: count)
        let roundoff = try optionalNumbers("roundoff_error"), truncation = try optionalNumbers("truncation_error")
        return (0..<count).map { i in
            GradcheckRow(step: step[i], parameter: parameter[i], index: index[i],
                         analytic: analytic[i] ?? .nan, numeric: numeric[i] ?? .nan, absoluteError: absolute[i],
                         relativeError: relative[i], verdict: verdict[i], h: h[i] ?? .nan,
                         forwardSlope: forward[i] ?? .nan, backwardSlope: backward[i] ?? .nan,
                         kinkCrossed: (crossed[i] ?? 0) != 0, kinkUnit: unit[i], roundoffError: roundoff[i] ?? .nan,
                         truncationError: truncation[i] ?? .nan)
        }
    }

    /// A column of words from one of the format's vocabularies. A word outside it is an error naming the
    /// line, the word and the allowed ones, as a bad number is: a report must not guess what another
    /// framework meant by a kind or verdict GradLab does not know.
    func vocabulary<T: RawRepresentable & CaseIterable>(_ name: String, _: T.Type, _ noun: String) throws -> [T]
    where T.RawValue == String {
        try texts(name).enumerated().map { r, text in
            guard let value = T(rawValue: text) else {
                throw RunFolderError.malformed(path: path, line: line(ofRow: r), reason: "'\(Self.clipped(text, limit: 50))' "
                    + "in column '\(name)' is not \(noun); allowed: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return value
        }
    }

    public func sweep() throws -> [RunData.SweepRow] {
        let parameter = try texts("parameter"), index = try texts("index"), h = try required("h")
        let numeric = try optionalNumbers("numeric"), absolute = try optionalNumbers("abs_error"), relative = try required("rel_error")
        return (0..<count).map { i in
            RunData.SweepRow(parameter: parameter[i], index: index[i], h: h[i], numeric: numeric[i] ?? .nan,
                             absoluteError: absolute[i] ?? .nan, relativeError: relative[i])
        }
    }
}
