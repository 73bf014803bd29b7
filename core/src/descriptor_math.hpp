// Shared pieces of the descriptors (AENET_FORMAT.md sections 4 and 7): the cosine cut-off
// (exact and a libm-free polynomial that vectorises), ænet's species weights, the Chebyshev
// recurrences, and the set-up error. Internal to the evaluator; compiled once per ISA copy.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "descriptor.hpp"
#include "error.hpp"

namespace taylorann {
inline namespace TAYLORANN_ISA {
namespace {

constexpr double kPi = 3.14159265358979;

  // ænet's literal (exact pi differs by < 1e-8 eV)

inline void cutoff_fn(double r, double rc, double &fc, double &dfc) {
    if (r < rc) {
        const double a = kPi / rc;
        fc = 0.5 * (std::cos(a * r) + 1.0);
        dfc = -0.5 * a * std::sin(a * r);
    } else {
        fc = 0.0;
        dfc = 0.0;
    }
}

// fc and fc' without libm: cos(theta) = -sin(t), sin(theta) = cos(t) with
// t = theta - pi/2 in [-pi/2, pi/2], Taylor series to t^21 / t^22 (truncation
// < 1e-19, i.e. rounding-level agreement with libm). Branch-free so the
// neighbour loops vectorise; r >= rc gives 0.
inline void cutoff_poly(double r, double rc, double *fc, double *dfc) {
    const double a = kPi / rc;
    const double t = a * r - 1.5707963267948966;  // exact pi/2: the identity needs it
    const double t2 = t * t;
    // Horner in -t^2: sin t = t * sum_k (-t^2)^k / (2k+1)!, cos t = sum_k (-t^2)^k / (2k)!
    static constexpr double kSin[] = {1.0 / 51090942171709440000.0,  // 1/21!
                                      1.0 / 121645100408832000.0,  1.0 / 355687428096000.0, 1.0 / 1307674368000.0,
                                      1.0 / 6227020800.0,          1.0 / 39916800.0,        1.0 / 362880.0,
                                      1.0 / 5040.0,                1.0 / 120.0,             1.0 / 6.0,
                                      1.0};
    static constexpr double kCos[] = {1.0 / 1124000727777607680000.0,  // 1/22!
                                      1.0 / 2432902008176640000.0, 1.0 / 6402373705728000.0, 1.0 / 20922789888000.0,
                                      1.0 / 87178291200.0,         1.0 / 479001600.0,        1.0 / 3628800.0,
                                      1.0 / 40320.0,               1.0 / 720.0,              1.0 / 24.0,
                                      0.5,                         1.0};
    double s = kSin[0];
    for (size_t k = 1; k < sizeof kSin / sizeof kSin[0]; ++k) s = s * -t2 + kSin[k];
    const double sin_t = s * t;
    double c = kCos[0];
    for (size_t k = 1; k < sizeof kCos / sizeof kCos[0]; ++k) c = c * -t2 + kCos[k];
    const double cos_t = c;
    const double inside = r < rc ? 1.0 : 0.0;
    *fc = inside * 0.5 * (1.0 - sin_t);
    *dfc = inside * -0.5 * a * cos_t;
}

// Species weights by position in envtypes: -n/2 .. n/2, 0 skipped for even n.
inline std::vector<double> species_weights(int n) {
    std::vector<double> w;
    int s = -(n / 2);
    while (int(w.size()) < n) {
        if (s != 0 || n % 2 == 1) w.push_back(double(s));
        ++s;
    }
    return w;
}

// T_m(x) and dT_m/dx = m U_{m-1}(x) for m < nt by the three-term recurrences.
inline void chebyshev_and_slope(double x, int nt, double *T, double *dT) {
    T[0] = 1.0;
    dT[0] = 0.0;
    if (nt > 1) {
        T[1] = x;
        dT[1] = 1.0;
    }
    double Um2 = 1.0, Um1 = 2.0 * x;
    for (int m = 2; m < nt; ++m) {
        T[m] = 2.0 * x * T[m - 1] - T[m - 2];
        dT[m] = m * Um1;
        const double U = 2.0 * x * Um1 - Um2;
        Um2 = Um1;
        Um1 = U;
    }
}

[[noreturn]] inline void setup_error(const PotentialFile &pot, const std::string &record, const std::string &msg) {
    fail(TAYLORANN_ERR_FORMAT, pot.path + ": record " + record + ": " + msg);
}


}  // namespace
}  // namespace TAYLORANN_ISA
}  // namespace taylorann
