// x86-64-v3 (AVX2 + FMA) copy of the native evaluator; compiled with
// -march=x86-64-v3 and only called after a run-time CPU check.
#define TAYLORANN_ISA x86_64_v3
#include "descriptor.cpp"
#include "chebyshev.cpp"
#include "chebyshev_moments.cpp"
#include "behler.cpp"
#include "native_model.cpp"
#include "network.cpp"
