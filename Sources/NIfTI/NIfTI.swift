// NIfTI: NIfTI-1/NIfTI-2 volumes for salt. Owns reading and writing (`Volume.read`, `Volume.write`), the
// voxel-to-world geometry (`Affine`, orientation codes), reorientation and resampling (MONAI's
// Orientation and Spacing semantics), label tables carried in header extensions, and header summaries
// (`VolumeSummary`, used by `salt info`). Knows nothing of tensors.
//
// May import: CNIfTI (libnifti2) and Foundation. Only `LibNIfTI.swift` calls libnifti2; every C failure
// there becomes a thrown `NIfTIError` naming the C function.
//
// Files:
//   Volume.swift                 the volume type, reading, writing, "like" copies
//   NIfTIHeader.swift            header fields kept so that writing back is faithful
//   NIfTIDataType.swift          on-disk scalar types
//   NIfTIError.swift             the module's errors
//   LibNIfTI.swift               the one door to libnifti2 (and its znzlib)
//   VoxelConversion.swift        raw bytes <-> scaled Float voxels, either byte order
//   Affine.swift                 4x4 voxel-to-world matrices
//   Orientation.swift            nibabel's io_orientation / aff2axcodes
//   LabelTable.swift             the XML <LabelTable> header extension (TotalSegmentator, Caret)
//   Volume+Reorientation.swift   exact permutation/flip to axis codes such as "LPI"
//   Volume+Resampling.swift      MONAI Spacing: target spacing, and back onto a given grid
//   VolumeStatistics.swift       value statistics in Double
//   VolumeSummary.swift          the `salt info` text and JSON
