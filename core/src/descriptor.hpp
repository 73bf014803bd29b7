// Atomic-environment descriptors of ænet (AENET_FORMAT.md sections 4 and 7).
// Descriptors take the neighbours of one centre as input; neighbour search is
// the caller's business.
#pragma once
#include <memory>
#include <vector>

#include "isa.hpp"
#include "nnascii.hpp"

namespace taylorann {
inline namespace TAYLORANN_ISA {

// Neighbours of one centre in structure-of-arrays form.
struct Neighbours {
    int n = 0;
    std::vector<double> x, y, z, r;  // R_ij = r_j - r_i and its length
    std::vector<int> env;            // index into the set-up's envtypes
    std::vector<double> gx, gy, gz;  // output of backward(): dE/dR_ij

    void resize(int count) {
        n = count;
        if (int(x.size()) < count) {
            const size_t m = size_t(count) + size_t(count) / 2 + 16;
            for (auto *v : {&x, &y, &z, &r, &gx, &gy, &gz}) v->resize(m);
            env.resize(m);
        }
    }
};

class Descriptor {
public:
    virtual ~Descriptor() = default;
    int size() const { return size_; }
    double cutoff() const { return cutoff_; }
    // G[size()] of the centre. Must precede backward() on the same neighbours.
    virtual void forward(const Neighbours &nb, double *G) = 0;
    // nb.g* = sum_f dEdG[f] dG_f/dR_ij.
    virtual void backward(Neighbours &nb, const double *dEdG) = 0;
    // Full derivative after forward() on the same neighbours:
    // J[(j * size() + f) * 3 + c] = dG_f / dR_ij,c. The default calls backward()
    // once per feature (exact, one function at a time for Behler's set-ups).
    virtual void jacobian(Neighbours &nb, double *J);
    // Off: forward() may skip what only backward()/jacobian() use (features alone).
    void set_derivatives(bool on) { derivatives_ = on; }

protected:
    bool derivatives_ = true;
    int size_ = 0;
    double cutoff_ = 0.0;
};

std::unique_ptr<Descriptor> make_descriptor(const PotentialFile &pot, bool legacy_angular);
std::unique_ptr<Descriptor> make_chebyshev(const PotentialFile &pot, bool legacy_angular);  // chebyshev.cpp
std::unique_ptr<Descriptor> make_behler(const PotentialFile &pot);                          // behler.cpp

}  // namespace TAYLORANN_ISA
}  // namespace taylorann
