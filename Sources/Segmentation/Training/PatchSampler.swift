// Training patches: random crops from prepared cases, about a third centred on a randomly chosen
// annotated structure (so small organs are seen), with SALT's augmentation (in-plane zoom 0.8-1.2,
// rotation up to +-20 degrees about the axial axis), and some patches cut to a thin axial slab in air, as a
// scan of a few centimetres looks once prediction pads it to the window. Seeded: the same generator state
// gives the same batch.
import Foundation
import Tensor

public struct PatchSampler: Sendable {
    public var patch: [Int]
    /// Fraction of patches centred on a structure voxel.
    public var foregroundFraction = 1.0 / 3.0
    /// Probability that a patch is zoomed and rotated.
    public var augmentProbability = 0.5
    public var zoomRange: ClosedRange<Double> = 0.8...1.2
    /// Largest rotation about the axial (k) axis, radians.
    public var maxRotation = 20.0 * Double.pi / 180
    public var paddingValue: Float = 0
    /// Class of patch voxels outside the scan (and outside a slab): 255 = ignored by the loss (SALT). With
    /// the background class instead, padding is air that must be predicted as background, and uniform
    /// centres may leave the volume: prediction on a scan wider or thinner than any training patch runs
    /// windows that are mostly air, and without this the network has never been told what to say there.
    public var paddingClass: UInt8 = 255
    /// Probability that a patch keeps only a thin axial slab (`slabThickness` voxels along k) and reads
    /// the rest as padding (air; ignored by the loss unless `paddingClass` says otherwise): prediction
    /// pads a thin scan to the window with air, and instance norm sees those statistics, so training must
    /// show them too.
    public var slabProbability = 0.0
    /// Slab thickness range along k, as fractions of the patch depth.
    public var slabThickness: ClosedRange<Double> = 0.125...0.5
    /// Multiplicative brightness (nnU-Net's): each patch's normalised values times a factor drawn from
    /// [1 - x, 1 + x]. Scaling is about the normalised zero, which is air for CT, so air stays air while
    /// soft tissue moves (0.05 = about +-54 HU at 50 HU): scans of another contrast phase look familiar.
    public var intensityScale = 0.0

    /// Per case: for each class present (not background, not ignore), some of its voxel indices.
    let structureVoxels: [[(UInt8, [Int])]]

    /// `background`: the class never used as a patch centre (the class named "background", if any).
    public init(patch: [Int], cases: [PreparedCase], background: Int?, maxVoxelsPerClass: Int = 4096, seed: UInt64 = 0) {
        self.patch = patch
        var rng = SeededRandom(seed: seed ^ 0x5A17)
        structureVoxels = cases.map { c in
            var byClass = [[Int]](repeating: [], count: 256)
            var seen = [Int](repeating: 0, count: 256)
            for (p, v) in c.classes.enumerated() where v != 255 && Int(v) != background {
                // Reservoir sampling keeps a uniform sample of each class's voxels.
                let cls = Int(v)
                seen[cls] += 1
                if byClass[cls].count < maxVoxelsPerClass { byClass[cls].append(p) } else {
                    let r = rng.int(below: seen[cls])
                    if r < maxVoxelsPerClass { byClass[cls][r] = p }
                }
            }
            return (0..<256).filter { !byClass[$0].isEmpty }.map { (UInt8($0), byClass[$0]) }
        }
    }

    /// A batch: images [B, 1, p0, p1, p2] and targets (B * voxels class indices in tensor order, 255 =
    /// ignore), plus which case each sample came from.
    public func batch(_ size: Int, cases: [PreparedCase], rng: inout SeededRandom) -> (images: Tensor, targets: [UInt8], caseIndices: [Int]) {
        let voxels = patch.reduce(1, *)
        let images = Tensor(shape: [size, 1] + patch)
        var targets = [UInt8](repeating: paddingClass, count: size * voxels)
        var chosen: [Int] = []
        for b in 0..<size {
            let ci = rng.int(below: cases.count)
            chosen.append(ci)
            let c = cases[ci]
            // Centre: a structure voxel for about a third of patches, else uniform within the volume.
            var centre: [Double]
            let structures = structureVoxels[ci]
            let onStructure = !structures.isEmpty && rng.nextDouble() < foregroundFraction
            if onStructure {
                let (_, list) = structures[rng.int(below: structures.count)]
                let p = list[rng.int(below: list.count)]
                centre = [Double(p % c.shape[0]), Double((p / c.shape[0]) % c.shape[1]), Double(p / (c.shape[0] * c.shape[1]))]
            } else {
                centre = (0..<3).map { Double(rng.int(below: c.shape[$0])) }
            }
            // Keep the patch inside the volume where it fits (nnU-Net style), so patches are not mostly
            // padding; unless padding is taught as air, when uniform patches may hang out of the scan.
            for a in 0..<3 where onStructure || paddingClass == 255 {
                let half = Double(patch[a]) / 2
                centre[a] = min(max(centre[a], half - 0.5), Double(c.shape[a]) - half - 0.5)
            }
            var zoom = 1.0, angle = 0.0
            if rng.nextDouble() < augmentProbability {
                zoom = rng.uniform(zoomRange.lowerBound, zoomRange.upperBound)
                angle = rng.uniform(-maxRotation, maxRotation)
            }
            // Thin slab: a k range of the patch, placed at random; the rest is padding.
            var slab = 0..<patch[2]
            if rng.nextDouble() < slabProbability {
                let depth = Double(patch[2])
                let t = max(1, min(patch[2], Int(rng.uniform(slabThickness.lowerBound * depth, slabThickness.upperBound * depth).rounded())))
                let start = rng.int(below: patch[2] - t + 1)
                slab = start..<(start + t)
            }
            let brightness = Float(1 + rng.uniform(-intensityScale, intensityScale))
            extract(c, centre: centre, zoom: zoom, angle: angle, slab: slab, image: images.storage + b * voxels,
                    targets: &targets, targetOffset: b * voxels)
            if brightness != 1 {
                let image = images.storage + b * voxels
                for i in 0..<voxels { image[i] *= brightness }
            }
        }
        return (images, targets, chosen)
    }

    /// Samples a patch around `centre`: output voxel (x, y, z) (offsets from the patch centre) reads the
    /// case at centre + R(angle) * (x, y) / zoom in-plane and z along k; image trilinear (outside: the
    /// padding value), classes nearest (outside: `targets` keeps its fill, paddingClass). Without zoom and
    /// rotation this is a plain crop. Patch voxels with z outside `slab` are padding too.
    func extract(_ c: PreparedCase, centre: [Double], zoom: Double, angle: Double, slab: Range<Int>, image: UnsafeMutablePointer<Float>,
                 targets: inout [UInt8], targetOffset: Int) {
        let (p0, p1, p2) = (patch[0], patch[1], patch[2])
        let (n0, n1, n2) = (c.shape[0], c.shape[1], c.shape[2])
        let cosA = cos(angle) / zoom, sinA = sin(angle) / zoom
        let plain = zoom == 1 && angle == 0
        for x in 0..<p0 { for y in 0..<p1 { for z in 0..<p2 {
            let dx = Double(x) - Double(p0 - 1) / 2, dy = Double(y) - Double(p1 - 1) / 2, dz = Double(z) - Double(p2 - 1) / 2
            let si = centre[0] + cosA * dx - sinA * dy
            let sj = centre[1] + sinA * dx + cosA * dy
            let sk = centre[2] + dz
            let out = (x * p1 + y) * p2 + z
            if !slab.contains(z) {
                image[out] = paddingValue
                continue
            }
            if plain {
                let i = Int(si.rounded()), j = Int(sj.rounded()), k = Int(sk.rounded())
                if i >= 0 && j >= 0 && k >= 0 && i < n0 && j < n1 && k < n2 {
                    let q = i + n0 * (j + n1 * k)
                    image[out] = c.image[q]
                    targets[targetOffset + out] = c.classes[q]
                } else {
                    image[out] = paddingValue
                }
                continue
            }
            // Nearest class.
            let ni = Int(si.rounded()), nj = Int(sj.rounded()), nk = Int(sk.rounded())
            if ni >= 0 && nj >= 0 && nk >= 0 && ni < n0 && nj < n1 && nk < n2 { targets[targetOffset + out] = c.classes[ni + n0 * (nj + n1 * nk)] }
            // Trilinear image.
            let fi = floor(si), fj = floor(sj), fk = floor(sk)
            let ti = Float(si - fi), tj = Float(sj - fj), tk = Float(sk - fk)
            var value: Float = 0
            for a in 0..<2 { for b in 0..<2 { for d in 0..<2 {
                let i = Int(fi) + a, j = Int(fj) + b, k = Int(fk) + d
                let w = (a == 1 ? ti : 1 - ti) * (b == 1 ? tj : 1 - tj) * (d == 1 ? tk : 1 - tk)
                if w == 0 { continue }
                let v = (i >= 0 && j >= 0 && k >= 0 && i < n0 && j < n1 && k < n2) ? c.image[i + n0 * (j + n1 * k)] : paddingValue
                value += w * v
            } } }
            image[out] = value
        } } }
    }
}
