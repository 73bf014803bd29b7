// The backend-independent evaluation contract: a model maps per-centre
// neighbour edges (vector r_j - r_i) to per-centre energies and dE/d(edge).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace taylorann {

// Edges grouped by centre (CSR). Owned by the caller and reused across calls.
struct EdgeBatch {
    int n_atoms = 0;                 // size of the atom array edges index into
    const int *species = nullptr;    // [n_atoms]; edges never touch atoms with species < 0
    std::vector<int> centre;         // [n_centres] atom index of each centre
    std::vector<int64_t> offset;     // [n_centres + 1]
    std::vector<int> neighbour;      // [n_edges] atom index of the neighbour
    std::vector<double> vec;         // [3 n_edges] r_j - r_i (periodic images applied)

    void clear() {
        centre.clear();
        offset.assign(1, 0);
        neighbour.clear();
        vec.clear();
    }
    size_t n_centres() const { return centre.size(); }
    size_t n_edges() const { return neighbour.size(); }
};

class Model {
public:
    virtual ~Model() = default;
    const std::vector<std::string> &species() const { return species_; }
    const std::vector<double> &reference_energies() const { return reference_energies_; }
    double cutoff() const { return cutoff_; }
    // energy[c] of every centre (reference energy included); grad[3e] = dE_total/d vec_e.
    virtual void compute(const EdgeBatch &batch, double *energy, double *grad) = 0;
    // Receives the derivatives of one centre's descriptors, right after they are computed:
    // J[((e - offset[c]) * ld + f) * 3 + k] = dG_{c,f} / d vec_e,k for the edges e of centre
    // c (zero beyond the cut-off); valid only during the call.
    struct JacobianSink {
        virtual ~JacobianSink() = default;
        virtual void centre(size_t c, const double *J) = 0;
    };
    // Raw descriptors (training features): G[c * ld + f] for f < num_features(species of
    // centre c), the rest of the row zero; derivatives to `sink` if given. Native only.
    virtual void features(const EdgeBatch &batch, int ld, double *G, JacobianSink *sink);
    virtual int num_features(int species) const;
    virtual std::string backend_name() const = 0;
    // Extrapolation: whether the backend knows the training range of the descriptors (the
    // files' sfval_min/sfval_max), and the centres (indices c into the last compute's batch)
    // whose descriptor left that range in the last compute.
    virtual bool reports_ranges() const { return false; }
    const std::vector<int> &out_of_range() const { return out_of_range_; }

protected:
    std::vector<std::string> species_;
    std::vector<double> reference_energies_;
    double cutoff_ = 0.0;
    std::vector<int> out_of_range_;
};

// Adds the forces f[3 n_atoms], the virial w9 (row-major W_ab = sum r_a F_b) and the per-atom
// virial vatom[6 n_atoms] (xx yy zz xy xz yz, half to each atom of a pair) of the per-edge
// gradients grad[3 e] = dE/d vec_e; any output may be NULL.
void assemble(const EdgeBatch &b, const double *grad, double *f, double *w9, double *vatom);

struct PotentialFile;
std::unique_ptr<Model> make_native_model(const std::vector<PotentialFile> &files, bool legacy_angular);
const char *native_isa();  // "generic" or "x86_64_v3": the copy make_native_model uses
std::unique_ptr<Model> make_torch_model(const std::string &path);  // throws if not built in
bool torch_available();

}  // namespace taylorann
