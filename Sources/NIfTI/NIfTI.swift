// NIfTI: NIfTI volumes: reading and writing through libnifti2 (the only target that calls it), the voxel-to-
// world geometry, orientation, reorientation and resampling. Knows nothing of tensors.
