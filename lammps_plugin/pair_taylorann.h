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

private:
    void allocate();

    taylorann_model *model_ = nullptr;
    bool legacy_angular_ = false;
    double cutoff_ = 0.0;
    std::vector<int> type_species_;  // LAMMPS type -> model species (-1 = NULL)
    std::vector<int> species_;       // per local+ghost atom, reused
    std::string model_label_;        // file names, for messages
};

}  // namespace LAMMPS_NS

#endif
