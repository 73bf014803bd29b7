#include "network.hpp"

#include <cmath>

namespace taylorann {
inline namespace TAYLORANN_ISA {
namespace {

constexpr double kMtanhA = 1.7159;
constexpr double kMtanhB = 0.666666666666667;  // ænet's literal, not exactly 2/3
constexpr double kTwistC = 0.1;

inline void activate(int code, double z, double &f, double &df) {
    switch (code) {
    case 0: f = z; df = 1.0; return;
    case 1: f = std::tanh(z); df = 1.0 - f * f; return;
    case 2: f = 1.0 / (1.0 + std::exp(-z)); df = f * (1.0 - f); return;
    case 3: {
        const double t = std::tanh(kMtanhB * z);
        f = kMtanhA * t;
        df = kMtanhA * kMtanhB * (1.0 - t * t);
        return;
    }
    default: {  // 4, twist; codes are validated by the reader
        const double t = std::tanh(kMtanhB * z);
        f = kMtanhA * t + kTwistC * z;
        df = kMtanhA * kMtanhB * (1.0 - t * t) + kTwistC;
        return;
    }
    }
}

}  // namespace

Network::Network(const NetworkRecords &records)
    : sizes_(records.nnodes), activation_(records.activation) {
    const size_t L = sizes_.size();
    size_t offset = 0;
    for (size_t l = 0; l + 1 < L; ++l) {
        const int n_in = sizes_[l], n_out = sizes_[l + 1];
        std::vector<double> w(size_t(n_in) * n_out), c(n_out);
        // ænet block: column-major n_out x (n_in + 1), bias column last.
        for (int b = 0; b <= n_in; ++b)
            for (int a = 0; a < n_out; ++a) {
                const double v = records.weights[offset + size_t(b) * n_out + a];
                if (b < n_in) w[size_t(a) * n_in + b] = v;
                else c[a] = v;
            }
        offset += size_t(n_in + 1) * n_out;
        std::vector<double> wt(size_t(n_in) * n_out);
        for (int a = 0; a < n_out; ++a)
            for (int b = 0; b < n_in; ++b) wt[size_t(b) * n_out + a] = w[size_t(a) * n_in + b];
        weight_t_.push_back(std::move(wt));
        weight_.push_back(std::move(w));
        bias_.push_back(std::move(c));
    }
    for (size_t l = 0; l < L; ++l) {
        value_.emplace_back(sizes_[l]);
        slope_.emplace_back(sizes_[l]);
    }
}

double Network::evaluate(const double *x, double *dydx) {
    const size_t L = sizes_.size();
    const double *h = x;
    for (size_t l = 0; l + 1 < L; ++l) {
        const int n_in = sizes_[l], n_out = sizes_[l + 1];
        const double *wt = weight_t_[l].data();
        double *out = value_[l + 1].data();
        double *slope = slope_[l + 1].data();
        for (int a = 0; a < n_out; ++a) out[a] = bias_[l][a];
        for (int b = 0; b < n_in; ++b) {
            const double hb = h[b];
            const double *col = wt + size_t(b) * n_out;
#pragma omp simd
            for (int a = 0; a < n_out; ++a) out[a] += col[a] * hb;
        }
        for (int a = 0; a < n_out; ++a) activate(activation_[l], out[a], out[a], slope[a]);
        h = out;
    }
    // Backward: delta_l = A_l^T (f'(z_{l+1}) * delta_{l+1}), starting from dy/dy = 1.
    const double y = value_[L - 1][0];
    value_[L - 1][0] = slope_[L - 1][0];  // the output buffer now holds its delta
    for (size_t l = L - 1; l-- > 0;) {
        const int n_in = sizes_[l], n_out = sizes_[l + 1];
        const double *w = weight_[l].data();
        const double *delta = value_[l + 1].data();  // already multiplied by f'
        double *below = (l == 0) ? dydx : value_[l].data();
        for (int b = 0; b < n_in; ++b) below[b] = 0.0;
        for (int a = 0; a < n_out; ++a) {
            const double d = delta[a];
            const double *row = w + size_t(a) * n_in;
#pragma omp simd
            for (int b = 0; b < n_in; ++b) below[b] += d * row[b];
        }
        if (l > 0)
            for (int b = 0; b < n_in; ++b) below[b] *= slope_[l][b];
    }
    return y;
}

}  // namespace TAYLORANN_ISA
}  // namespace taylorann
