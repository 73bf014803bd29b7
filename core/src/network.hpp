// Feed-forward network with ænet activations and the gradient of its single
// output with respect to its input (AENET_FORMAT.md section 3).
#pragma once
#include <vector>

#include "isa.hpp"
#include "nnascii.hpp"

namespace taylorann {
inline namespace TAYLORANN_ISA {

class Network {
public:
    explicit Network(const NetworkRecords &records);
    int n_inputs() const { return sizes_.front(); }
    // Returns y(x) and writes dy/dx into dydx[n_inputs]. Not thread-safe (workspace).
    double evaluate(const double *x, double *dydx);

private:
    std::vector<int> sizes_;                  // nodes per layer
    std::vector<int> activation_;             // per transition
    std::vector<std::vector<double>> weight_; // [n_out][n_in] row-major (backward pass)
    std::vector<std::vector<double>> weight_t_; // [n_in][n_out] (forward pass, vectorises over outputs)
    std::vector<std::vector<double>> bias_;   // [n_out]
    std::vector<std::vector<double>> value_;  // h per layer (workspace)
    std::vector<std::vector<double>> slope_;  // f'(z) per layer > 0 (workspace)
};

}  // namespace TAYLORANN_ISA
}  // namespace taylorann
