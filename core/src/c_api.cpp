// C API: status codes and thread-local messages around the C++ core.
#include "taylorann/c_api.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "error.hpp"
#include "model.hpp"
#include "neighbours.hpp"
#include "nnascii.hpp"

using taylorann::EdgeBatch;
using taylorann::Error;
using taylorann::fail;

struct taylorann_model {
    std::unique_ptr<taylorann::Model> model;
    EdgeBatch batch;              // reused across calls: no per-step allocation
    std::vector<double> energy;   // per centre
    std::vector<double> grad;     // per edge
    std::vector<int> species;     // compute_periodic copy
    std::vector<int64_t> block_of_atom;
    bool checked = false;         // the first evaluation looked for overlapping atoms
    taylorann::PeriodicNeighbours periodic;
};

namespace {

thread_local std::string last_error;

template <class F>
int guarded(F &&body) {
    try {
        body();
        return TAYLORANN_OK;
    } catch (const Error &e) {
        last_error = e.what();
        return e.code();
    } catch (const std::bad_alloc &) {
        last_error = "out of memory";
        return TAYLORANN_ERR_RUNTIME;
    } catch (const std::exception &e) {
        last_error = std::string("internal error: ") + e.what();
        return TAYLORANN_ERR_RUNTIME;
    } catch (...) {
        last_error = "internal error: unknown exception";
        return TAYLORANN_ERR_RUNTIME;
    }
}

void require(bool ok, const char *what) {
    if (!ok) fail(TAYLORANN_ERR_ARGUMENT, what);
}

bool ends_with(const std::string &s, const std::string &suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void evaluate(taylorann_model *h, double *energy, double *eatom) {
    EdgeBatch &b = h->batch;
    h->energy.resize(b.n_centres());
    h->grad.resize(3 * b.n_edges());
    h->model->compute(b, h->energy.data(), h->grad.data());
    double total = 0.0;
    for (size_t c = 0; c < b.n_centres(); ++c) {
        total += h->energy[c];
        if (eatom) eatom[b.centre[c]] += h->energy[c];
    }
    *energy = total;
}

// Forces, virial (6, Voigt xx yy zz xy xz yz) and per-atom virial of the last evaluation,
// ACCUMULATED into the host's arrays: the one output convention of both compute calls.
void assemble_outputs(taylorann_model *h, double *f, double *virial, double *vatom) {
    double w9[9] = {0};
    taylorann::assemble(h->batch, h->grad.data(), f, virial ? w9 : nullptr, vatom);
    if (!virial) return;
    static const int voigt[6] = {0, 4, 8, 1, 2, 5};  // row-major 3x3 index of xx yy zz xy xz yz
    for (int k = 0; k < 6; ++k) virial[k] += w9[voigt[k]];
}

// The handle's edge batch for a whole structure (own neighbour search).
EdgeBatch &build_periodic(taylorann_model *h, int n, const double *x, const int *species, const double *cell,
                          const int *pbc, const char *caller) {
    const int nspecies = int(h->model->species().size());
    for (int i = 0; i < n; ++i)
        if (species[i] < 0 || species[i] >= nspecies)
            fail(TAYLORANN_ERR_ARGUMENT, std::string(caller) + ": atom " + std::to_string(i) +
                                             " has species index " + std::to_string(species[i]) +
                                             ", expected 0.." + std::to_string(nspecies - 1));
    bool periodic[3] = {false, false, false};
    if (cell)
        for (int d = 0; d < 3; ++d) periodic[d] = pbc ? pbc[d] != 0 : true;
    EdgeBatch &b = h->batch;
    b.clear();
    b.n_atoms = n;
    b.species = species;
    h->periodic.build(n, x, cell, periodic, h->model->cutoff(), b);
    if (!h->checked) taylorann::check_overlaps(b);  // refused at a handle's first evaluation
    h->checked = true;
    return b;
}

}  // namespace

extern "C" {

int taylorann_api_version(void) { return TAYLORANN_API_VERSION; }

const char *taylorann_last_error(void) { return last_error.c_str(); }

int taylorann_has_torch(void) { return taylorann::torch_available() ? 1 : 0; }

int taylorann_create_nnascii(const char *const *paths, int n_paths, int legacy_angular,
                             taylorann_model **out) {
    return guarded([&] {
        require(out != nullptr, "taylorann_create_nnascii: out is NULL");
        *out = nullptr;
        require(paths != nullptr && n_paths > 0, "taylorann_create_nnascii: need at least one file");
        std::vector<std::string> list;
        for (int k = 0; k < n_paths; ++k) {
            require(paths[k] != nullptr, "taylorann_create_nnascii: a path is NULL");
            list.emplace_back(paths[k]);
        }
        std::vector<taylorann::PotentialFile> files;
        for (const auto &p : list) files.push_back(taylorann::read_nnascii(p));
        auto h = std::make_unique<taylorann_model>();
        h->model = taylorann::make_native_model(files, legacy_angular != 0);
        *out = h.release();
    });
}

int taylorann_create_nnascii_text(const char *const *names, const char *const *texts, int n_texts,
                                  int legacy_angular, taylorann_model **out) {
    return guarded([&] {
        require(out != nullptr, "taylorann_create_nnascii_text: out is NULL");
        *out = nullptr;
        require(names && texts && n_texts > 0, "taylorann_create_nnascii_text: need at least one text");
        std::vector<taylorann::PotentialFile> files;
        for (int k = 0; k < n_texts; ++k) {
            require(names[k] && texts[k], "taylorann_create_nnascii_text: a name or text is NULL");
            files.push_back(taylorann::read_nnascii_text(names[k], texts[k]));
        }
        auto h = std::make_unique<taylorann_model>();
        h->model = taylorann::make_native_model(files, legacy_angular != 0);
        *out = h.release();
    });
}

int taylorann_create_torchscript(const char *path, taylorann_model **out) {
    return guarded([&] {
        require(out != nullptr, "taylorann_create_torchscript: out is NULL");
        *out = nullptr;
        require(path != nullptr, "taylorann_create_torchscript: path is NULL");
        auto h = std::make_unique<taylorann_model>();
        h->model = taylorann::make_torch_model(path);
        *out = h.release();
    });
}

int taylorann_create(const char *const *paths, int n_paths, int legacy_angular, taylorann_model **out) {
    if (paths && n_paths >= 1 && paths[0]) {
        const std::string first = paths[0];
        if (ends_with(first, ".pt") || ends_with(first, ".pth")) {
            if (n_paths != 1) {
                last_error = first + ": a TorchScript model holds all species; give it alone (got " +
                             std::to_string(n_paths) + " files)";
                return TAYLORANN_ERR_ARGUMENT;
            }
            return taylorann_create_torchscript(paths[0], out);
        }
    }
    return taylorann_create_nnascii(paths, n_paths, legacy_angular, out);
}

void taylorann_destroy(taylorann_model *model) { delete model; }

int taylorann_num_species(const taylorann_model *model, int *n) {
    return guarded([&] {
        require(model && n, "taylorann_num_species: NULL argument");
        *n = int(model->model->species().size());
    });
}

int taylorann_species_name(const taylorann_model *model, int index, char *buf, size_t buflen) {
    return guarded([&] {
        require(model && buf && buflen > 0, "taylorann_species_name: NULL argument");
        const auto &sp = model->model->species();
        require(index >= 0 && size_t(index) < sp.size(), "taylorann_species_name: index out of range");
        require(sp[index].size() < buflen, "taylorann_species_name: buffer too small");
        std::memcpy(buf, sp[index].c_str(), sp[index].size() + 1);
    });
}

int taylorann_species_index(const taylorann_model *model, const char *name, int *index) {
    return guarded([&] {
        require(model && name && index, "taylorann_species_index: NULL argument");
        const auto &sp = model->model->species();
        *index = -1;
        for (size_t k = 0; k < sp.size(); ++k)
            if (sp[k] == name) *index = int(k);
    });
}

int taylorann_reference_energy(const taylorann_model *model, int index, double *energy) {
    return guarded([&] {
        require(model && energy, "taylorann_reference_energy: NULL argument");
        const auto &e = model->model->reference_energies();
        require(index >= 0 && size_t(index) < e.size(), "taylorann_reference_energy: index out of range");
        *energy = e[index];
    });
}

int taylorann_cutoff(const taylorann_model *model, double *cutoff) {
    return guarded([&] {
        require(model && cutoff, "taylorann_cutoff: NULL argument");
        *cutoff = model->model->cutoff();
    });
}

int taylorann_num_features(const taylorann_model *model, int index, int *n) {
    return guarded([&] {
        require(model && n, "taylorann_num_features: NULL argument");
        require(index >= 0 && size_t(index) < model->model->species().size(),
                "taylorann_num_features: index out of range");
        *n = model->model->num_features(index);
    });
}

int taylorann_backend_name(const taylorann_model *model, char *buf, size_t buflen) {
    return guarded([&] {
        require(model && buf && buflen > 0, "taylorann_backend_name: NULL argument");
        const std::string name = model->model->backend_name();
        require(name.size() < buflen, "taylorann_backend_name: buffer too small");
        std::memcpy(buf, name.c_str(), name.size() + 1);
    });
}

int taylorann_extrapolation(const taylorann_model *h, int64_t *count, int *atoms, int64_t capacity) {
    return guarded([&] {
        require(h && count && capacity >= 0 && (atoms || capacity == 0), "taylorann_extrapolation: invalid argument");
        if (!h->model->reports_ranges())
            fail(TAYLORANN_ERR_UNSUPPORTED, "taylorann_extrapolation: the " + h->model->backend_name() +
                                                " backend does not report descriptor ranges (the .nn.ascii or "
                                                "binary .nn files of the same potential do)");
        const auto &out = h->model->out_of_range();
        *count = int64_t(out.size());
        for (size_t k = 0; k < out.size() && int64_t(k) < capacity; ++k) atoms[k] = h->batch.centre[size_t(out[k])];
    });
}

int taylorann_features_periodic(taylorann_model *h, int n, const double *x, const int *species,
                                const double *cell, const int *pbc, int ld, double *G, int64_t capacity,
                                int64_t *n_blocks, int *block_centre, int *block_atom, double *values) {
    return guarded([&] {
        require(h && x && species && G && n >= 0 && ld > 0, "taylorann_features_periodic: invalid argument");
        require(!values || (n_blocks && block_centre && block_atom && capacity >= 0),
                "taylorann_features_periodic: derivatives need n_blocks, block_centre and block_atom");
        EdgeBatch &b = build_periodic(h, n, x, species, cell, pbc, "taylorann_features_periodic");
        if (!values) {
            h->model->features(b, ld, G, nullptr);
            return;
        }
        // (centre, atom) blocks: vec_e = x_j - x_i (+ image), so dG/dx_j += J_e, dG/dx_i -= J_e
        struct Blocks final : taylorann::Model::JacobianSink {
            const EdgeBatch &b;
            size_t bs;
            int64_t capacity, count = 0;
            int *centre_of, *atom_of;
            double *values;
            std::vector<int64_t> &slot;
            Blocks(const EdgeBatch &b, int ld, int64_t capacity, int *c, int *a, double *v, std::vector<int64_t> &s)
                : b(b), bs(size_t(ld) * 3), capacity(capacity), centre_of(c), atom_of(a), values(v), slot(s) {}
            int64_t block(int centre, int atom) {
                int64_t &k = slot[size_t(atom)];
                if (k < 0) {
                    k = count++;
                    if (k < capacity) {
                        centre_of[k] = centre;
                        atom_of[k] = atom;
                        std::fill(values + size_t(k) * bs, values + size_t(k + 1) * bs, 0.0);
                    }
                }
                return k;
            }
            void centre(size_t c, const double *J) override {
                const int i = b.centre[c];
                const int64_t own = block(i, i);
                for (int64_t e = b.offset[c]; e < b.offset[c + 1]; ++e) {
                    const int64_t k = block(i, b.neighbour[e]);
                    if (own >= capacity || k >= capacity) continue;
                    const double *je = J + size_t(e - b.offset[c]) * bs;
                    double *to = values + size_t(k) * bs, *from = values + size_t(own) * bs;
                    for (size_t q = 0; q < bs; ++q) {
                        to[q] += je[q];
                        from[q] -= je[q];
                    }
                }
                slot[size_t(i)] = -1;
                for (int64_t e = b.offset[c]; e < b.offset[c + 1]; ++e) slot[size_t(b.neighbour[e])] = -1;
            }
        };
        h->block_of_atom.assign(size_t(n), -1);
        Blocks sink(b, ld, capacity, block_centre, block_atom, values, h->block_of_atom);
        h->model->features(b, ld, G, &sink);
        *n_blocks = sink.count;
        if (sink.count > capacity)
            fail(TAYLORANN_ERR_CAPACITY, "taylorann_features_periodic: " + std::to_string(sink.count) +
                                             " derivative blocks needed, capacity " + std::to_string(capacity));
    });
}

int taylorann_features_many(taylorann_model *h, int n_structures, const int *natoms, const double *x,
                            const int *species, const double *cells, const int *pbc, int ld, double *G) {
    return guarded([&] {
        require(h && natoms && x && species && G && n_structures >= 0 && ld > 0,
                "taylorann_features_many: invalid argument");
        int64_t atom = 0;
        for (int s = 0; s < n_structures; ++s) {
            const int n = natoms[s];
            if (n < 0)
                fail(TAYLORANN_ERR_ARGUMENT, "taylorann_features_many: structure " + std::to_string(s) +
                                                 " has a negative atom count");
            const int *flags = pbc ? pbc + 3 * size_t(s) : nullptr;
            const bool isolated = !cells || (flags && !flags[0] && !flags[1] && !flags[2]);
            try {
                EdgeBatch &b = build_periodic(h, n, x + 3 * atom, species + atom, isolated ? nullptr : cells + 9 * size_t(s),
                                              flags, "taylorann_features_many");
                h->model->features(b, ld, G + atom * ld, nullptr);
            } catch (const Error &e) {
                fail(e.code(), "structure " + std::to_string(s) + ": " + e.what());
            }
            atom += n;
        }
    });
}

int taylorann_features_dense(taylorann_model *h, int n, const double *x, const int *species, const double *cell,
                             const int *pbc, int ld, double *G, double *J) {
    return guarded([&] {
        require(h && x && species && G && J && n >= 0 && ld > 0, "taylorann_features_dense: invalid argument");
        EdgeBatch &b = build_periodic(h, n, x, species, cell, pbc, "taylorann_features_dense");
        struct Dense final : taylorann::Model::JacobianSink {
            const EdgeBatch &b;
            size_t ld, nn;
            double *J;
            std::vector<double> own;
            Dense(const EdgeBatch &b, int ld, int n, double *J) : b(b), ld(size_t(ld)), nn(size_t(n)), J(J) {}
            void centre(size_t c, const double *Jc) override {
                const size_t i = size_t(b.centre[c]), bs = ld * 3, row = nn * 3;
                double *Ji = J + i * ld * row;  // rows i*ld .. i*ld + ld - 1
                std::fill(Ji, Ji + ld * row, 0.0);
                own.assign(bs, 0.0);
                for (int64_t e = b.offset[c]; e < b.offset[c + 1]; ++e) {
                    const double *je = Jc + size_t(e - b.offset[c]) * bs;
                    for (size_t q = 0; q < bs; ++q) own[q] += je[q];
                    double *col = Ji + 3 * size_t(b.neighbour[e]);
                    for (size_t f = 0; f < ld; ++f) {
                        col[f * row] += je[3 * f];
                        col[f * row + 1] += je[3 * f + 1];
                        col[f * row + 2] += je[3 * f + 2];
                    }
                }
                double *col = Ji + 3 * i;
                for (size_t f = 0; f < ld; ++f)
                    for (int k = 0; k < 3; ++k) col[f * row + k] -= own[3 * f + k];
            }
        };
        Dense sink(b, ld, n, J);
        h->model->features(b, ld, G, &sink);
    });
}

int taylorann_compute_neighbors(taylorann_model *h, int n_all, const double *x, const int *species,
                                int n_centres, const int *ilist, const int *numneigh,
                                const int *const *firstneigh, double *energy, double *eatom, double *f,
                                double *virial, double *vatom) {
    return guarded([&] {
        require(h && x && species && energy && n_all >= 0 && n_centres >= 0 && n_centres <= n_all,
                "taylorann_compute_neighbors: invalid argument");
        require(n_centres == 0 || (numneigh && firstneigh), "taylorann_compute_neighbors: neighbour list is NULL");
        const bool first = !h->checked;  // overlapping atoms are refused in the first step
        h->checked = true;
        EdgeBatch &b = h->batch;
        taylorann::edges_from_list(b, n_all, x, species, int(h->model->species().size()), n_centres, ilist,
                                   numneigh, firstneigh, h->model->cutoff(), first);
        evaluate(h, energy, eatom);
        assemble_outputs(h, f, virial, vatom);
    });
}

int taylorann_compute_periodic(taylorann_model *h, int n, const double *x, const int *species,
                               const double *cell, const int *pbc, double *energy, double *eatom, double *f,
                               double *virial) {
    return guarded([&] {
        require(h && x && species && energy && n >= 0, "taylorann_compute_periodic: invalid argument");
        build_periodic(h, n, x, species, cell, pbc, "taylorann_compute_periodic");
        evaluate(h, energy, eatom);
        assemble_outputs(h, f, virial, nullptr);
    });
}

}  // extern "C"
