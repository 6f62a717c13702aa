// The one place that runs Debian's `dcm2niix` (apt package `dcm2niix`): a folder of DICOM slices
// becomes one NIfTI file in a temporary folder, which the caller reads and deletes.
import Foundation

public enum DICOMSeries {
    /// The dcm2niix executable on PATH, or an error saying which package installs it.
    public static func executable(searchPath: String? = nil) throws -> String {
        let path = searchPath ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = String(dir) + "/dcm2niix"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ConversionError.dicom(case: "-", detail: "dcm2niix is not on PATH; install Debian's package: apt-get install dcm2niix")
    }

    /// Converts the DICOM series in `folder` into a NIfTI file inside a fresh temporary folder.
    /// Returns the file and the folder to remove when done. One series per folder: several series
    /// (a scout and the CT, two reconstructions) are an error naming the files dcm2niix wrote.
    public static func convert(folder: String, caseName: String) throws -> (file: String, temporaryFolder: String) {
        let exe = try executable()
        let tmp = FileManager.default.temporaryDirectory
            .appendingPathComponent("salt-dcm2niix-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: exe)
        // -z n: no gzip (the file is read once and deleted); -b n: no BIDS sidecar; -f: a fixed name pattern (series number keeps series apart);
        // -v 0: quiet.
        process.arguments = ["-z", "n", "-b", "n", "-v", "0", "-f", "series_%s", "-o", tmp, folder]
        let errPipe = Pipe(), outPipe = Pipe()
        process.standardError = errPipe
        process.standardOutput = outPipe
        do { try process.run() } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            throw ConversionError.dicom(case: caseName, detail: "cannot start \(exe): \(error.localizedDescription)")
        }
        // Read both pipes before waiting, so a chatty dcm2niix cannot fill a pipe and block.
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        let err = errPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let log = (String(decoding: err, as: UTF8.self) + String(decoding: out, as: UTF8.self))
            .split(separator: "\n").suffix(5).joined(separator: " | ")
        guard process.terminationStatus == 0 else {
            try? FileManager.default.removeItem(atPath: tmp)
            throw ConversionError.dicom(case: caseName, detail: "dcm2niix exited with status \(process.terminationStatus) on '\(folder)': \(log)")
        }
        let written = ((try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [])
            .filter { $0.hasSuffix(".nii.gz") || $0.hasSuffix(".nii") }.sorted()
        guard written.count == 1 else {
            try? FileManager.default.removeItem(atPath: tmp)
            let what = written.isEmpty ? "no volume (is it a folder of DICOM slices?)" : "\(written.count) volumes (\(written.joined(separator: ", ")))"
            throw ConversionError.dicom(case: caseName, detail: "dcm2niix wrote \(what) from '\(folder)'; keep one series per case folder. \(log)")
        }
        return (tmp + "/" + written[0], tmp)
    }
}
