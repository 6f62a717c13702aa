// Conversion: turns public datasets (SAROS, LiTS, KiTS, WORD, CT-ORG, FLARE22, MSD/nnU-Net, AMOS,
// TotalSegmentator, label maps with a NIfTI <LabelTable>, DICOM series) into SALT's layout
// `<output>/{labels.txt, tree-labels.txt, train|val|test/{images,labels}/<case>.nii.gz}`.
//
// What a dataset looks like is data, not code: a `DatasetSpec` (read from `conversion/<format>.yaml`)
// says where the files are, how images and labels pair up, how cases split, and which source value or
// structure name becomes which tree path. The code here is the engine that follows a spec:
//   SpecLibrary / DatasetSpec+Loading   find and read spec files
//   CaseDiscovery, PathPattern, DatasetJSON, CSVTable, SplitAssigner   find cases and their splits
//   Converter (+ GridCheck, LabelMapping, BodyMask)   convert each case, atomically; NIfTI reorients and resamples
//   DICOMSeries   the one place that runs dcm2niix;  PNGWriter   the one place that calls zlib
//
// May import: Foundation, NIfTI (volumes), Labels (tree-label files), YAML (spec files), CZlib (previews).
