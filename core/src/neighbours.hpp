// Periodic neighbour search for hosts without a neighbour list (Tinker,
// Python, tests), built on vesin's cell list (triclinic cells, cells smaller
// than twice the cut-off, mixed periodicity).
#pragma once
#include "model.hpp"

struct VesinNeighborList;

namespace taylorann {

// Atoms closer than this (periodic images included) in a handle's first evaluation (an MD
// host's first step) are an input error, not a number (as the Python readers, 0.1 Å).
constexpr double kMinDistance = 0.1;

// Coordinates beyond ±kMaxCoordinate Å are an input error: float64 positions that far out lose
// the precision an energy needs, and image counts overflow (as the Python readers).
constexpr double kMaxCoordinate = 1e6;

// The first pair of b closer than kMinDistance is an error naming both atoms.
void check_overlaps(const EdgeBatch &b);

// b from a host's full neighbour list (LAMMPS style, see taylorann_compute_neighbors): the
// listed centres with species >= 0, their neighbours within cutoff with species >= 0 (the
// special-bond bits stripped); with check_overlap, a pair closer than kMinDistance is an error.
void edges_from_list(EdgeBatch &b, int n_all, const double *x, const int *species, int nspecies, int n_centres,
                     const int *ilist, const int *numneigh, const int *const *firstneigh, double cutoff,
                     bool check_overlap);

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
