// Built when the TorchScript backend is disabled (TAYLORANN_WITH_TORCH=OFF).
#include "error.hpp"
#include "model.hpp"

namespace taylorann {

bool torch_available() { return false; }

std::unique_ptr<Model> make_torch_model(const std::string &path) {
    fail(TAYLORANN_ERR_UNSUPPORTED,
         path + ": this taylorann build has no TorchScript backend (configure with TAYLORANN_WITH_TORCH=ON)");
}

}  // namespace taylorann
