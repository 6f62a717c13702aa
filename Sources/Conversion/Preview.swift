// A picture of one converted case for a person to check: the three orthogonal slices through the middle
// of the volume (axial, coronal, sagittal; radiological convention: the patient's right on the left,
// anterior and superior up), the image grey-scaled between its 0.5th and 99.5th percentile, labels
// overlaid in colour (255 "ignore" in grey), pixels square in millimetres.
//
// Grids: voxels [n0 * n1 * n2], i fastest; `affine` the 4x4 voxel-to-world (RAS+, mm) matrix, rows.

public enum Preview {
    /// Renders the three panels side by side: (width, height, RGB bytes). Pixels are square in mm.
    public static func render(image: [Float], labels: [UInt8]?, shape: [Int], affine: [[Double]],
                              panelSize: Int = 320) -> (width: Int, height: Int, rgb: [UInt8]) {
        precondition(shape.count == 3 && image.count == shape[0] * shape[1] * shape[2], "preview of \(image.count) voxels, shape \(shape)")
        // Which voxel axis runs along world x, y, z, and in which direction.
        var axisOf = [0, 1, 2], sign = [1.0, 1.0, 1.0], spacing = [1.0, 1.0, 1.0]
        var used = Set<Int>()
        for w in 0..<3 {
            let a = (0..<3).filter { !used.contains($0) }.max { abs(affine[w][$0]) < abs(affine[w][$1]) }!
            used.insert(a)
            axisOf[w] = a
            sign[w] = affine[w][a] < 0 ? -1 : 1
        }
        for a in 0..<3 { spacing[a] = max(1e-6, (0..<3).map { affine[$0][a] * affine[$0][a] }.reduce(0, +).squareRoot()) }
        let strides = [1, shape[0], shape[0] * shape[1]]
        let middle = shape.map { $0 / 2 }

        // A panel: columns walk world axis `h` towards `hDir`, rows walk world axis `v` towards `vDir`.
        func panel(h: Int, hDir: Double, v: Int, vDir: Double) -> (Int, Int, [Int]) {
            let ah = axisOf[h], av = axisOf[v]
            let mmH = Double(shape[ah]) * spacing[ah], mmV = Double(shape[av]) * spacing[av]
            // The longer side of every panel is about `panelSize` pixels: small volumes are enlarged,
            // large ones reduced, always by nearest neighbour.
            let pixel = max(mmH, mmV) / Double(panelSize)
            let width = max(1, Int((mmH / pixel).rounded())), height = max(1, Int((mmV / pixel).rounded()))
            var index = [Int](repeating: 0, count: width * height)
            for y in 0..<height {
                var iv = min(shape[av] - 1, Int((Double(y) + 0.5) * pixel / spacing[av]))
                if sign[v] * vDir < 0 { iv = shape[av] - 1 - iv }
                for x in 0..<width {
                    var ih = min(shape[ah] - 1, Int((Double(x) + 0.5) * pixel / spacing[ah]))
                    if sign[h] * hDir < 0 { ih = shape[ah] - 1 - ih }
                    var p = middle
                    p[ah] = ih; p[av] = iv
                    index[y * width + x] = p[0] * strides[0] + p[1] * strides[1] + p[2] * strides[2]
                }
            }
            return (width, height, index)
        }
        // World RAS+: screen right = patient left (-x), screen down = posterior (-y) or inferior (-z).
        let panels = [panel(h: 0, hDir: -1, v: 1, vDir: -1),   // axial
                      panel(h: 0, hDir: -1, v: 2, vDir: -1),   // coronal
                      panel(h: 1, hDir: -1, v: 2, vDir: -1)]   // sagittal: anterior on the left

        var sample = panels.flatMap { $0.2 }.map { image[$0] }.filter { $0.isFinite }
        sample.sort()
        let lo = sample.isEmpty ? 0 : sample[Int(Double(sample.count - 1) * 0.005)]
        let hi = sample.isEmpty ? 1 : sample[Int(Double(sample.count - 1) * 0.995)]
        let scale = hi > lo ? 255 / (hi - lo) : 0

        let gap = 4
        let width = panels.map { $0.0 }.reduce(0, +) + gap * (panels.count - 1)
        let height = panels.map { $0.1 }.max()!
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        var x0 = 0
        for (pw, ph, index) in panels {
            for y in 0..<ph {
                for x in 0..<pw {
                    let p = index[y * pw + x]
                    let g = image[p].isFinite ? min(255, max(0, (image[p] - lo) * scale)) : 0
                    var c = (Float(g), Float(g), Float(g))
                    if let labels, labels[p] != 0 {
                        let (r, gg, b) = colour(labels[p])
                        let alpha: Float = labels[p] == 255 ? 0.35 : 0.5
                        c = (c.0 * (1 - alpha) + r * alpha, c.1 * (1 - alpha) + gg * alpha, c.2 * (1 - alpha) + b * alpha)
                    }
                    let o = (y * width + x0 + x) * 3
                    rgb[o] = UInt8(c.0.rounded()); rgb[o + 1] = UInt8(c.1.rounded()); rgb[o + 2] = UInt8(c.2.rounded())
                }
            }
            x0 += pw + gap
        }
        return (width, height, rgb)
    }

    /// A fixed colour per label value: hues spread by the golden ratio; 255 grey.
    static func colour(_ value: UInt8) -> (Float, Float, Float) {
        if value == 255 { return (128, 128, 128) }
        var hue = Double(value) * 0.618_033_988_75
        hue -= hue.rounded(.down)
        let h6 = hue * 6, f = h6 - h6.rounded(.down)
        let (v, s) = (1.0, 0.8)
        let p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f))
        let rgb: (Double, Double, Double)
        switch Int(h6) % 6 {
        case 0: rgb = (v, t, p)
        case 1: rgb = (q, v, p)
        case 2: rgb = (p, v, t)
        case 3: rgb = (p, q, v)
        case 4: rgb = (t, p, v)
        default: rgb = (v, p, q)
        }
        return (Float(rgb.0 * 255), Float(rgb.1 * 255), Float(rgb.2 * 255))
    }
}
