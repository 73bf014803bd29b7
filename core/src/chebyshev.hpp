// The Artrith-Urban-Ceder Chebyshev descriptor (AENET_FORMAT.md section 7): radial and
// angular Chebyshev expansions, species-weighted copies for several species. The radial
// part, the Jacobian and the bookkeeping are here and in chebyshev.cpp; the angular pair
// loops (two strategies, order known at compile time up to 8) in chebyshev_angular.cpp.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "chebyshev_moments.hpp"
#include "descriptor_math.hpp"

namespace taylorann {
inline namespace TAYLORANN_ISA {

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
        moments_.setup(an_, ang_scale_, ang_shift_, weighted_);
    }

    void forward(const Neighbours &nb, double *G) override {
        reserve(nb.n);
        std::fill(G, G + size_, 0.0);
        double *Gr = G, *Ga = G + rn_, *Grw = G + rn_ + an_, *Gaw = Grw + rn_;
        if (derivatives_)
            radial_forward<true>(nb, Gr, Grw);
        else
            radial_forward<false>(nb, Gr, Grw);
        if (an_ == 0) return;  // angular order -1: radial block only
        // Angular terms over unordered pairs of neighbours inside angular_Rc.
        collect_angular(nb);
        double *Gaw_or_null = weighted_ ? Gaw : nullptr;
        if (use_moments())
            moments_.forward(angular_input(), Ga, Gaw_or_null);  // chebyshev_moments.cpp
        else
            angular_forward(Ga, Gaw_or_null);  // chebyshev.cpp
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
        if (!use_moments()) return angular_backward(nb, a_a, b_a);  // chebyshev.cpp
        double *gx = agx_.data(), *gy = agy_.data(), *gz = agz_.data();
        std::fill(gx, gx + na_, 0.0), std::fill(gy, gy + na_, 0.0), std::fill(gz, gz + na_, 0.0);
        moments_.backward(angular_input(), a_a, weighted_ ? b_a : nullptr, gx, gy, gz);
        for (int a = 0; a < na_; ++a) {
            const int j = aidx_[a];
            nb.gx[j] += gx[a];
            nb.gy[j] += gy[a];
            nb.gz[j] += gz[a];
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
        if (use_moments())
            return moments_.jacobian(angular_input(), aidx_.data(), stride, rn_, weighted_ ? 2 * rn_ + an_ : -1, J);
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
    // The radial block (and, with D, its slopes g_m(r_j) for backward()/jacobian()),
    // vectorised over neighbours, recurrences over the order.
    template <bool D>
    void radial_forward(const Neighbours &nb, double *Gr, double *Grw) {
        const int n = nb.n;
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
                if constexpr (D) gp[j] = dfc[j];
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
                if constexpr (D) g1[j] = dfc[j] * Tc[j] + fc[j] * k;
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
                if constexpr (D) {
                    g1[j] = dfc[j] * T1 + fc[j] * dT1;
                    g2[j] = dfc[j] * T2 + fc[j] * dT2;
                }
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
                if constexpr (D) gm[j] = dfc[j] * T + fc[j] * dT;
            }
            Gr[m] = s;
            if (weighted_) Grw[m] = sw;
        }
    }

    static constexpr int kMaxAng = 202;

    // AN = number of angular Chebyshev terms when known at compile time (the
    // accumulators then live in registers), 0 = run-time an_.
    // Two strategies for the angular pairs: pair by pair with the order's accumulators in
    // registers (few neighbours inside angular_Rc, e.g. oxides at 3.5 Å), or vectorised over
    // the partners of each neighbour (many, e.g. 5 Å); kSweepFrom is where the second wins.
    static constexpr int kSweepFrom = 32;
    // From this many neighbours inside angular_Rc (and up to AngularMoments::kMaxTerms terms)
    // the moments of chebyshev_moments.hpp replace the pairs: O(n) instead of O(n^2).
    static constexpr int kMomentsFrom = 16;
    bool use_moments() const { return moments_.usable() && na_ >= kMomentsFrom; }
    AngularMoments::Input angular_input() const {
        return {na_, aux_.data(), auy_.data(), auz_.data(), afc_.data(), adfc_.data(), aw_.data(), ainv_.data()};
    }
    AngularMoments moments_;

    // Angular pairs (chebyshev_angular.cpp): dispatch on the order, then pair by pair or swept.
    void angular_forward(double *Ga, double *Gaw);
    void angular_backward(Neighbours &nb, const double *a_a, const double *b_a);
    template <int AN>
    void angular_forward_any(double *Ga, double *Gaw);
    template <int AN>
    void angular_backward_any(Neighbours &nb, const double *a_a, const double *b_a);
    template <int AN>
    void angular_forward_pairs(double *Ga, double *Gaw);
    template <int AN>
    void angular_backward_pairs(Neighbours &nb, const double *a_a, const double *b_a);
    template <int AN>
    void angular_forward_sweep(double *Ga, double *Gaw);
    template <int AN>
    void angular_backward_sweep(Neighbours &nb, const double *a_a, const double *b_a);

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

}  // namespace TAYLORANN_ISA
}  // namespace taylorann
