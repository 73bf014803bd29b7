// The evaluator (descriptors, networks, native model) is compiled once per
// instruction-set level, each copy in its own inline namespace; native_dispatch.cpp
// picks one at run time. TAYLORANN_ISA names the copy being compiled.
#pragma once
#ifndef TAYLORANN_ISA
#define TAYLORANN_ISA generic
#endif
#define TAYLORANN_STR2(x) #x
#define TAYLORANN_STR(x) TAYLORANN_STR2(x)
#define TAYLORANN_ISA_NAME TAYLORANN_STR(TAYLORANN_ISA)
