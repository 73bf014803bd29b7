// Native backend: one ænet .nn.ascii file per species (AENET_FORMAT.md section 6).
#include <algorithm>
#include <cmath>

#include "descriptor.hpp"
#include "error.hpp"
#include "model.hpp"
#include "network.hpp"
#include "nnascii.hpp"

namespace taylorann {
inline namespace TAYLORANN_ISA {
namespace {

struct SpeciesPotential {
    std::string path;
    std::unique_ptr<Descriptor> descriptor;
    std::unique_ptr<Network> network;
    std::vector<double> avg, inv_sigma;  // input normalisation
    std::vector<double> low, high;       // training range of each raw descriptor value, widened by a hair
    double inv_scale = 1.0, shift = 0.0, reference = 0.0;
    std::vector<int> env_of_species;     // model species -> index in envtypes
};

class NativeModel final : public Model {
public:
    NativeModel(const std::vector<PotentialFile> &files, bool legacy_angular) {
        if (files.empty()) fail(TAYLORANN_ERR_ARGUMENT, "no potential files given");
        for (size_t a = 0; a < files.size(); ++a) {
            for (size_t b = 0; b < a; ++b)
                if (files[a].setup.atomtype == files[b].setup.atomtype)
                    fail(TAYLORANN_ERR_ARGUMENT, files[a].path + ": species '" + files[a].setup.atomtype +
                                                     "' already provided by " + files[b].path);
            species_.push_back(files[a].setup.atomtype);
            reference_energies_.push_back(files[a].reference_energy);
        }
        for (auto &file : files) {
            SpeciesPotential sp;
            sp.path = file.path;
            sp.descriptor = make_descriptor(file, legacy_angular);
            sp.network = std::make_unique<Network>(file.network);
            const auto &s = file.setup;
            for (int f = 0; f < s.nsf; ++f) {
                const double sigma = std::sqrt(std::max(0.0, s.sfval_cov[f] - s.sfval_avg[f] * s.sfval_avg[f]));
                sp.avg.push_back(s.sfval_avg[f]);
                const double hair = 1e-9 * (std::abs(s.sfval_max[f] - s.sfval_min[f]) + std::abs(s.sfval_max[f])) + 1e-12;
                sp.low.push_back(s.sfval_min[f] - hair);
                sp.high.push_back(s.sfval_max[f] + hair);
                sp.inv_sigma.push_back(sigma > 1e-10 ? 1.0 / sigma : 0.0);
            }
            sp.inv_scale = 1.0 / file.training.scale;
            sp.shift = file.training.shift;
            sp.reference = file.reference_energy;
            for (const auto &name : species_) {
                const auto it = std::find(s.envtypes.begin(), s.envtypes.end(), name);
                if (it == s.envtypes.end()) {
                    std::string listed;
                    for (auto &e : s.envtypes) listed += (listed.empty() ? "" : " ") + e;
                    fail(TAYLORANN_ERR_FORMAT, file.path + ": record S4 envtypes: species '" + name +
                                                   "' of the model is not an environment species of this "
                                                   "potential (listed: " + listed + ")");
                }
                sp.env_of_species.push_back(int(it - s.envtypes.begin()));
            }
            const double rc = sp.descriptor->cutoff();
            if (s.rc_max + 1e-6 < rc)
                fail(TAYLORANN_ERR_FORMAT, file.path + ": record S6 Rc_max: " + std::to_string(s.rc_max) +
                                               " is smaller than the descriptor cut-off " + std::to_string(rc));
            if (!pots_.empty() && std::abs(rc - cutoff_) > 1e-9)
                fail(TAYLORANN_ERR_FORMAT, "cut-off mismatch between potential files: " + pots_[0].path +
                                               " has " + std::to_string(cutoff_) + " Å, " + file.path + " has " +
                                               std::to_string(rc) + " Å; all species must share one cut-off");
            cutoff_ = rc;
            max_nsf_ = std::max(max_nsf_, s.nsf);
            pots_.push_back(std::move(sp));
        }
        G_.resize(max_nsf_);
        x_.resize(max_nsf_);
        dydx_.resize(max_nsf_);
    }

    // The neighbours of centre c inside the cut-off into nb_ (slot_[k] = their edge).
    int gather(const EdgeBatch &batch, size_t c, const SpeciesPotential &pot) {
        const double rc2 = cutoff_ * cutoff_;
        const int64_t e0 = batch.offset[c], e1 = batch.offset[c + 1];
        nb_.resize(int(e1 - e0));
        if (slot_.size() < size_t(e1 - e0)) slot_.resize(size_t(e1 - e0) * 3 / 2 + 16);
        int n = 0;
        for (int64_t e = e0; e < e1; ++e) {
            const double *v = &batch.vec[3 * e];
            const double r2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
            if (r2 > rc2 || r2 <= 1e-24) continue;
            nb_.x[n] = v[0];
            nb_.y[n] = v[1];
            nb_.z[n] = v[2];
            nb_.r[n] = std::sqrt(r2);
            nb_.env[n] = pot.env_of_species[batch.species[batch.neighbour[e]]];
            slot_[n] = e;
            ++n;
        }
        nb_.n = n;
        return n;
    }

    std::string backend_name() const override { return TAYLORANN_ISA_NAME; }

    int num_features(int species) const override { return pots_.at(size_t(species)).descriptor->size(); }

    void features(const EdgeBatch &batch, int ld, double *G, JacobianSink *sink) override {
        if (ld < max_nsf_)
            fail(TAYLORANN_ERR_ARGUMENT, "features: row length " + std::to_string(ld) + " is below the largest "
                                         "descriptor size " + std::to_string(max_nsf_));
        for (size_t c = 0; c < batch.n_centres(); ++c) {
            SpeciesPotential &pot = pots_[batch.species[batch.centre[c]]];
            const int n = gather(batch, c, pot);
            Descriptor &d = *pot.descriptor;
            const int nsf = d.size();
            double *row = G + c * size_t(ld);
            std::fill(row, row + ld, 0.0);
            d.set_derivatives(sink != nullptr);
            d.forward(nb_, row);
            if (!sink) continue;
            const int64_t ne = batch.offset[c + 1] - batch.offset[c];
            const size_t bs = size_t(ld) * 3;
            jedge_.resize(size_t(ne) * bs);
            if (n == ne && nsf == ld) {  // every edge inside the cut-off: no reordering
                d.jacobian(nb_, jedge_.data());
            } else {
                jbuf_.resize(size_t(n) * nsf * 3);
                d.jacobian(nb_, jbuf_.data());
                std::fill(jedge_.begin(), jedge_.end(), 0.0);
                for (int k = 0; k < n; ++k)
                    std::copy(&jbuf_[size_t(k) * nsf * 3], &jbuf_[size_t(k + 1) * nsf * 3],
                              &jedge_[size_t(slot_[k] - batch.offset[c]) * bs]);
            }
            sink->centre(c, jedge_.data());
        }
    }

    bool reports_ranges() const override { return true; }

    void compute(const EdgeBatch &batch, double *energy, double *grad) override {
        out_of_range_.clear();
        for (size_t c = 0; c < batch.n_centres(); ++c) {
            const int t = batch.species[batch.centre[c]];
            SpeciesPotential &pot = pots_[t];
            const int n = gather(batch, c, pot);
            const int64_t e0 = batch.offset[c], e1 = batch.offset[c + 1];
            Descriptor &d = *pot.descriptor;
            const int nsf = d.size();
            d.set_derivatives(true);
            d.forward(nb_, G_.data());
            bool outside = false;
            for (int f = 0; f < nsf; ++f) {
                outside |= (G_[f] < pot.low[f]) | (G_[f] > pot.high[f]);
                x_[f] = pot.inv_sigma[f] * (G_[f] - pot.avg[f]);
            }
            if (outside) out_of_range_.push_back(int(c));
            const double y = pot.network->evaluate(x_.data(), dydx_.data());
            energy[c] = y * pot.inv_scale + pot.shift + pot.reference;
            for (int f = 0; f < nsf; ++f) dydx_[f] *= pot.inv_scale * pot.inv_sigma[f];
            d.backward(nb_, dydx_.data());
            for (int64_t e = e0; e < e1; ++e) grad[3 * e] = grad[3 * e + 1] = grad[3 * e + 2] = 0.0;
            for (int k = 0; k < n; ++k) {
                double *g = &grad[3 * slot_[k]];
                g[0] = nb_.gx[k];
                g[1] = nb_.gy[k];
                g[2] = nb_.gz[k];
            }
        }
    }

private:
    std::vector<SpeciesPotential> pots_;
    int max_nsf_ = 0;
    Neighbours nb_;
    std::vector<int64_t> slot_;
    std::vector<double> G_, x_, dydx_, jbuf_, jedge_;
};

}  // namespace

std::unique_ptr<Model> make_native_model_isa(const std::vector<PotentialFile> &files, bool legacy_angular) {
    return std::make_unique<NativeModel>(files, legacy_angular);
}

}  // namespace TAYLORANN_ISA
}  // namespace taylorann
