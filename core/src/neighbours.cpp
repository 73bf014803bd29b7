#include "neighbours.hpp"

#include <vesin.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "error.hpp"

namespace taylorann {

namespace {

[[noreturn]] void overlap(int i, int j, double r2) {
    fail(TAYLORANN_ERR_ARGUMENT, "atoms " + std::to_string(i) + " and " + std::to_string(j) +
                                     " (0-based indices, periodic images included) are " +
                                     std::to_string(std::sqrt(r2)) +
                                     " Å apart, closer than 0.1 Å: overlapping atoms give no meaningful energy");
}

// floor and ceil to int without a libm call (the generic build lacks SSE4.1's roundsd)
inline int int_floor(double v) {
    const int t = int(v);
    return t - int(v < double(t));
}
inline int int_ceil(double v) {
    const int t = int(v);
    return t + int(v > double(t));
}

}  // namespace

void check_overlaps(const EdgeBatch &b) {
    for (size_t c = 0; c < b.n_centres(); ++c)
        for (int64_t e = b.offset[c]; e < b.offset[c + 1]; ++e) {
            const double *v = &b.vec[3 * e];
            const double r2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
            if (r2 < kMinDistance * kMinDistance) overlap(b.centre[c], b.neighbour[e], r2);
        }
}

void edges_from_list(EdgeBatch &b, int n_all, const double *x, const int *species, int nspecies, int n_centres,
                     const int *ilist, const int *numneigh, const int *const *firstneigh, double cutoff,
                     bool check_overlap) {
    const double rc2 = cutoff * cutoff;
    b.clear();
    b.n_atoms = n_all;
    b.species = species;
    size_t capacity = 0;
    for (int c = 0; c < n_centres; ++c) {
        const int i = ilist ? ilist[c] : c;
        if (i < 0 || i >= n_all) fail(TAYLORANN_ERR_ARGUMENT, "taylorann_compute_neighbors: centre index out of range");
        capacity += size_t(numneigh[i] > 0 ? numneigh[i] : 0);
    }
    b.neighbour.resize(capacity);  // only grows: no allocation once the list is warm
    b.vec.resize(3 * capacity);
    int *nbr = b.neighbour.data();
    double *vec = b.vec.data();
    size_t ne = 0;
    for (int c = 0; c < n_centres; ++c) {
        const int i = ilist ? ilist[c] : c;
        const int si = species[i];
        if (si < 0) continue;
        if (si >= nspecies) fail(TAYLORANN_ERR_ARGUMENT, "taylorann_compute_neighbors: species index out of range");
        const double xi0 = x[3 * i], xi1 = x[3 * i + 1], xi2 = x[3 * i + 2];
        const int *list = firstneigh[i];  // LAMMPS convention: indexed by atom, not by ii
        const int count = numneigh[i];
        for (int k = 0; k < count; ++k) {
            const int j = list[k] & 0x1FFFFFFF;  // strip LAMMPS special-bond bits
            if (j >= n_all) fail(TAYLORANN_ERR_ARGUMENT, "taylorann_compute_neighbors: neighbour index out of range");
            const double dx = x[3 * j] - xi0, dy = x[3 * j + 1] - xi1, dz = x[3 * j + 2] - xi2;
            const double r2 = dx * dx + dy * dy + dz * dz;
            if (r2 > rc2) continue;
            if (check_overlap && r2 < kMinDistance * kMinDistance && species[j] >= 0) overlap(i, j, r2);
            if (species[j] >= nspecies)
                fail(TAYLORANN_ERR_ARGUMENT, "taylorann_compute_neighbors: species index out of range");
            if (species[j] < 0) continue;
            nbr[ne] = j;
            vec[3 * ne] = dx;
            vec[3 * ne + 1] = dy;
            vec[3 * ne + 2] = dz;
            ++ne;
        }
        b.centre.push_back(i);
        b.offset.push_back(int64_t(ne));
    }
    b.neighbour.resize(ne);
    b.vec.resize(3 * ne);
}

PeriodicNeighbours::PeriodicNeighbours() : list_(new VesinNeighborList()) {}

PeriodicNeighbours::~PeriodicNeighbours() {
    vesin_free(list_);
    delete list_;
}

// Every ordered pair (i, j + image) within the cut-off by direct enumeration: for small
// systems (training frames, clusters) much faster than a cell list, which costs about a
// millisecond per call on a 56-atom cell. For each pair only the images whose plane
// distance can be inside the cut-off are visited; positions need not be wrapped.
void PeriodicNeighbours::small_system(int n, const double *x, const double *cell, const bool pbc[3], double cutoff,
                                      EdgeBatch &batch) {
    const double rc2 = cutoff * cutoff;
    double inv[3][3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};  // fractional = x . inv
    double reach[3] = {0, 0, 0};                             // cut-off in units of plane spacing
    if (cell) {
        const double *a = cell, *b = cell + 3, *c = cell + 6;
        const double det = a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
                           a[2] * (b[0] * c[1] - b[1] * c[0]);
        // columns of inv are the reciprocal vectors a* = (b x c)/det, ...
        const double bc[3] = {b[1] * c[2] - b[2] * c[1], b[2] * c[0] - b[0] * c[2], b[0] * c[1] - b[1] * c[0]};
        const double ca[3] = {c[1] * a[2] - c[2] * a[1], c[2] * a[0] - c[0] * a[2], c[0] * a[1] - c[1] * a[0]};
        const double ab[3] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
        const double *rec[3] = {bc, ca, ab};
        for (int k = 0; k < 3; ++k) {
            double norm2 = 0.0;
            for (int d = 0; d < 3; ++d) {
                inv[d][k] = rec[k][d] / det;
                norm2 += inv[d][k] * inv[d][k];
            }
            reach[k] = pbc[k] ? cutoff * std::sqrt(norm2) : 0.0;
        }
    }
    std::vector<double> &frac = frac_;
    frac.assign(3 * size_t(n), 0.0);
    if (cell)
        for (int i = 0; i < n; ++i)
            for (int k = 0; k < 3; ++k)
                frac[3 * i + k] = x[3 * i] * inv[0][k] + x[3 * i + 1] * inv[1][k] + x[3 * i + 2] * inv[2][k];
    batch.centre.resize(n);
    batch.offset.assign(1, 0);
    // Every candidate image is written and kept only if inside the cut-off (the count
    // advances by 0 or 1): no branch on the distance, which half the candidates fail.
    size_t count = 0;
    for (int i = 0; i < n; ++i) {
        batch.centre[i] = i;
        for (int j = 0; j < n; ++j) {
            int lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
            for (int k = 0; k < 3; ++k) {
                if (reach[k] == 0.0) continue;
                const double f = frac[3 * j + k] - frac[3 * i + k];
                lo[k] = int_ceil(-f - reach[k]);
                hi[k] = int_floor(-f + reach[k]);
            }
            if (hi[0] < lo[0] || hi[1] < lo[1] || hi[2] < lo[2]) continue;
            const size_t candidates = size_t(hi[0] - lo[0] + 1) * size_t(hi[1] - lo[1] + 1) * size_t(hi[2] - lo[2] + 1);
            if (batch.neighbour.size() < count + candidates) {
                const size_t size = std::max(2 * batch.neighbour.size(), count + candidates);
                batch.neighbour.resize(size);
                batch.vec.resize(3 * size);
            }
            int *nb = batch.neighbour.data();
            double *vec = batch.vec.data();
            const double d0 = x[3 * j] - x[3 * i], d1 = x[3 * j + 1] - x[3 * i + 1], d2 = x[3 * j + 2] - x[3 * i + 2];
            for (int m0 = lo[0]; m0 <= hi[0]; ++m0)
                for (int m1 = lo[1]; m1 <= hi[1]; ++m1) {
                    double t0 = 0.0, t1 = 0.0, t2 = 0.0;  // same rounding as d + (m0 a + m1 b + m2 c)
                    if (cell) {
                        t0 = m0 * cell[0] + m1 * cell[3];
                        t1 = m0 * cell[1] + m1 * cell[4];
                        t2 = m0 * cell[2] + m1 * cell[5];
                    }
                    for (int m2 = lo[2]; m2 <= hi[2]; ++m2) {
                        double v0 = d0, v1 = d1, v2 = d2;
                        if (cell) {
                            v0 += t0 + m2 * cell[6];
                            v1 += t1 + m2 * cell[7];
                            v2 += t2 + m2 * cell[8];
                        }
                        const bool self = (i == j) & (m0 == 0) & (m1 == 0) & (m2 == 0);
                        nb[count] = j;
                        vec[3 * count] = v0;
                        vec[3 * count + 1] = v1;
                        vec[3 * count + 2] = v2;
                        count += size_t((v0 * v0 + v1 * v1 + v2 * v2 <= rc2) & !self);
                    }
                }
        }
        batch.offset.push_back(int64_t(count));
    }
    batch.neighbour.resize(count);
    batch.vec.resize(3 * count);
}

void PeriodicNeighbours::build(int n, const double *x, const double *cell, const bool periodic[3],
                               double cutoff, EdgeBatch &batch) {
    for (size_t k = 0; k < 3 * size_t(n); ++k)
        if (!(std::abs(x[k]) <= kMaxCoordinate))
            fail(TAYLORANN_ERR_ARGUMENT, "atom " + std::to_string(k / 3) + ": coordinate " + "xyz"[k % 3] + " = " +
                                             (std::isfinite(x[k]) ? std::to_string(x[k]) : std::string("not finite")) +
                                             " Å, expected within ±1e6 Å (wrap positions into the cell)");
    double box[3][3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
    bool pbc[3] = {periodic[0], periodic[1], periodic[2]};
    if (cell) {
        for (int a = 0; a < 3; ++a) {
            for (int b = 0; b < 3; ++b) box[a][b] = cell[3 * a + b];
            // a shear of 1e11 Å keeps the volume but makes the image search endless (as the Python readers)
            const double length = std::sqrt(box[a][0] * box[a][0] + box[a][1] * box[a][1] + box[a][2] * box[a][2]);
            if (!(length <= kMaxCoordinate))
                fail(TAYLORANN_ERR_ARGUMENT, "cell vector " + std::to_string(a + 1) + " has length " +
                                                 (std::isfinite(length) ? std::to_string(length) : std::string("not finite")) +
                                                 " Å, expected at most 1e6 Å");
        }
        const double det = box[0][0] * (box[1][1] * box[2][2] - box[1][2] * box[2][1]) -
                           box[0][1] * (box[1][0] * box[2][2] - box[1][2] * box[2][0]) +
                           box[0][2] * (box[1][0] * box[2][1] - box[1][1] * box[2][0]);
        if (!(std::abs(det) > 1e-12))
            fail(TAYLORANN_ERR_ARGUMENT, "cell is singular (lattice vectors are linearly dependent)");
    }
    if (cell && n > 0) {  // refuse before allocating: ~ n * density * (4/3) pi rc^3 pairs
        double det = 0.0;
        det = box[0][0] * (box[1][1] * box[2][2] - box[1][2] * box[2][1]) -
              box[0][1] * (box[1][0] * box[2][2] - box[1][2] * box[2][0]) +
              box[0][2] * (box[1][0] * box[2][1] - box[1][1] * box[2][0]);
        const double pairs = double(n) * double(n) / std::abs(det) * 4.18879020478639 * cutoff * cutoff * cutoff;
        if (pairs > kMaxPairs)
            fail(TAYLORANN_ERR_ARGUMENT, "neighbour list would hold about " + std::to_string(pairs) + " pairs (" +
                                             std::to_string(n) + " atoms in " + std::to_string(std::abs(det)) +
                                             " Å^3 with a " + std::to_string(cutoff) +
                                             " Å cut-off); the limit is " + std::to_string(kMaxPairs) +
                                             ": check the cell");
    }
    if (n <= kSmallSystem) {
        small_system(n, x, cell ? &box[0][0] : nullptr, pbc, cutoff, batch);
        return;
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
