// Empty: CNIfTI only exposes libnifti2's header; the library itself is linked from Debian's package.
