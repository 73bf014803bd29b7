#include "descriptor.hpp"

#include <algorithm>
#include <cmath>
#include <string>

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
    double s = 1.0 / 51090942171709440000.0;      // 1/21!
    s = s * -t2 + 1.0 / 121645100408832000.0;     // 1/19!
    s = s * -t2 + 1.0 / 355687428096000.0;        // 1/17!
    s = s * -t2 + 1.0 / 1307674368000.0;          // 1/15!
    s = s * -t2 + 1.0 / 6227020800.0;             // 1/13!
    s = s * -t2 + 1.0 / 39916800.0;               // 1/11!
    s = s * -t2 + 1.0 / 362880.0;                 // 1/9!
    s = s * -t2 + 1.0 / 5040.0;
    s = s * -t2 + 1.0 / 120.0;
    s = s * -t2 + 1.0 / 6.0;
    s = s * -t2 + 1.0;
    const double sin_t = s * t;
    double c = 1.0 / 1124000727777607680000.0;    // 1/22!
    c = c * -t2 + 1.0 / 2432902008176640000.0;    // 1/20!
    c = c * -t2 + 1.0 / 6402373705728000.0;       // 1/18!
    c = c * -t2 + 1.0 / 20922789888000.0;         // 1/16!
    c = c * -t2 + 1.0 / 87178291200.0;            // 1/14!
    c = c * -t2 + 1.0 / 479001600.0;              // 1/12!
    c = c * -t2 + 1.0 / 3628800.0;                // 1/10!
    c = c * -t2 + 1.0 / 40320.0;
    c = c * -t2 + 1.0 / 720.0;
    c = c * -t2 + 1.0 / 24.0;
    c = c * -t2 + 0.5;
    const double cos_t = c * -t2 + 1.0;
    const double inside = r < rc ? 1.0 : 0.0;
    *fc = inside * 0.5 * (1.0 - sin_t);
    *dfc = inside * -0.5 * a * cos_t;
}

// Species weights by position in envtypes: -n/2 .. n/2, 0 skipped for even n.
std::vector<double> species_weights(int n) {
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

[[noreturn]] void setup_error(const PotentialFile &pot, const std::string &record, const std::string &msg) {
    fail(TAYLORANN_ERR_FORMAT, pot.path + ": record " + record + ": " + msg);
}

}  // namespace

void Descriptor::jacobian(Neighbours &nb, double *J) {
    std::vector<double> unit(size_t(size_), 0.0);
    const size_t stride = size_t(size_) * 3;
    for (int f = 0; f < size_; ++f) {
        unit[f] = 1.0;
        backward(nb, unit.data());
        unit[f] = 0.0;
        for (int j = 0; j < nb.n; ++j) {
            double *out = J + size_t(j) * stride + size_t(f) * 3;
            out[0] = nb.gx[j];
            out[1] = nb.gy[j];
            out[2] = nb.gz[j];
        }
    }
}

namespace {

// ---------------------------------------------------------------------------
// Artrith-Urban-Ceder Chebyshev descriptor (section 7).
class Chebyshev final : public Descriptor {
public:
    Chebyshev(const PotentialFile &pot, bool legacy_angular) {
        const auto &s = pot.setup;
        const double *p = s.sfparam.data();
        rc_r_ = p[0];
        rc_a_ = p[2];
        const double ro = std::round(p[1]), ao = std::round(p[3]);
        if (ro < 0 || ao < -1 || ro > 200 || ao > 200)
            setup_error(pot, "S11 sfparam", "Chebyshev orders must be radial 0..200 and angular -1..200 "
                                            "(-1 = no angular block), found radial " +
                                                std::to_string(p[1]) + ", angular " + std::to_string(p[3]));
        rn_ = int(ro) + 1;
        an_ = int(ao) + 1;
        if (!(rc_r_ > 0.0) || (an_ > 0 && !(rc_a_ > 0.0)))
            setup_error(pot, "S11 sfparam", "Chebyshev cut-offs must be positive, found radial_Rc = " +
                                                std::to_string(rc_r_) + ", angular_Rc = " + std::to_string(rc_a_));
        const int nenv = int(s.envtypes.size());
        weighted_ = nenv > 1;
        const int expected = (rn_ + an_) * (weighted_ ? 2 : 1);
        if (s.nsf != expected)
            setup_error(pot, "S8 nsf", "Chebyshev orders " + std::to_string(rn_ - 1) + "/" +
                                           std::to_string(an_ - 1) + " with " + std::to_string(nenv) +
                                           " species need nsf = " + std::to_string(expected) +
                                           ", found " + std::to_string(s.nsf));
        size_ = s.nsf;
        cutoff_ = an_ > 0 ? std::max(rc_r_, rc_a_) : rc_r_;
        weights_ = species_weights(nenv);
        if (legacy_angular) {  // ænet <= 2.0.3: cos(theta) mapped as if on [0, pi]
            ang_scale_ = 2.0 / kPi;
            ang_shift_ = -1.0;
        }
    }

    void forward(const Neighbours &nb, double *G) override {
        const int n = nb.n;
        reserve(n);
        std::fill(G, G + size_, 0.0);
        double *Gr = G, *Ga = G + rn_, *Grw = G + rn_ + an_, *Gaw = Grw + rn_;
        // Radial terms, vectorised over neighbours, recurrences over the order.
        const double k = 2.0 / rc_r_;
        double *x2 = x2_.data(), *fc = fc_.data(), *dfc = dfc_.data(), *w = w_.data();
        double *Tp = tp_.data(), *Tc = tc_.data(), *Up = up_.data(), *Uc = uc_.data();
        double *gp = gp_.data();
        const size_t ld = cap_;
        const double *r = nb.r.data();
#pragma omp simd
        for (int j = 0; j < n; ++j) cutoff_poly(r[j], rc_r_, fc + j, dfc + j);
        for (int j = 0; j < n; ++j) w[j] = weights_[nb.env[j]];
#pragma omp simd
        for (int j = 0; j < n; ++j) {
            const double x = r[j] * k - 1.0;
            x2[j] = 2.0 * x;
            Tp[j] = 1.0;
            Tc[j] = x;
            Up[j] = 1.0;
            Uc[j] = 2.0 * x;
        }
        {
            double s = 0.0, sw = 0.0;
#pragma omp simd reduction(+ : s, sw)
            for (int j = 0; j < n; ++j) {
                s += fc[j];
                sw += w[j] * fc[j];
                gp[j] = dfc[j];
            }
            Gr[0] = s;
            if (weighted_) Grw[0] = sw;
        }
        if (rn_ > 1) {
            double s = 0.0, sw = 0.0;
            double *g1 = gp + ld;
#pragma omp simd reduction(+ : s, sw)
            for (int j = 0; j < n; ++j) {
                const double t = Tc[j] * fc[j];
                s += t;
                sw += w[j] * t;
                g1[j] = dfc[j] * Tc[j] + fc[j] * k;
            }
            Gr[1] = s;
            if (weighted_) Grw[1] = sw;
        }
        // Two orders per sweep halve the traffic on the recurrence arrays.
        int m = 2;
        for (; m + 1 < rn_; m += 2) {
            double s1 = 0.0, sw1 = 0.0, s2 = 0.0, sw2 = 0.0;
            const double mk1 = m * k, mk2 = (m + 1) * k;
            double *g1 = gp + size_t(m) * ld, *g2 = g1 + ld;
#pragma omp simd reduction(+ : s1, sw1, s2, sw2)
            for (int j = 0; j < n; ++j) {
                const double T1 = x2[j] * Tc[j] - Tp[j];
                const double dT1 = mk1 * Uc[j];
                const double U1 = x2[j] * Uc[j] - Up[j];
                const double T2 = x2[j] * T1 - Tc[j];
                const double dT2 = mk2 * U1;
                const double U2 = x2[j] * U1 - Uc[j];
                Tp[j] = T1;
                Tc[j] = T2;
                Up[j] = U1;
                Uc[j] = U2;
                const double a1 = fc[j] * T1, a2 = fc[j] * T2;
                s1 += a1;
                sw1 += w[j] * a1;
                s2 += a2;
                sw2 += w[j] * a2;
                g1[j] = dfc[j] * T1 + fc[j] * dT1;
                g2[j] = dfc[j] * T2 + fc[j] * dT2;
            }
            Gr[m] = s1;
            Gr[m + 1] = s2;
            if (weighted_) {
                Grw[m] = sw1;
                Grw[m + 1] = sw2;
            }
        }
        for (; m < rn_; ++m) {
            double s = 0.0, sw = 0.0;
            const double mk = m * k;
            double *gm = gp + size_t(m) * ld;
#pragma omp simd reduction(+ : s, sw)
            for (int j = 0; j < n; ++j) {
                const double T = x2[j] * Tc[j] - Tp[j];
                const double dT = mk * Uc[j];
                const double U = x2[j] * Uc[j] - Up[j];
                Tp[j] = Tc[j];
                Tc[j] = T;
                Up[j] = Uc[j];
                Uc[j] = U;
                const double g = fc[j] * T;
                s += g;
                sw += w[j] * g;
                gm[j] = dfc[j] * T + fc[j] * dT;
            }
            Gr[m] = s;
            if (weighted_) Grw[m] = sw;
        }
        if (an_ == 0) return;  // angular order -1: radial block only
        // Angular terms over unordered pairs of neighbours inside angular_Rc.
        collect_angular(nb);
        double *Gaw_or_null = weighted_ ? Gaw : nullptr;
        switch (an_) {
        case 1: angular_forward<1>(Ga, Gaw_or_null); break;
        case 2: angular_forward<2>(Ga, Gaw_or_null); break;
        case 3: angular_forward<3>(Ga, Gaw_or_null); break;
        case 4: angular_forward<4>(Ga, Gaw_or_null); break;
        case 5: angular_forward<5>(Ga, Gaw_or_null); break;
        case 6: angular_forward<6>(Ga, Gaw_or_null); break;
        case 7: angular_forward<7>(Ga, Gaw_or_null); break;
        case 8: angular_forward<8>(Ga, Gaw_or_null); break;
        default: angular_forward<0>(Ga, Gaw_or_null);
        }
    }

    void backward(Neighbours &nb, const double *dEdG) override {
        const int n = nb.n;
        const double *a_r = dEdG, *a_a = dEdG + rn_;
        const double *b_r = weighted_ ? dEdG + rn_ + an_ : zeros_.data();
        const double *b_a = weighted_ ? b_r + rn_ : zeros_.data();
        double *s = tp_.data();  // reuse as dE/dr accumulator
        const double *w = w_.data(), *gp = gp_.data();
        const size_t ld = cap_;
        for (int j = 0; j < n; ++j) s[j] = 0.0;
        int m = 0;
        for (; m + 3 < rn_; m += 4) {  // four orders per sweep over the neighbours
            const double a0 = a_r[m], a1 = a_r[m + 1], a2 = a_r[m + 2], a3 = a_r[m + 3];
            const double b0 = b_r[m], b1 = b_r[m + 1], b2 = b_r[m + 2], b3 = b_r[m + 3];
            const double *g0 = gp + size_t(m) * ld, *g1 = g0 + ld, *g2 = g1 + ld, *g3 = g2 + ld;
#pragma omp simd
            for (int j = 0; j < n; ++j) {
                const double wj = w[j];
                s[j] += ((a0 + b0 * wj) * g0[j] + (a1 + b1 * wj) * g1[j]) +
                        ((a2 + b2 * wj) * g2[j] + (a3 + b3 * wj) * g3[j]);
            }
        }
        for (; m < rn_; ++m) {
            const double am = a_r[m], bm = b_r[m];
            const double *gm = gp + size_t(m) * ld;
#pragma omp simd
            for (int j = 0; j < n; ++j) s[j] += (am + bm * w[j]) * gm[j];
        }
        for (int j = 0; j < n; ++j) {
            const double f = nb.r[j] > 0.0 ? s[j] / nb.r[j] : 0.0;
            nb.gx[j] = f * nb.x[j];
            nb.gy[j] = f * nb.y[j];
            nb.gz[j] = f * nb.z[j];
        }
        if (an_ == 0) return;
        switch (an_) {
        case 1: angular_backward<1>(nb, a_a, b_a); break;
        case 2: angular_backward<2>(nb, a_a, b_a); break;
        case 3: angular_backward<3>(nb, a_a, b_a); break;
        case 4: angular_backward<4>(nb, a_a, b_a); break;
        case 5: angular_backward<5>(nb, a_a, b_a); break;
        case 6: angular_backward<6>(nb, a_a, b_a); break;
        case 7: angular_backward<7>(nb, a_a, b_a); break;
        case 8: angular_backward<8>(nb, a_a, b_a); break;
        default: angular_backward<0>(nb, a_a, b_a);
        }
    }

    void jacobian(Neighbours &nb, double *J) override {
        const int n = nb.n;
        const size_t stride = size_t(size_) * 3;
        const double *w = w_.data(), *gp = gp_.data();
        const size_t ld = cap_;
        std::fill(J, J + size_t(n) * stride, 0.0);
        // radial: dG_m/dR_j = g_m(r_j) R_j / r_j, weighted copy times w_j
        for (int j = 0; j < n; ++j) {
            const double inv = nb.r[j] > 0.0 ? 1.0 / nb.r[j] : 0.0;
            const double ux = nb.x[j] * inv, uy = nb.y[j] * inv, uz = nb.z[j] * inv;
            double *Jj = J + size_t(j) * stride;
            for (int m = 0; m < rn_; ++m) {
                const double g = gp[size_t(m) * ld + j];
                double *o = Jj + size_t(m) * 3;
                o[0] = g * ux;
                o[1] = g * uy;
                o[2] = g * uz;
                if (weighted_) {
                    double *ow = Jj + size_t(rn_ + an_ + m) * 3;
                    ow[0] = w[j] * o[0];
                    ow[1] = w[j] * o[1];
                    ow[2] = w[j] * o[2];
                }
            }
        }
        if (an_ == 0) return;
        // angular: pairs (a, b) inside angular_Rc, as in angular_backward
        const int nt = an_;
        std::vector<double> &T = jt_, &dT = jdt_;
        T.resize(size_t(nt));
        dT.resize(size_t(nt));
        for (int a = 0; a < na_; ++a) {
            const int ja = aidx_[a];
            const double ua0 = aux_[a], ua1 = auy_[a], ua2 = auz_[a];
            const double fa = afc_[a], dfa = adfc_[a], wa = aw_[a], ia = ainv_[a];
            double *Ja = J + size_t(ja) * stride;
            for (int b = a + 1; b < na_; ++b) {
                const double ub0 = aux_[b], ub1 = auy_[b], ub2 = auz_[b];
                const double c = ua0 * ub0 + ua1 * ub1 + ua2 * ub2;
                const double wab = wa * aw_[b];
                const double x = ang_scale_ * c + ang_shift_;
                chebyshev_and_slope(x, nt, T.data(), dT.data());
                const double fb = afc_[b], ff = fa * fb, ib = ainv_[b];
                const int jb = aidx_[b];
                double *Jb = J + size_t(jb) * stride;
                const double pa0 = (ub0 - c * ua0) * ia, pa1 = (ub1 - c * ua1) * ia, pa2 = (ub2 - c * ua2) * ia;
                const double pb0 = (ua0 - c * ub0) * ib, pb1 = (ua1 - c * ub1) * ib, pb2 = (ua2 - c * ub2) * ib;
                for (int m = 0; m < nt; ++m) {
                    const double ra = T[m] * dfa * fb, rb = T[m] * fa * adfc_[b];
                    const double p = ff * dT[m] * ang_scale_;
                    const double ga0 = ra * ua0 + p * pa0, ga1 = ra * ua1 + p * pa1, ga2 = ra * ua2 + p * pa2;
                    const double gb0 = rb * ub0 + p * pb0, gb1 = rb * ub1 + p * pb1, gb2 = rb * ub2 + p * pb2;
                    double *oa = Ja + size_t(rn_ + m) * 3, *ob = Jb + size_t(rn_ + m) * 3;
                    oa[0] += ga0;
                    oa[1] += ga1;
                    oa[2] += ga2;
                    ob[0] += gb0;
                    ob[1] += gb1;
                    ob[2] += gb2;
                    if (weighted_) {
                        double *oaw = Ja + size_t(2 * rn_ + an_ + m) * 3, *obw = Jb + size_t(2 * rn_ + an_ + m) * 3;
                        oaw[0] += wab * ga0;
                        oaw[1] += wab * ga1;
                        oaw[2] += wab * ga2;
                        obw[0] += wab * gb0;
                        obw[1] += wab * gb1;
                        obw[2] += wab * gb2;
                    }
                }
            }
        }
    }

private:
    static constexpr int kMaxAng = 202;

    // AN = number of angular Chebyshev terms when known at compile time (the
    // accumulators then live in registers), 0 = run-time an_.
    // Two strategies for the angular pairs: pair by pair with the order's accumulators in
    // registers (few neighbours inside angular_Rc, e.g. oxides at 3.5 Å), or vectorised over
    // the partners of each neighbour (many, e.g. 5 Å); kSweepFrom is where the second wins.
    static constexpr int kSweepFrom = 32;

    template <int AN>
    void angular_forward(double *Ga, double *Gaw) {
        if (na_ < kSweepFrom) return angular_forward_pairs<AN>(Ga, Gaw);
        angular_forward_sweep<AN>(Ga, Gaw);
    }

    template <int AN>
    void angular_backward(Neighbours &nb, const double *a_a, const double *b_a) {
        if (na_ < kSweepFrom) return angular_backward_pairs<AN>(nb, a_a, b_a);
        angular_backward_sweep<AN>(nb, a_a, b_a);
    }

    template <int AN>
    void angular_forward_pairs(double *Ga, double *Gaw) {
        const int nt = AN > 0 ? AN : an_;
        const int na = na_;
        double T[AN > 0 ? AN : kMaxAng], acc[AN > 0 ? AN : kMaxAng], accw[AN > 0 ? AN : kMaxAng];
        for (int m = 0; m < nt; ++m) acc[m] = accw[m] = 0.0;
        for (int a = 0; a < na; ++a) {
            const double ua0 = aux_[a], ua1 = auy_[a], ua2 = auz_[a], fa = afc_[a], wa = aw_[a];
            for (int b = a + 1; b < na; ++b) {
                const double c = ua0 * aux_[b] + ua1 * auy_[b] + ua2 * auz_[b];
                const double f = fa * afc_[b];
                const double wf = wa * aw_[b] * f;
                const double x = ang_scale_ * c + ang_shift_;
                T[0] = 1.0;
                if (nt > 1) T[1] = x;
                for (int m = 2; m < nt; ++m) T[m] = 2.0 * x * T[m - 1] - T[m - 2];
                for (int m = 0; m < nt; ++m) {
                    acc[m] += f * T[m];
                    accw[m] += wf * T[m];
                }
            }
        }
        for (int m = 0; m < nt; ++m) {
            Ga[m] = acc[m];
            if (Gaw) Gaw[m] = accw[m];
        }
    }

    template <int AN>
    void angular_backward_pairs(Neighbours &nb, const double *a_a, const double *b_a) {
        const int nt = AN > 0 ? AN : an_;
        const int na = na_;
        double T[AN > 0 ? AN : kMaxAng], dT[AN > 0 ? AN : kMaxAng], ca[AN > 0 ? AN : kMaxAng],
            cb[AN > 0 ? AN : kMaxAng];
        for (int m = 0; m < nt; ++m) {
            ca[m] = a_a[m];
            cb[m] = b_a[m];
        }
        for (int a = 0; a < na; ++a) {
            const int ja = aidx_[a];
            double gxa = 0.0, gya = 0.0, gza = 0.0;
            const double ua0 = aux_[a], ua1 = auy_[a], ua2 = auz_[a];
            const double fa = afc_[a], dfa = adfc_[a], wa = aw_[a], ia = ainv_[a];
            for (int b = a + 1; b < na; ++b) {
                const double ub0 = aux_[b], ub1 = auy_[b], ub2 = auz_[b];
                const double c = ua0 * ub0 + ua1 * ub1 + ua2 * ub2;
                const double wab = wa * aw_[b];
                const double x = ang_scale_ * c + ang_shift_;
                // T_m(x) and dT_m/dx = m U_{m-1}(x)
                chebyshev_and_slope(x, nt, T, dT);
                double S = 0.0, Sp = 0.0;
                for (int m = 0; m < nt; ++m) {
                    const double coef = ca[m] + wab * cb[m];
                    S += coef * T[m];
                    Sp += coef * dT[m];
                }
                Sp *= ang_scale_;
                const double fb = afc_[b];
                const double ff = fa * fb;
                const double ra = S * dfa * fb, rb = S * fa * adfc_[b];
                const double pa = ff * Sp * ia, pb = ff * Sp * ainv_[b];
                const int jb = aidx_[b];
                gxa += ra * ua0 + pa * (ub0 - c * ua0);
                gya += ra * ua1 + pa * (ub1 - c * ua1);
                gza += ra * ua2 + pa * (ub2 - c * ua2);
                nb.gx[jb] += rb * ub0 + pb * (ua0 - c * ub0);
                nb.gy[jb] += rb * ub1 + pb * (ua1 - c * ub1);
                nb.gz[jb] += rb * ub2 + pb * (ua2 - c * ub2);
            }
            nb.gx[ja] += gxa;
            nb.gy[ja] += gya;
            nb.gz[ja] += gza;
        }
    }

    // Vectorised over the partners b > a of each a: per-pair x, f and w f first, then the
    // Chebyshev recurrence order by order across the pairs (as the radial sweep).
    template <int AN>
    void angular_forward_sweep(double *Ga, double *Gaw) {
        const int nt = AN > 0 ? AN : an_;
        const int na = na_;
        double acc[AN > 0 ? AN : kMaxAng], accw[AN > 0 ? AN : kMaxAng];
        for (int m = 0; m < nt; ++m) acc[m] = accw[m] = 0.0;
        double *px = px_.data(), *pf = pf_.data(), *pw = pw_.data(), *tp = ptp_.data(), *tc = ptc_.data();
        const double sc = ang_scale_, sh = ang_shift_;
        for (int a = 0; a < na; ++a) {
            const double ua0 = aux_[a], ua1 = auy_[a], ua2 = auz_[a], fa = afc_[a], wa = aw_[a];
            const int nb = na - a - 1;
            const double *bx = &aux_[a + 1], *by = &auy_[a + 1], *bz = &auz_[a + 1], *bf = &afc_[a + 1],
                         *bw = &aw_[a + 1];
            double s0 = 0.0, sw0 = 0.0, s1 = 0.0, sw1 = 0.0;
#pragma omp simd reduction(+ : s0, sw0, s1, sw1)
            for (int q = 0; q < nb; ++q) {
                const double x = sc * (ua0 * bx[q] + ua1 * by[q] + ua2 * bz[q]) + sh;
                const double f = fa * bf[q];
                const double wf = wa * bw[q] * f;
                px[q] = x;
                pf[q] = f;
                pw[q] = wf;
                tp[q] = 1.0;
                tc[q] = x;
                s0 += f;
                sw0 += wf;
                s1 += f * x;
                sw1 += wf * x;
            }
            acc[0] += s0;
            accw[0] += sw0;
            if (nt > 1) {
                acc[1] += s1;
                accw[1] += sw1;
            }
            for (int m = 2; m < nt; ++m) {
                double s = 0.0, sw = 0.0;
#pragma omp simd reduction(+ : s, sw)
                for (int q = 0; q < nb; ++q) {
                    const double T = 2.0 * px[q] * tc[q] - tp[q];
                    tp[q] = tc[q];
                    tc[q] = T;
                    s += pf[q] * T;
                    sw += pw[q] * T;
                }
                acc[m] += s;
                accw[m] += sw;
            }
        }
        for (int m = 0; m < nt; ++m) {
            Ga[m] = acc[m];
            if (Gaw) Gaw[m] = accw[m];
        }
    }

    // Vectorised like angular_forward: for each a, the partners b > a in one sweep per
    // order (T_m, dT_m/dx = m U_{m-1} by recurrence across the pairs); the partners'
    // gradients accumulate in angular-index arrays, scattered to the neighbours at the end.
    template <int AN>
    void angular_backward_sweep(Neighbours &nb, const double *a_a, const double *b_a) {
        const int nt = AN > 0 ? AN : an_;
        const int na = na_;
        double *px = px_.data(), *pw = pw_.data(), *tp = ptp_.data(), *tc = ptc_.data();
        double *up = pup_.data(), *uc = puc_.data(), *S = pS_.data(), *Sp = pSp_.data();
        double *gx = agx_.data(), *gy = agy_.data(), *gz = agz_.data();
        for (int b = 0; b < na; ++b) gx[b] = gy[b] = gz[b] = 0.0;
        const double sc = ang_scale_, sh = ang_shift_;
        for (int a = 0; a < na; ++a) {
            const double ua0 = aux_[a], ua1 = auy_[a], ua2 = auz_[a];
            const double fa = afc_[a], dfa = adfc_[a], wa = aw_[a], ia = ainv_[a];
            const int nb2 = na - a - 1;
            const double *bx = &aux_[a + 1], *by = &auy_[a + 1], *bz = &auz_[a + 1], *bw = &aw_[a + 1];
            const double c0 = a_a[0], d0 = b_a[0];
#pragma omp simd
            for (int q = 0; q < nb2; ++q) {
                const double x = sc * (ua0 * bx[q] + ua1 * by[q] + ua2 * bz[q]) + sh;
                const double wab = wa * bw[q];
                px[q] = x;
                pw[q] = wab;
                tp[q] = 1.0;  // T_0
                tc[q] = x;    // T_1
                up[q] = 1.0;  // U_0
                uc[q] = 2.0 * x;  // U_1
                S[q] = c0 + wab * d0;
                Sp[q] = 0.0;
            }
            if (nt > 1) {
                const double c1 = a_a[1], d1 = b_a[1];
#pragma omp simd
                for (int q = 0; q < nb2; ++q) {
                    const double coef = c1 + pw[q] * d1;
                    S[q] += coef * tc[q];
                    Sp[q] += coef;  // dT_1/dx = 1
                }
            }
            for (int m = 2; m < nt; ++m) {
                const double cm = a_a[m], dm = b_a[m];
#pragma omp simd
                for (int q = 0; q < nb2; ++q) {
                    const double T = 2.0 * px[q] * tc[q] - tp[q];
                    const double dT = m * uc[q];
                    const double U = 2.0 * px[q] * uc[q] - up[q];
                    tp[q] = tc[q];
                    tc[q] = T;
                    up[q] = uc[q];
                    uc[q] = U;
                    const double coef = cm + pw[q] * dm;
                    S[q] += coef * T;
                    Sp[q] += coef * dT;
                }
            }
            const double *bf = &afc_[a + 1], *bdf = &adfc_[a + 1], *binv = &ainv_[a + 1];
            double *ogx = gx + a + 1, *ogy = gy + a + 1, *ogz = gz + a + 1;
            double sx = 0.0, sy = 0.0, sz = 0.0;
#pragma omp simd reduction(+ : sx, sy, sz)
            for (int q = 0; q < nb2; ++q) {
                const double ub0 = bx[q], ub1 = by[q], ub2 = bz[q];
                const double c = ua0 * ub0 + ua1 * ub1 + ua2 * ub2;
                const double fb = bf[q], ff = fa * fb, spv = Sp[q] * sc;
                const double ra = S[q] * dfa * fb, rb = S[q] * fa * bdf[q];
                const double pa = ff * spv * ia, pb = ff * spv * binv[q];
                sx += ra * ua0 + pa * (ub0 - c * ua0);
                sy += ra * ua1 + pa * (ub1 - c * ua1);
                sz += ra * ua2 + pa * (ub2 - c * ua2);
                ogx[q] += rb * ub0 + pb * (ua0 - c * ub0);
                ogy[q] += rb * ub1 + pb * (ua1 - c * ub1);
                ogz[q] += rb * ub2 + pb * (ua2 - c * ub2);
            }
            gx[a] += sx;
            gy[a] += sy;
            gz[a] += sz;
        }
        for (int b = 0; b < na; ++b) {
            const int j = aidx_[b];
            nb.gx[j] += gx[b];
            nb.gy[j] += gy[b];
            nb.gz[j] += gz[b];
        }
    }

    void collect_angular(const Neighbours &nb) {
        na_ = 0;
        for (int j = 0; j < nb.n; ++j) {
            const double r = nb.r[j];
            if (!(r < rc_a_) || r <= 0.0) continue;
            const int a = na_++;
            aidx_[a] = j;
            ar_[a] = r;
            ainv_[a] = 1.0 / r;
            aux_[a] = nb.x[j] / r;
            auy_[a] = nb.y[j] / r;
            auz_[a] = nb.z[j] / r;
            cutoff_poly(r, rc_a_, &afc_[a], &adfc_[a]);
            aw_[a] = weights_[nb.env[j]];
        }
    }

    void reserve(int n) {
        if (size_t(n) <= cap_) return;
        cap_ = (size_t(n) + size_t(n) / 2 + 16) & ~size_t(3);
        for (auto *v : {&x2_, &fc_, &dfc_, &w_, &tp_, &tc_, &up_, &uc_, &ar_, &ainv_, &aux_, &auy_, &auz_, &afc_,
                        &adfc_, &aw_, &px_, &pf_, &pw_, &ptp_, &ptc_, &pup_, &puc_, &pS_, &pSp_, &agx_, &agy_,
                        &agz_})
            v->assign(cap_, 0.0);
        aidx_.assign(cap_, 0);
        gp_.assign(cap_ * size_t(rn_), 0.0);
        zeros_.assign(size_t(std::max(rn_, an_)), 0.0);
    }

    int rn_ = 0, an_ = 0, na_ = 0;
    double rc_r_ = 0.0, rc_a_ = 0.0, ang_scale_ = 1.0, ang_shift_ = 0.0;
    bool weighted_ = false;
    std::vector<double> weights_;
    size_t cap_ = 0;
    std::vector<double> x2_, fc_, dfc_, w_, tp_, tc_, up_, uc_, gp_, zeros_, jt_, jdt_;
    std::vector<double> px_, pf_, pw_, ptp_, ptc_;  // angular sweeps: per-pair scratch
    std::vector<double> pup_, puc_, pS_, pSp_, agx_, agy_, agz_;
    std::vector<int> aidx_;
    std::vector<double> ar_, ainv_, aux_, auy_, auz_, afc_, adfc_, aw_;
};

// ---------------------------------------------------------------------------
// Behler-Parrinello (2011) symmetry functions G1-G5 (section 4.5).
class Behler final : public Descriptor {
    struct Function {
        int kind;         // 1..5
        double rc, p1, p2, p3;
        int e1, e2;       // 0-based env indices (e2 only for angular)
    };

public:
    explicit Behler(const PotentialFile &pot) {
        const auto &s = pot.setup;
        const int nenv = int(s.envtypes.size());
        std::vector<Function> all(s.nsf);
        for (int i = 0; i < s.nsf; ++i) {
            const int kind = s.sf[i];
            if (kind < 1 || kind > 5)
                setup_error(pot, "S10 sf", "function " + std::to_string(i + 1) + " has kind " +
                                               std::to_string(kind) + "; expected 1..5 (G1..G5)");
            const double *p = &s.sfparam[size_t(4) * i];
            Function f{kind, p[0], p[1], p[2], p[3], s.sfenv[2 * i] - 1, s.sfenv[2 * i + 1] - 1};
            if (!(f.rc > 0.0))
                setup_error(pot, "S11 sfparam", "function " + std::to_string(i + 1) +
                                                    " has a non-positive cut-off " + std::to_string(f.rc));
            if (f.e1 < 0 || f.e1 >= nenv || (kind >= 4 && (f.e2 < 0 || f.e2 >= nenv)))
                setup_error(pot, "S12 sfenv", "function " + std::to_string(i + 1) +
                                                  " refers to environment species outside 1.." +
                                                  std::to_string(nenv));
            if (kind >= 4 && f.e2 < f.e1) std::swap(f.e1, f.e2);
            all[i] = f;
            cutoff_ = std::max(cutoff_, f.rc);
        }
        // Output order of ænet: per neighbour type a: radial (G1, G2, G3), then
        // for b >= a the angular functions of (a, b) (G4, G5).
        for (int a = 0; a < nenv; ++a) {
            for (int kind = 1; kind <= 3; ++kind)
                for (auto &f : all)
                    if (f.kind == kind && f.e1 == a) funcs_.push_back(f);
            for (int b = a; b < nenv; ++b)
                for (int kind = 4; kind <= 5; ++kind)
                    for (auto &f : all)
                        if (f.kind == kind && f.e1 == a && f.e2 == b) funcs_.push_back(f);
        }
        size_ = s.nsf;
    }

    void forward(const Neighbours &nb, double *G) override {
        for (int f = 0; f < size_; ++f) G[f] = evaluate(nb, funcs_[f], 0.0, nullptr);
    }

    void backward(Neighbours &nb, const double *dEdG) override {
        for (int j = 0; j < nb.n; ++j) nb.gx[j] = nb.gy[j] = nb.gz[j] = 0.0;
        for (int f = 0; f < size_; ++f)
            if (dEdG[f] != 0.0) evaluate(nb, funcs_[f], dEdG[f], &nb);
    }

private:
    // Value of one function; if out is given, adds coef * dG/dR_ij to out->g*.
    static double evaluate(const Neighbours &nb, const Function &f, double coef, Neighbours *out) {
        double G = 0.0;
        if (f.kind <= 3) {
            for (int j = 0; j < nb.n; ++j) {
                const double r = nb.r[j];
                if (nb.env[j] != f.e1 || !(r < f.rc) || r <= 0.0) continue;
                double fc, dfc, g, dg;
                cutoff_fn(r, f.rc, fc, dfc);
                if (f.kind == 1) {
                    g = fc;
                    dg = dfc;
                } else if (f.kind == 2) {
                    const double e = std::exp(-f.p2 * (r - f.p1) * (r - f.p1));
                    g = e * fc;
                    dg = e * (dfc - 2.0 * f.p2 * (r - f.p1) * fc);
                } else {
                    const double c = std::cos(f.p1 * r), s = std::sin(f.p1 * r);
                    g = c * fc;
                    dg = c * dfc - f.p1 * s * fc;
                }
                G += g;
                if (out) {
                    const double q = coef * dg / r;
                    out->gx[j] += q * nb.x[j];
                    out->gy[j] += q * nb.y[j];
                    out->gz[j] += q * nb.z[j];
                }
            }
            return G;
        }
        const double lambda = f.p1, zeta = f.p2, eta = f.p3;
        const double pref = std::pow(2.0, 1.0 - zeta);
        for (int j = 0; j < nb.n; ++j) {
            const double rj = nb.r[j];
            if (!(rj < f.rc) || rj <= 0.0 || (nb.env[j] != f.e1 && nb.env[j] != f.e2)) continue;
            for (int k = j + 1; k < nb.n; ++k) {
                const double rk = nb.r[k];
                if (!(rk < f.rc) || rk <= 0.0) continue;
                const int sj = nb.env[j], sk = nb.env[k];
                if (!((sj == f.e1 && sk == f.e2) || (sj == f.e2 && sk == f.e1))) continue;
                const double dj[3] = {nb.x[j], nb.y[j], nb.z[j]}, dk[3] = {nb.x[k], nb.y[k], nb.z[k]};
                const double djk[3] = {dk[0] - dj[0], dk[1] - dj[1], dk[2] - dj[2]};
                const double rjk = std::sqrt(djk[0] * djk[0] + djk[1] * djk[1] + djk[2] * djk[2]);
                double fcj, dfcj, fck, dfck, fcjk = 1.0, dfcjk = 0.0;
                cutoff_fn(rj, f.rc, fcj, dfcj);
                cutoff_fn(rk, f.rc, fck, dfck);
                double r2 = rj * rj + rk * rk;
                if (f.kind == 4) {
                    if (!(rjk < f.rc)) continue;
                    cutoff_fn(rjk, f.rc, fcjk, dfcjk);
                    r2 += rjk * rjk;
                }
                const double c = (dj[0] * dk[0] + dj[1] * dk[1] + dj[2] * dk[2]) / (rj * rk);
                const double base = 1.0 + lambda * c;
                if (base <= 0.0) continue;  // (1 + lambda cos)^zeta vanishes with its slope for zeta > 1
                const double P = pref * std::pow(base, zeta);
                const double dP = pref * zeta * std::pow(base, zeta - 1.0) * lambda;  // dP/dc
                const double E = std::exp(-eta * r2);
                const double F = fcj * fck * fcjk;
                G += P * E * F;
                if (!out) continue;
                const double q = coef;
                for (int d = 0; d < 3; ++d) {
                    const double uj = dj[d] / rj, uk = dk[d] / rk;
                    const double dcj = (uk - c * uj) / rj, dck = (uj - c * uk) / rk;
                    // d r2/d dj = 2 dj (+ -2 djk for G4), d r2/d dk = 2 dk (+ 2 djk)
                    double dr2j = 2.0 * dj[d], dr2k = 2.0 * dk[d];
                    double dFj = dfcj * uj * fck * fcjk, dFk = fcj * dfck * uk * fcjk;
                    if (f.kind == 4) {
                        dr2j -= 2.0 * djk[d];
                        dr2k += 2.0 * djk[d];
                        const double ujk = rjk > 0.0 ? djk[d] / rjk : 0.0;
                        dFj -= fcj * fck * dfcjk * ujk;
                        dFk += fcj * fck * dfcjk * ujk;
                    }
                    const double gj = dP * dcj * E * F + P * E * (-eta) * dr2j * F + P * E * dFj;
                    const double gk = dP * dck * E * F + P * E * (-eta) * dr2k * F + P * E * dFk;
                    (d == 0 ? out->gx : d == 1 ? out->gy : out->gz)[j] += q * gj;
                    (d == 0 ? out->gx : d == 1 ? out->gy : out->gz)[k] += q * gk;
                }
            }
        }
        return G;
    }

    std::vector<Function> funcs_;
};

}  // namespace

std::unique_ptr<Descriptor> make_descriptor(const PotentialFile &pot, bool legacy_angular) {
    if (pot.setup.sftype == "chebyshev") return std::make_unique<Chebyshev>(pot, legacy_angular);
    return std::make_unique<Behler>(pot);
}

}  // namespace TAYLORANN_ISA
}  // namespace taylorann
