// The C door to libnifti2 (Debian libnifti2-dev). Only the NIfTI target imports this module.
#include <nifti2_io.h>
