import Backprop
import Foundation

/// A dataset stored as a safetensors file (`--data seq.safetensors`), as torch code writes one with
/// `safetensors.torch.save_file({"inputs": x, "labels": y})`:
///
/// ```
/// inputs   F32 or F64 [N, ...]    features, images [N, C, H, W] or sequences [N, T, F]
///          I64 [N, T]             token ids (≥ 0) for an Embedding layer
/// labels   I64 [N]                class indices 0..<K, K = the largest label + 1        (classification)
/// targets  F32 or F64 [N, k]      regression targets                                      (or regression)
/// ```
/// Exactly one of `labels` and `targets`. Every float must be finite; every problem names the file, the
/// tensor and what to change.
public enum SafeTensorsDataset {
    /// Token ids are stored as `Scalar` values; above 2²⁴ a Float no longer holds every whole number.
    public static let largestTokenID: Int64 = 1 << 24

    public static func load<Scalar: TensorScalar>(path: String, as: Scalar.Type = Scalar.self) throws -> Dataset<Scalar> {
        let file = try SafeTensors(contentsOf: URL(fileURLWithPath: path))
        func problem(_ tensor: String, _ message: String) -> ExperimentError {
            ExperimentError(setting: "data", message: "\(path): tensor '\(tensor)' \(message)")
        }
        guard let inputs = file["inputs"] else {
            let names = file.entries.map(\.name).prefix(8).map(quoted).joined(separator: ", ")
            throw ExperimentError(setting: "data", message: "\(path) has no tensor 'inputs' (it holds \(names.isEmpty ? "none" : names)); "
                                  + "a dataset file holds 'inputs' and 'labels' or 'targets'")
        }
        guard inputs.shape.count >= 2, inputs.shape.allSatisfy({ $0 > 0 }) else {
            throw problem("inputs", "has shape \(inputs.shape); it must be [N, ...] with N ≥ 1 examples and no empty axis")
        }
        let count = inputs.shape[0]
        let x = Tensor<Scalar>(shape: inputs.shape)
        if let values: [Scalar] = inputs.floatingPointValues() {
            guard values.allSatisfy(\.isFinite) else {
                let at = values.firstIndex { !$0.isFinite } ?? 0
                throw problem("inputs", "holds \(values[at]) at flat index \(at); every input must be a finite number")
            }
            for (i, v) in values.enumerated() { x[i] = v }
        } else if let ids = inputs.integerValues() {
            guard inputs.shape.count == 2 else {
                throw problem("inputs", "holds I64 token ids of shape \(inputs.shape); token ids must be [N, T]")
            }
            if let at = ids.firstIndex(where: { $0 < 0 || $0 >= largestTokenID }) {
                throw problem("inputs", "holds token id \(ids[at]) at flat index \(at); ids must lie in 0..<\(largestTokenID)")
            }
            for (i, v) in ids.enumerated() { x[i] = Scalar(Int(v)) }
        } else {
            throw problem("inputs", "has dtype \(inputs.dtype.rawValue); use F32 or F64 values, or I64 token ids")
        }
        switch (file["labels"], file["targets"]) {
        case (let labels?, nil):
            guard labels.shape == [count], let values = labels.integerValues() else {
                throw problem("labels", "is \(labels.dtype.rawValue) \(labels.shape); class labels must be I64 [\(count)], one per example")
            }
            if let at = values.firstIndex(where: { $0 < 0 || $0 >= 1 << 20 }) {
                throw problem("labels", "holds \(values[at]) at index \(at); a label is a class index 0, 1, 2, ...")
            }
            let classes = Int(values.max() ?? 0) + 1
            guard classes >= 2 else { throw problem("labels", "holds a single class; classification needs at least 2") }
            return Dataset(inputs: x, targets: .classes(values.map { Int($0) }, classCount: classes))
        case (nil, let targets?):
            guard targets.shape.count == 2, targets.shape[0] == count, targets.shape[1] > 0,
                  let values: [Scalar] = targets.floatingPointValues() else {
                throw problem("targets", "is \(targets.dtype.rawValue) \(targets.shape); regression targets must be F32 or F64 [\(count), k]")
            }
            if let at = values.firstIndex(where: { !$0.isFinite }) {
                throw problem("targets", "holds \(values[at]) at flat index \(at); every target must be a finite number")
            }
            return Dataset(inputs: x, targets: .values(Tensor(shape: targets.shape, scalars: values)))
        case (.some, .some):
            throw ExperimentError(setting: "data", message: "\(path) holds both 'labels' and 'targets'; keep one")
        case (nil, nil):
            throw ExperimentError(setting: "data", message: "\(path) holds 'inputs' but neither 'labels' (I64 [N]) nor 'targets' (F32 [N, k])")
        }
    }

    /// Whether the file's inputs are token ids (I64), which must never be standardised.
    public static func holdsTokenIDs(path: String) -> Bool {
        (try? SafeTensors(contentsOf: URL(fileURLWithPath: path)))?["inputs"]?.dtype == .i64
    }
}
