// Chooses the fastest compiled copy of the native evaluator for this CPU.
#include "model.hpp"

namespace taylorann {
namespace generic {
std::unique_ptr<Model> make_native_model_isa(const std::vector<std::string> &paths, bool legacy_angular);
}
#ifdef TAYLORANN_HAVE_X86_64_V3
namespace x86_64_v3 {
std::unique_ptr<Model> make_native_model_isa(const std::vector<std::string> &paths, bool legacy_angular);
}
#endif

std::unique_ptr<Model> make_native_model(const std::vector<std::string> &paths, bool legacy_angular) {
#ifdef TAYLORANN_HAVE_X86_64_V3
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return x86_64_v3::make_native_model_isa(paths, legacy_angular);
#endif
    return generic::make_native_model_isa(paths, legacy_angular);
}

}  // namespace taylorann
