#include "neighbours.hpp"

#include <vesin.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "error.hpp"

namespace taylorann {

PeriodicNeighbours::PeriodicNeighbours() : list_(new VesinNeighborList()) {}

PeriodicNeighbours::~PeriodicNeighbours() {
    vesin_free(list_);
    delete list_;
}

void PeriodicNeighbours::build(int n, const double *x, const double *cell, const bool periodic[3],
                               double cutoff, EdgeBatch &batch) {
    double box[3][3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
    bool pbc[3] = {periodic[0], periodic[1], periodic[2]};
    if (cell) {
        for (int a = 0; a < 3; ++a)
            for (int b = 0; b < 3; ++b) box[a][b] = cell[3 * a + b];
        const double det = box[0][0] * (box[1][1] * box[2][2] - box[1][2] * box[2][1]) -
                           box[0][1] * (box[1][0] * box[2][2] - box[1][2] * box[2][0]) +
                           box[0][2] * (box[1][0] * box[2][1] - box[1][1] * box[2][0]);
        if (!(std::abs(det) > 1e-12))
            fail(TAYLORANN_ERR_ARGUMENT, "cell is singular (lattice vectors are linearly dependent)");
    }
    VesinOptions options{};
    options.cutoff = cutoff;
    options.full = true;
    options.sorted = false;
    options.algorithm = VesinAutoAlgorithm;
    options.skin = 0.0;
    options.n_threads = 1;
    options.return_shifts = false;
    options.return_distances = false;
    options.return_vectors = true;
    VesinDevice device{VesinCPU, 0};
    const char *message = nullptr;
    const int status = vesin_neighbors(reinterpret_cast<const double(*)[3]>(x), size_t(n), box, pbc, device,
                                       options, list_, &message);
    if (status != 0)
        fail(TAYLORANN_ERR_RUNTIME, std::string("neighbour search (vesin) failed: ") +
                                        (message ? message : "unknown error"));
    // Group the pairs by centre (counting sort keeps vesin's order within a centre).
    const size_t m = list_->length;
    count_.assign(size_t(n) + 1, 0);
    for (size_t p = 0; p < m; ++p) ++count_[list_->pairs[p][0] + 1];
    for (int i = 0; i < n; ++i) count_[i + 1] += count_[i];
    batch.centre.resize(n);
    batch.offset.assign(count_.begin(), count_.end());
    batch.neighbour.resize(m);
    batch.vec.resize(3 * m);
    for (int i = 0; i < n; ++i) batch.centre[i] = i;
    for (size_t p = 0; p < m; ++p) {
        const int64_t slot = count_[list_->pairs[p][0]]++;
        batch.neighbour[slot] = int(list_->pairs[p][1]);
        for (int d = 0; d < 3; ++d) batch.vec[3 * slot + d] = list_->vectors[p][d];
    }
}

}  // namespace taylorann
