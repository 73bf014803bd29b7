// pair_style taylorann: a thin LAMMPS adapter over the taylorann C API.
#ifndef LMP_PAIR_TAYLORANN_H
#define LMP_PAIR_TAYLORANN_H

#include <string>
#include <vector>

#include "pair.h"

struct taylorann_model;

namespace LAMMPS_NS {

class PairTaylorann : public Pair {
public:
    explicit PairTaylorann(class LAMMPS *);
    ~PairTaylorann() override;
    void compute(int, int) override;
    void settings(int, char **) override;
    void coeff(int, char **) override;
    void init_style() override;
    double init_one(int, int) override;
    void *extract(const char *, int &) override;

private:
    void allocate();

    taylorann_model *model_ = nullptr;
    bool legacy_angular_ = false;
    double cutoff_ = 0.0;
    std::vector<int> type_species_;  // LAMMPS type -> model species (-1 = NULL)
    std::vector<int> species_;       // per local+ghost atom, reused
    std::string model_label_;        // file names, for messages
    // extrapolation: atoms whose descriptor left the training range of the potential files
    enum class Extrapolation { warn, error, ignore } extrapolation_ = Extrapolation::warn;
    bool ranges_known_ = true;       // false for TorchScript models
    std::vector<int> outside_;       // atom indices of the last evaluation, reused
    bigint warned_steps_ = 0;        // evaluations with a warning-worthy count so far
    double counts_[2] = {0.0, 0.0};  // pvector: this evaluation, all evaluations (per rank)
    void check_extrapolation();
};

}  // namespace LAMMPS_NS

#endif
