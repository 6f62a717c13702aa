// `salt convert`: a public dataset in its publisher's layout -> SALT's layout, following a spec file
// (conversion/<format>.yaml, or --spec FILE). Parses options and calls `Converter.convert`.
import Conversion
import Foundation

enum ConvertCommand: Command {
    static let name = "convert"
    static let summary = "Convert a public dataset (SAROS, LiTS, KiTS, TotalSegmentator, DICOM...) into SALT's layout"

    static var help: String {
        let library = SpecLibrary.standard()
        let formats = library.known
        return """
        Usage: salt convert --format NAME --source DIR --output DIR [--spec FILE] [--spacing x,y,z]
                            [--split train|val|test] [--body-mask [--body-path P]] [--previews]

        Writes <output>/{labels.txt, tree-labels.txt, summary.txt, train|val|test/{images,labels}/<case>.nii.gz}.

        Options:
          --format NAME      dataset format: \(formats.isEmpty ? "(no conversion/ folder found; use --spec)" : formats.joined(separator: ", "))
          --source DIR       the dataset's top folder, as downloaded
          --output DIR       where to write (replaced as a whole, only when the conversion succeeds)
          --spec FILE        a spec file of your own instead of conversion/<format>.yaml
          --spacing x,y,z    resample to this spacing in mm (0 keeps an axis: 0,0,1.5 changes slice thickness)
          --split S          put every case into split S
          --body-mask        derive the body from the CT: unlabelled voxels inside it become class "body"
          --body-path P      that class's tree path (default body): a new leaf such as body,other when the
                             dataset labels every structure, so the rest of its body is none of them
                             (a sink if listed in the data root's tree-additional-labels.txt)
          --previews         write previews/<case>.png (three mid slices with labels overlaid)

        Example:
          salt convert --format lits --source raw/LiTS --output data/lits --previews
        """
    }

    static func run(_ arguments: inout Arguments) throws -> Int32 {
        let format = try arguments.option("--format")
        let specFile = try arguments.option("--spec")
        guard let source = try arguments.option("--source") else {
            throw UsageError("salt convert: --source DIR is required (the dataset's top folder)")
        }
        guard let output = try arguments.option("--output") else {
            throw UsageError("salt convert: --output DIR is required")
        }
        var options = ConversionOptions()
        let spacing = try arguments.doubles("--spacing", default: [])
        if !spacing.isEmpty {
            guard spacing.count == 3 else { throw UsageError("salt convert: --spacing needs three numbers x,y,z, got \(spacing.count)") }
            options.spacing = spacing
        }
        if let s = try arguments.option("--split") {
            guard let split = Split(rawValue: s) else { throw UsageError("salt convert: --split must be train, val or test, got '\(s)'") }
            options.split = split
        }
        options.bodyMask = arguments.flag("--body-mask")
        if let path = try arguments.option("--body-path") { options.bodyPath = path }
        options.previews = arguments.flag("--previews")
        try arguments.finish()

        let spec: DatasetSpec
        if let specFile {
            spec = try DatasetSpec.load(file: specFile)
        } else if let format {
            spec = try SpecLibrary.standard().spec(named: format)
        } else {
            let known = SpecLibrary.standard().known
            throw UsageError("salt convert: --format NAME is required (known: \(known.joined(separator: ", "))), or --spec FILE")
        }
        try Converter.convert(spec: spec, source: source, output: output, options: options) { line in
            print(line)
            fflush(stdout)
        }
        return 0
    }
}
