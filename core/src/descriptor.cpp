// The descriptor interface (descriptor.hpp): the default Jacobian and the factory over the
// Chebyshev (chebyshev.hpp/.cpp) and Behler2011 (behler.cpp) set-ups.
#include "descriptor.hpp"

#include <vector>

namespace taylorann {
inline namespace TAYLORANN_ISA {

void Descriptor::jacobian(Neighbours &nb, double *J) {
    std::vector<double> unit(size_t(size_), 0.0);
    const size_t stride = size_t(size_) * 3;
    for (int f = 0; f < size_; ++f) {
        unit[f] = 1.0;
        backward(nb, unit.data());
        unit[f] = 0.0;
        for (int j = 0; j < nb.n; ++j) {
            double *out = J + size_t(j) * stride + size_t(f) * 3;
            out[0] = nb.gx[j];
            out[1] = nb.gy[j];
            out[2] = nb.gz[j];
        }
    }
}

std::unique_ptr<Descriptor> make_descriptor(const PotentialFile &pot, bool legacy_angular) {
    if (pot.setup.sftype == "chebyshev") return make_chebyshev(pot, legacy_angular);
    return make_behler(pot);
}

}  // namespace TAYLORANN_ISA
}  // namespace taylorann
