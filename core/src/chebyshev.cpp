// Angular part of the Chebyshev descriptor (chebyshev.hpp): the unordered pairs of
// neighbours inside angular_Rc, pair by pair (few neighbours) or vectorised over the
// partners of each neighbour (many); and the factory.
#include "chebyshev.hpp"

#include <memory>

namespace taylorann {
inline namespace TAYLORANN_ISA {

namespace {
// The angular sums of one centre into its descriptor row (Gaw: the species-weighted set).
inline void store_angular(int nt, const double *acc, const double *accw, double *Ga, double *Gaw) {
    for (int m = 0; m < nt; ++m) {
        Ga[m] = acc[m];
        if (Gaw) Gaw[m] = accw[m];
    }
}
}  // namespace

template <int AN>
void Chebyshev::angular_forward_any(double *Ga, double *Gaw) {
    if (na_ < kSweepFrom) return angular_forward_pairs<AN>(Ga, Gaw);
    angular_forward_sweep<AN>(Ga, Gaw);
}

template <int AN>
void Chebyshev::angular_backward_any(Neighbours &nb, const double *a_a, const double *b_a) {
    if (na_ < kSweepFrom) return angular_backward_pairs<AN>(nb, a_a, b_a);
    angular_backward_sweep<AN>(nb, a_a, b_a);
}

template <int AN>
void Chebyshev::angular_forward_pairs(double *Ga, double *Gaw) {
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
    store_angular(nt, acc, accw, Ga, Gaw);
}

template <int AN>
void Chebyshev::angular_backward_pairs(Neighbours &nb, const double *a_a, const double *b_a) {
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
void Chebyshev::angular_forward_sweep(double *Ga, double *Gaw) {
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
    store_angular(nt, acc, accw, Ga, Gaw);
}

// Vectorised like angular_forward: for each a, the partners b > a in one sweep per
// order (T_m, dT_m/dx = m U_{m-1} by recurrence across the pairs); the partners'
// gradients accumulate in angular-index arrays, scattered to the neighbours at the end.
template <int AN>
void Chebyshev::angular_backward_sweep(Neighbours &nb, const double *a_a, const double *b_a) {
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

// The order's accumulators live in registers when the number of terms is known at compile time.
void Chebyshev::angular_forward(double *Ga, double *Gaw) {
    switch (an_) {
    case 1: angular_forward_any<1>(Ga, Gaw); break;
    case 2: angular_forward_any<2>(Ga, Gaw); break;
    case 3: angular_forward_any<3>(Ga, Gaw); break;
    case 4: angular_forward_any<4>(Ga, Gaw); break;
    case 5: angular_forward_any<5>(Ga, Gaw); break;
    case 6: angular_forward_any<6>(Ga, Gaw); break;
    case 7: angular_forward_any<7>(Ga, Gaw); break;
    case 8: angular_forward_any<8>(Ga, Gaw); break;
    default: angular_forward_any<0>(Ga, Gaw);
    }
}

void Chebyshev::angular_backward(Neighbours &nb, const double *a_a, const double *b_a) {
    switch (an_) {
    case 1: angular_backward_any<1>(nb, a_a, b_a); break;
    case 2: angular_backward_any<2>(nb, a_a, b_a); break;
    case 3: angular_backward_any<3>(nb, a_a, b_a); break;
    case 4: angular_backward_any<4>(nb, a_a, b_a); break;
    case 5: angular_backward_any<5>(nb, a_a, b_a); break;
    case 6: angular_backward_any<6>(nb, a_a, b_a); break;
    case 7: angular_backward_any<7>(nb, a_a, b_a); break;
    case 8: angular_backward_any<8>(nb, a_a, b_a); break;
    default: angular_backward_any<0>(nb, a_a, b_a);
    }
}

std::unique_ptr<Descriptor> make_chebyshev(const PotentialFile &pot, bool legacy_angular) {
    return std::make_unique<Chebyshev>(pot, legacy_angular);
}

}  // namespace TAYLORANN_ISA
}  // namespace taylorann
