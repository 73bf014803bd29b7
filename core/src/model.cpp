// Defaults of the backend interface for what only some backends provide, and the assembly
// of forces and virials from a backend's per-edge gradients.
#include "model.hpp"

#include "error.hpp"

namespace taylorann {

void Model::features(const EdgeBatch &, int, double *, JacobianSink *) {
    fail(TAYLORANN_ERR_UNSUPPORTED, "descriptors and their derivatives need the native (.nn.ascii) backend");
}

int Model::num_features(int) const {
    fail(TAYLORANN_ERR_UNSUPPORTED, "descriptors and their derivatives need the native (.nn.ascii) backend");
}

// Forces, virial and per-atom virial from per-edge gradients g_e = dE/dR_e,
// R_e = r_j - r_i: F_i += g, F_j -= g, W_ab -= R_a g_b.
void assemble(const EdgeBatch &b, const double *grad, double *f, double *w9, double *vatom) {
    for (size_t c = 0; c < b.n_centres(); ++c) {
        const int i = b.centre[c];
        for (int64_t e = b.offset[c]; e < b.offset[c + 1]; ++e) {
            const double *g = &grad[3 * e];
            const int j = b.neighbour[e];
            if (f) {
                for (int d = 0; d < 3; ++d) {
                    f[3 * i + d] += g[d];
                    f[3 * j + d] -= g[d];
                }
            }
            if (w9 || vatom) {
                const double *R = &b.vec[3 * e];
                const double v[6] = {-R[0] * g[0], -R[1] * g[1], -R[2] * g[2],
                                     -R[0] * g[1], -R[0] * g[2], -R[1] * g[2]};
                if (w9)
                    for (int a = 0; a < 3; ++a)
                        for (int bb = 0; bb < 3; ++bb) w9[3 * a + bb] -= R[a] * g[bb];
                if (vatom)
                    for (int k = 0; k < 6; ++k) {
                        vatom[6 * i + k] += 0.5 * v[k];
                        vatom[6 * j + k] += 0.5 * v[k];
                    }
            }
        }
    }
}

}  // namespace taylorann
