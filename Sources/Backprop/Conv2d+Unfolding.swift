// `Conv2d`'s unfolding (im2col) and folding (col2im): the loops over one image's channels, their shifted-block
// fast path, the kernel windows they share, and the task that splits them over the product threads.

extension Conv2d {
    /// im2col for the channels `channels` of one image `x` [C, H, W]: row (c, i, j) of `cols`, at
    /// `cols + ((c·kh + i)·kw + j)·rowStride`, holds x[c, oy·s − p + i·d, ox·s − p + j·d] at oy·W_out + ox
    /// (0 in the padding). Each channel fills its own rows, so the channels can be split.
    @inline(__always)
    fileprivate func unfold(_ x: UnsafeMutablePointer<Scalar>, channels: Range<Int>, height: Int, width: Int,
                            outHeight: Int, outWidth: Int, inside windows: ConvolutionWindows,
                            into cols: UnsafeMutablePointer<Scalar>, rowStride: Int) {
        let plane = outHeight * outWidth, padding = windows.padding
        let (sh, sw) = (windows.stride.height, windows.stride.width)
        let flat = sh == 1 && sw == 1 && outWidth == width
        for c in channels {
            let image = x + c * height * width
            for i in 0..<kernelSize.height {
                let dy = i * dilation.height, rowsInside = windows.rows[i]
                for j in 0..<kernelSize.width {
                    let dx = j * dilation.width, inside = windows.columns[j]
                    let row = cols + ((c * kernelSize.height + i) * kernelSize.width + j) * rowStride
                    if flat {
                        unfoldShifted(image, rows: rowsInside, columns: inside,
                                      by: (dy - padding.height) * width + dx - padding.width,
                                      width: width, plane: plane, into: row)
                        continue
                    }
                    for oy in 0..<outHeight {
                        let d = row + oy * outWidth
                        // Plain loops rather than memcpy/memset: rows are a few elements long, and a
                        // library call per row costs more than the copy.
                        guard rowsInside.contains(oy) else {
                            for ox in 0..<outWidth { d[ox] = 0 }
                            continue
                        }
                        let source = image + (oy * sh - padding.height + dy) * width + dx - padding.width
                        for ox in 0..<inside.lowerBound { d[ox] = 0 }
                        if sw == 1 {
                            for ox in inside { d[ox] = source[ox] }
                        } else {
                            for ox in inside { d[ox] = source[ox * sw] }
                        }
                        for ox in inside.upperBound..<outWidth { d[ox] = 0 }
                    }
                }
            }
        }
    }

    /// col2im, the adjoint of `unfold`, for the channels `channels` of one image: adds each entry of `cols`
    /// (laid out as `unfold` writes it) to the element of `x` it was read from. Each element receives its
    /// terms in the order (i, j, oy) of its own channel's rows, however the channels or the batch are split
    /// and in either layout, so a split result is the same to the bit.
    @inline(__always)
    fileprivate func fold(_ cols: UnsafeMutablePointer<Scalar>, rowStride: Int, channels: Range<Int>, height: Int,
                          width: Int, outHeight: Int, outWidth: Int, inside windows: ConvolutionWindows,
                          into x: UnsafeMutablePointer<Scalar>) {
        let padding = windows.padding, (sh, sw) = (windows.stride.height, windows.stride.width)
        let flat = sh == 1 && sw == 1 && outWidth == width
        for c in channels {
            let image = x + c * height * width
            for i in 0..<kernelSize.height {
                let dy = i * dilation.height, rowsInside = windows.rows[i]
                for j in 0..<kernelSize.width {
                    let dx = j * dilation.width, inside = windows.columns[j]
                    let row = cols + ((c * kernelSize.height + i) * kernelSize.width + j) * rowStride
                    if flat {
                        foldShifted(row, rows: rowsInside, columns: inside,
                                    by: (dy - padding.height) * width + dx - padding.width, width: width,
                                    onto: image)
                        continue
                    }
                    for oy in rowsInside {
                        let s = row + oy * outWidth
                        let target = image + (oy * sh - padding.height + dy) * width + dx - padding.width
                        if sw == 1 {
                            for ox in inside { target[ox] += s[ox] }
                        } else {
                            for ox in inside { target[ox * sw] += s[ox] }
                        }
                    }
                }
            }
        }
    }

    /// One (c, i, j) block of `unfold` for one image when the output's rows are as long as the input's
    /// (stride 1, `outWidth == width`, as with "same" padding): the block is the image plane read `shift`
    /// elements further on, so it is one flat copy over the rows and columns that fall inside the input, and
    /// zeros in the padding's rows and columns. (Inside the copy, a padding column reads the neighbouring
    /// row's edge of the same plane; it is zeroed after.)
    @inline(__always)
    private func unfoldShifted(_ image: UnsafeMutablePointer<Scalar>, rows: Range<Int>, columns: Range<Int>,
                               by shift: Int, width: Int, plane: Int, into d: UnsafeMutablePointer<Scalar>) {
        guard !rows.isEmpty && !columns.isEmpty else {
            d.update(repeating: 0, count: plane)
            return
        }
        let first = rows.lowerBound * width + columns.lowerBound
        let end = (rows.upperBound - 1) * width + columns.upperBound
        d.update(repeating: 0, count: first)
        (d + first).update(from: image + (first + shift), count: end - first)
        (d + end).update(repeating: 0, count: plane - end)
        zeroPaddingColumns(d, rows: rows, columns: columns, width: width)
    }

    /// One (c, i, j) block of `fold` for one image, in `unfoldShifted`'s geometry: the block's padding
    /// columns are zeroed (the block is scratch, read only here), then one flat sum adds the block onto the
    /// plane read `shift` elements further on. A zeroed column adds 0 to the neighbouring row's edge of the
    /// same plane, which leaves it as it was: the input gradient starts at +0, and a sum that starts at +0
    /// is never −0, so x + 0 is x to the bit. Each plane element still takes one term per block, in the same
    /// order as the row-by-row loop.
    @inline(__always)
    private func foldShifted(_ s: UnsafeMutablePointer<Scalar>, rows: Range<Int>, columns: Range<Int>, by shift: Int,
                             width: Int, onto image: UnsafeMutablePointer<Scalar>) {
        guard !rows.isEmpty && !columns.isEmpty else { return }
        zeroPaddingColumns(s, rows: rows, columns: columns, width: width)
        let first = rows.lowerBound * width + columns.lowerBound
        let end = (rows.upperBound - 1) * width + columns.upperBound
        let target = image + shift
        for k in first..<end { target[k] += s[k] }
    }

    /// Zeros the columns outside `columns` in the `rows` of a block `width` wide.
    @inline(__always)
    private func zeroPaddingColumns(_ block: UnsafeMutablePointer<Scalar>, rows: Range<Int>, columns: Range<Int>,
                                    width: Int) {
        guard columns.count < width else { return }
        for oy in rows {
            let line = block + oy * width
            for ox in 0..<columns.lowerBound { line[ox] = 0 }
            for ox in columns.upperBound..<width { line[ox] = 0 }
        }
    }
}

/// For each kernel row i, the output rows whose input row lies inside the image, and for each kernel column
/// j the output columns likewise: the same for every channel and image, so they are worked out once.
/// The geometry's padding and stride go with them: the layer's own, or those of the transposed convolution
/// that gives the input gradient (`ImageLoop.transposed`).
fileprivate struct ConvolutionWindows {
    var rows: [Range<Int>] = [], columns: [Range<Int>] = []
    var padding: Size2D = 0, stride: Size2D = 1

    init() {}

    init<Scalar>(layer: Conv2d<Scalar>, padding: Size2D, stride: Size2D, height: Int, width: Int, outHeight: Int,
                 outWidth: Int) {
        (self.padding, self.stride) = (padding, stride)
        rows = (0..<layer.kernelSize.height).map { i in
            ConvolutionGeometry.validOutputs(offset: i * layer.dilation.height, size: height, stride: stride.height,
                                             padding: padding.height, outputs: outHeight)
        }
        columns = (0..<layer.kernelSize.width).map { j in
            ConvolutionGeometry.validOutputs(offset: j * layer.dilation.width, size: width, stride: stride.width,
                                             padding: padding.width, outputs: outWidth)
        }
    }
}

/// `Conv2d`'s unfolding (im2col) and folding (col2im), split over the product threads (`ParallelParts`):
/// a batch by images, one image by channels. One per layer, kept from call to call, so a split allocates
/// nothing.
///
/// A `transposed` loop unfolds the output gradient for the transposed convolution: ∂L/∂y [out, H_out, W_out]
/// with padding p′ = d·(k − 1) − p and stride 1, so that its block [out·kh·kw, H·W] times the flipped weight
/// gives ∂L/∂x [in, H, W] (`Conv2d.unfoldsOutputGradient`); its `set` takes the layer's geometry as it is.
final class ConvolutionImageLoop<Scalar: TensorScalar>: ParallelTask {
    unowned let layer: Conv2d<Scalar>
    let transposed: Bool
    private let channels: Int
    private var folding = false, wholeBatch = false
    private var images: UnsafeMutablePointer<Scalar>?, columns: UnsafeMutablePointer<Scalar>?
    private var height = 0, width = 0, outHeight = 0, outWidth = 0, rowStride = 0
    private var windows = ConvolutionWindows()

    init(layer: Conv2d<Scalar>, transposed: Bool = false) {
        (self.layer, self.transposed) = (layer, transposed)
        channels = transposed ? layer.outChannels : layer.inChannels
    }

    private var imageSize: Int { channels * height * width }
    private var blockSize: Int { channels * layer.kernelSize.height * layer.kernelSize.width * outHeight * outWidth }

    /// The geometry of the calls that follow, the layer's input and output sizes (the windows are worked out
    /// again only when it changes).
    func set(height: Int, width: Int, outHeight: Int, outWidth: Int) {
        let sizes = transposed ? (outHeight, outWidth, height, width) : (height, width, outHeight, outWidth)
        guard sizes != (self.height, self.width, self.outHeight, self.outWidth) else { return }
        (self.height, self.width, self.outHeight, self.outWidth) = sizes
        windows = transposed
            ? ConvolutionWindows(layer: layer, padding: layer.transposedPadding, stride: 1, height: sizes.0,
                                 width: sizes.1, outHeight: sizes.2, outWidth: sizes.3)
            : ConvolutionWindows(layer: layer, padding: layer.padding, stride: layer.stride, height: height,
                                 width: width, outHeight: outHeight, outWidth: outWidth)
    }

    /// Unfolds one image [C, H, W] into its block [C·kh·kw, plane].
    func unfold(image: UnsafeMutablePointer<Scalar>, into block: UnsafeMutablePointer<Scalar>) {
        start(folding: false, wholeBatch: false, images: image, columns: block, rowStride: outHeight * outWidth,
              count: channels, elements: blockSize)
    }

    /// Adds one image's block [C·kh·kw, plane] onto the image's gradient [C, H, W].
    func fold(_ block: UnsafeMutablePointer<Scalar>, onto image: UnsafeMutablePointer<Scalar>) {
        start(folding: true, wholeBatch: false, images: image, columns: block, rowStride: outHeight * outWidth,
              count: channels, elements: blockSize)
    }

    /// Unfolds `count` images into the batch's columns [C·kh·kw, count·plane].
    func unfold(batch: UnsafeMutablePointer<Scalar>, count: Int, into columns: UnsafeMutablePointer<Scalar>) {
        start(folding: false, wholeBatch: true, images: batch, columns: columns,
              rowStride: count * outHeight * outWidth, count: count, elements: count * blockSize)
    }

    /// Adds the batch's columns [C·kh·kw, count·plane] onto the gradient of `count` images.
    func fold(batch columns: UnsafeMutablePointer<Scalar>, count: Int, onto images: UnsafeMutablePointer<Scalar>) {
        start(folding: true, wholeBatch: true, images: images, columns: columns,
              rowStride: count * outHeight * outWidth, count: count, elements: count * blockSize)
    }

    private func start(folding: Bool, wholeBatch: Bool, images: UnsafeMutablePointer<Scalar>,
                       columns: UnsafeMutablePointer<Scalar>, rowStride: Int, count: Int, elements: Int) {
        (self.folding, self.wholeBatch, self.images, self.columns) = (folding, wholeBatch, images, columns)
        self.rowStride = rowStride
        ParallelParts.forEachRange(of: count, elements: elements, self)
    }

    /// Images `range` of the batch, or channels `range` of the one image.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func run(_ range: Range<Int>) {
        guard let images, let columns else { return }
        guard wholeBatch else { return part(image: images, block: columns, channels: range) }
        let plane = outHeight * outWidth
        for n in range {
            part(image: images + n * imageSize, block: columns + n * plane, channels: 0..<channels)
        }
    }

    @inline(__always)
    private func part(image: UnsafeMutablePointer<Scalar>, block: UnsafeMutablePointer<Scalar>, channels: Range<Int>) {
        if folding {
            layer.fold(block, rowStride: rowStride, channels: channels, height: height, width: width,
                       outHeight: outHeight, outWidth: outWidth, inside: windows, into: image)
        } else {
            layer.unfold(image, channels: channels, height: height, width: width, outHeight: outHeight,
                         outWidth: outWidth, inside: windows, into: block, rowStride: rowStride)
        }
    }
}
