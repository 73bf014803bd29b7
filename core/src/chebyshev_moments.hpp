// The angular Chebyshev sums of one centre through moments of its neighbours' directions,
// in O(neighbours) instead of O(neighbours^2) pairs (chebyshev.hpp uses it for many
// neighbours and few terms).
//
//   G_m = sum_{a<b} f_a f_b T_m(s c_ab + h),  c_ab = u_a . u_b  (weighted copy: w_a w_b f_a f_b)
//
// T_m(s c + h) = sum_k A_mk c^k, and with the moments M_alpha = sum_a f_a u_a^alpha of the
// monomials of degree |alpha| = k (multinomial weights mu_alpha),
//   sum_{a,b} f_a f_b c_ab^k = sum_{|alpha|=k} mu_alpha M_alpha^2,
// so G_m = sum_k A_mk (P_k - D) / 2 with P_k that sum and D = sum_a f_a^2 (the a = b terms,
// u_a . u_a = 1). The same identity gives the gradients (backward) and the per-neighbour
// Jacobian. Exact algebra; in float64 the result differs from the pair sums by rounding
// only (about 1e-15 of the largest feature for order 6, tests/test_native_features.py).
#pragma once
#include <cstddef>
#include <vector>

#include "isa.hpp"

namespace taylorann {
inline namespace TAYLORANN_ISA {

class AngularMoments {
public:
    static constexpr int kMaxTerms = 8;  // up to angular order 7: 120 monomials

    // nt terms T_0 .. T_{nt-1} of s c + h; weighted: also the species-weighted copy.
    void setup(int nt, double scale, double shift, bool weighted);
    bool usable() const { return nt_ > 0; }

    // The neighbours inside the angular cut-off: unit vectors, cut-off f and df/dr, species
    // weight w, 1/r (arrays of length na). forward() must precede backward()/jacobian().
    struct Input {
        int na;
        const double *ux, *uy, *uz, *f, *df, *w, *inv;
    };
    void forward(const Input &in, double *Ga, double *Gaw);
    // g*[a] += dE/dR_a for E = sum_m a_m G_m + b_m Gw_m (b ignored unless weighted).
    void backward(const Input &in, const double *a, const double *b, double *gx, double *gy, double *gz);
    // J[(idx[a] * stride) + (row + m) * 3 + c] += dG_m/dR_a,c (weighted rows at row_w + m).
    void jacobian(const Input &in, const int *idx, std::size_t stride, int row, int row_w, double *J);

private:
    void reserve(int na);

    int nt_ = 0, nq_ = 0;
    bool weighted_ = false;
    std::size_t ld_ = 0;
    std::vector<double> A_;                      // A_[m * nt + k]
    std::vector<int> deg_, parent_, axis_;       // monomial q = parent * u_axis, degree deg
    std::vector<int> child_;                     // child_[3 q + d] = q + e_d, -1 beyond nt - 1
    std::vector<double> mu_, expo_;              // multinomial weight; expo_[3 q + d] = alpha_d
    std::vector<double> mono_;                   // mono_[q * ld + a] = u_a^alpha_q
    std::vector<double> M_, Mw_;                 // moments
    std::vector<double> acc_;                    // backward accumulators (10 * ld)
    std::vector<double> jac_;                    // jacobian accumulators (8 * nt * ld)
    std::vector<double> coef_;                   // jacobian coefficients (8 * nq)
    double D_ = 0.0, Dw_ = 0.0;
};

}  // namespace TAYLORANN_ISA
}  // namespace taylorann
