// Defaults of the backend interface for what only some backends provide.
#include "model.hpp"

#include "error.hpp"

namespace taylorann {

void Model::features(const EdgeBatch &, int, double *, JacobianSink *) {
    fail(TAYLORANN_ERR_UNSUPPORTED, "descriptors and their derivatives need the native (.nn.ascii) backend");
}

int Model::num_features(int) const {
    fail(TAYLORANN_ERR_UNSUPPORTED, "descriptors and their derivatives need the native (.nn.ascii) backend");
}

}  // namespace taylorann
