// Chooses the fastest compiled copy of the native evaluator for this CPU.
// TAYLORANN_ISA=generic in the environment forces the plain x86-64 copy (tests
// compare both copies).
#include <cstdlib>
#include <cstring>

#include "model.hpp"
#include "nnascii.hpp"

namespace taylorann {
namespace generic {
std::unique_ptr<Model> make_native_model_isa(const std::vector<PotentialFile> &files, bool legacy_angular);
}
#ifdef TAYLORANN_HAVE_X86_64_V3
namespace x86_64_v3 {
std::unique_ptr<Model> make_native_model_isa(const std::vector<PotentialFile> &files, bool legacy_angular);
}
#endif

const char *native_isa() {
#ifdef TAYLORANN_HAVE_X86_64_V3
    const char *forced = std::getenv("TAYLORANN_ISA");
    if (forced && std::strcmp(forced, "generic") == 0) return "generic";
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "x86_64_v3";
#endif
    return "generic";
}

std::unique_ptr<Model> make_native_model(const std::vector<PotentialFile> &files, bool legacy_angular) {
#ifdef TAYLORANN_HAVE_X86_64_V3
    if (std::strcmp(native_isa(), "x86_64_v3") == 0) return x86_64_v3::make_native_model_isa(files, legacy_angular);
#endif
    return generic::make_native_model_isa(files, legacy_angular);
}

}  // namespace taylorann
