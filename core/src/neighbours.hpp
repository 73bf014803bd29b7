// Periodic neighbour search for hosts without a neighbour list (Tinker,
// Python, tests), built on vesin's cell list (triclinic cells, cells smaller
// than twice the cut-off, mixed periodicity).
#pragma once
#include "model.hpp"

struct VesinNeighborList;

namespace taylorann {

class PeriodicNeighbours {
public:
    PeriodicNeighbours();
    ~PeriodicNeighbours();
    PeriodicNeighbours(const PeriodicNeighbours &) = delete;
    PeriodicNeighbours &operator=(const PeriodicNeighbours &) = delete;

    // Fills batch (all n atoms are centres) with every ordered pair i != j or
    // image within cutoff. cell: row-major lattice vectors or nullptr.
    void build(int n, const double *x, const double *cell, const bool periodic[3], double cutoff,
               EdgeBatch &batch);

    static constexpr int kSmallSystem = 192;  // up to this many atoms: direct enumeration
    static constexpr double kMaxPairs = 2e8;  // about 10 GB of edges: a broken cell, not a system

private:
    void small_system(int n, const double *x, const double *cell, const bool pbc[3], double cutoff,
                      EdgeBatch &batch);
    VesinNeighborList *list_;
    std::vector<double> frac_;
    std::vector<int64_t> count_;
};

}  // namespace taylorann
