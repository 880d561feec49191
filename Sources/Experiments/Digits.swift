import Backprop

/// The built-in `digits` dataset: 1,797 handwritten digits as 8×8 images of pixel counts 0...16, ten
/// classes, as `[1797, 1, 8, 8]` (one channel, NCHW as torch's `Conv2d` takes it).
///
/// Source: the test set of the UCI "Optical Recognition of Handwritten Digits" data (E. Alpaydin and
/// C. Kaynak, 1998, https://archive.ics.uci.edu/dataset/80), licence CC BY 4.0; the same 1,797 images that
/// scikit-learn ships as `load_digits`. 32×32 bitmaps from NIST's preprocessing were divided into 4×4 blocks
/// and the set pixels of each block counted. The data is compiled in (Digits+Data0.swift to Digits+Data4.swift,
/// written by scripts/make-digits-source.py), so it is available offline.
public enum Digits {
    public static let count = 1797
    public static let classes = 10
    public static let imageShape = [1, 8, 8]

    /// All images in file order with their labels; pixels as counts 0...16 (standardise them, as training
    /// does by default, or divide by 16).
    public static func dataset<Scalar: TensorScalar>(as: Scalar.Type = Scalar.self) -> Dataset<Scalar> {
        let inputs = Tensor<Scalar>(shape: [count] + imageShape)
        var labels: [Int] = []
        labels.reserveCapacity(count)
        var row = 0
        for line in [encodedRows0, encodedRows1, encodedRows2, encodedRows3, encodedRows4].joined(separator: "\n")
            .split(separator: "\n") {
            let characters = Array(line.utf8)
            precondition(characters.count == 65, "digits row \(row + 1) has \(characters.count) characters, not 65")
            for (j, c) in characters.prefix(64).enumerated() {
                inputs[row * 64 + j] = Scalar(Int(c >= 97 ? c - 97 + 10 : c - 48))
            }
            labels.append(Int(characters[64] - 48))
            row += 1
        }
        precondition(row == count, "digits has \(row) rows, not \(count)")
        let names = (0..<8).flatMap { r in (0..<8).map { c in "pixel_\(r)_\(c)" } }
        return Dataset(inputs: inputs, targets: .classes(labels, classCount: classes), featureNames: names)
    }
}
