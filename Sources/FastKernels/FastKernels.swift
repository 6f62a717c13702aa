// FastKernels: SIMD convolution kernels on raw float pointers, built for AVX2+FMA. Imports nothing.
