// Angular Chebyshev sums through direction moments (chebyshev_moments.hpp).
#include "chebyshev_moments.hpp"

#include <algorithm>

namespace taylorann {
inline namespace TAYLORANN_ISA {

void AngularMoments::setup(int nt, double s, double h, bool weighted) {
    nt_ = nq_ = 0;
    if (nt < 1 || nt > kMaxTerms) return;
    weighted_ = weighted;
    // T_0 = 1, T_1 = h + s c, T_m = 2 (h + s c) T_{m-1} - T_{m-2}, as coefficients of c^k
    A_.assign(size_t(nt * nt), 0.0);
    A_[0] = 1.0;
    if (nt > 1) {
        A_[size_t(nt)] = h;
        A_[size_t(nt) + 1] = s;
    }
    for (int m = 2; m < nt; ++m)
        for (int k = 0; k <= m; ++k)
            A_[size_t(m * nt + k)] = 2.0 * h * A_[size_t((m - 1) * nt + k)] +
                                     (k > 0 ? 2.0 * s * A_[size_t((m - 1) * nt + k - 1)] : 0.0) -
                                     A_[size_t((m - 2) * nt + k)];
    // monomials u^alpha by degree, each the product of a lower one and one component
    int index[kMaxTerms][kMaxTerms][kMaxTerms];
    for (auto &p : index)
        for (auto &q : p) std::fill(q, q + kMaxTerms, -1);
    deg_.clear(), parent_.clear(), axis_.clear(), mu_.clear(), expo_.clear();
    std::vector<int> alpha;
    double fact[kMaxTerms] = {1.0};
    for (int k = 1; k < kMaxTerms; ++k) fact[k] = fact[k - 1] * k;
    for (int k = 0; k < nt; ++k)
        for (int i = k; i >= 0; --i)
            for (int j = k - i; j >= 0; --j) {
                const int l = k - i - j, q = int(deg_.size());
                index[i][j][l] = q;
                deg_.push_back(k);
                alpha.insert(alpha.end(), {i, j, l});
                expo_.insert(expo_.end(), {double(i), double(j), double(l)});
                mu_.push_back(fact[k] / (fact[i] * fact[j] * fact[l]));
                if (i > 0) parent_.push_back(index[i - 1][j][l]), axis_.push_back(0);
                else if (j > 0) parent_.push_back(index[0][j - 1][l]), axis_.push_back(1);
                else if (l > 0) parent_.push_back(index[0][0][l - 1]), axis_.push_back(2);
                else parent_.push_back(-1), axis_.push_back(-1);
            }
    nq_ = int(deg_.size());
    child_.assign(3 * size_t(nq_), -1);
    for (int q = 0; q < nq_; ++q) {
        if (deg_[q] + 1 >= nt) continue;
        const int *a = &alpha[3 * size_t(q)];
        child_[3 * q] = index[a[0] + 1][a[1]][a[2]];
        child_[3 * q + 1] = index[a[0]][a[1] + 1][a[2]];
        child_[3 * q + 2] = index[a[0]][a[1]][a[2] + 1];
    }
    M_.assign(size_t(nq_), 0.0);
    Mw_.assign(size_t(nq_), 0.0);
    nt_ = nt;
}

void AngularMoments::reserve(int na) {
    const size_t need = (size_t(na) + 3) & ~size_t(3);
    if (need <= ld_) return;
    ld_ = need + 16;
    mono_.assign(size_t(nq_) * ld_, 0.0);
    acc_.assign(10 * ld_, 0.0);
}

void AngularMoments::forward(const Input &in, double *Ga, double *Gaw) {
    const int na = in.na, nt = nt_;
    reserve(na);
    const size_t ld = ld_;
    double *mono = mono_.data();
    const double *f = in.f, *w = in.w;
    for (int a = 0; a < na; ++a) mono[a] = 1.0;
    for (int q = 1; q < nq_; ++q) {
        const double *u = axis_[q] == 0 ? in.ux : axis_[q] == 1 ? in.uy : in.uz;
        const double *mp = mono + size_t(parent_[q]) * ld;
        double *mq = mono + size_t(q) * ld;
#pragma omp simd
        for (int a = 0; a < na; ++a) mq[a] = u[a] * mp[a];
    }
    double D = 0.0, Dw = 0.0;
#pragma omp simd reduction(+ : D, Dw)
    for (int a = 0; a < na; ++a) {
        D += f[a] * f[a];
        Dw += w[a] * w[a] * f[a] * f[a];
    }
    D_ = D, Dw_ = Dw;
    double half[kMaxTerms] = {0.0}, halfw[kMaxTerms] = {0.0};
    for (int q = 0; q < nq_; ++q) {
        const double *mq = mono + size_t(q) * ld;
        double s = 0.0, sw = 0.0;
#pragma omp simd reduction(+ : s, sw)
        for (int a = 0; a < na; ++a) {
            s += f[a] * mq[a];
            sw += w[a] * f[a] * mq[a];
        }
        M_[q] = s, Mw_[q] = sw;
        half[deg_[q]] += mu_[q] * s * s;
        halfw[deg_[q]] += mu_[q] * sw * sw;
    }
    for (int k = 0; k < nt; ++k) {
        half[k] = 0.5 * (half[k] - D);
        halfw[k] = 0.5 * (halfw[k] - Dw);
    }
    for (int m = 0; m < nt; ++m) {
        double g = 0.0, gw = 0.0;
        for (int k = 0; k <= m; ++k) {
            g += A_[size_t(m * nt + k)] * half[k];
            gw += A_[size_t(m * nt + k)] * halfw[k];
        }
        Ga[m] = g;
        if (Gaw) Gaw[m] = gw;
    }
}

void AngularMoments::backward(const Input &in, const double *a_m, const double *b_m, double *gx, double *gy,
                              double *gz) {
    const int na = in.na, nt = nt_;
    const size_t ld = ld_;
    const bool wt = weighted_ && b_m;
    double B[kMaxTerms] = {0.0}, Bw[kMaxTerms] = {0.0}, beta = 0.0, betaw = 0.0;
    for (int k = 0; k < nt; ++k) {
        for (int m = k; m < nt; ++m) {
            B[k] += a_m[m] * A_[size_t(m * nt + k)];
            if (wt) Bw[k] += b_m[m] * A_[size_t(m * nt + k)];
        }
        beta += B[k];
        betaw += Bw[k];
    }
    // dE/dM_q = B_k mu_q M_q; per neighbour the sums S = sum_q g_q u^q, P = sum_q k_q g_q u^q
    // (= u . grad, Euler) and the gradient V = sum_q g_q grad_u u^q, plain and weighted.
    double *S = acc_.data(), *P = S + ld, *X = P + ld, *Y = X + ld, *Z = Y + ld;
    double *Sw = Z + ld, *Pw = Sw + ld, *Xw = Pw + ld, *Yw = Xw + ld, *Zw = Yw + ld;
    std::fill(S, S + 10 * ld, 0.0);
    const double *mono = mono_.data();
    // one set of sums (out: S, P, X, Y, Z, ld apart) for the moments M with coefficients B
    auto accumulate = [&](const double *Bk, const std::vector<double> &M, double *out) {
        double *oS = out, *oP = out + ld, *oX = oP + ld, *oY = oX + ld, *oZ = oY + ld;
        auto g = [&](int q) { return q < 0 ? 0.0 : Bk[deg_[q]] * mu_[q] * M[size_t(q)]; };
        for (int q = 0; q < nq_; ++q) {
            const double *mq = mono + size_t(q) * ld;
            const int *c = &child_[3 * size_t(q)];
            const double cs = g(q), cp = deg_[q] * cs;
            const double cx = g(c[0]) * (c[0] < 0 ? 0.0 : expo_[3 * size_t(c[0])]);
            const double cy = g(c[1]) * (c[1] < 0 ? 0.0 : expo_[3 * size_t(c[1]) + 1]);
            const double cz = g(c[2]) * (c[2] < 0 ? 0.0 : expo_[3 * size_t(c[2]) + 2]);
#pragma omp simd
            for (int a = 0; a < na; ++a) {
                oS[a] += cs * mq[a];
                oP[a] += cp * mq[a];
                oX[a] += cx * mq[a];
                oY[a] += cy * mq[a];
                oZ[a] += cz * mq[a];
            }
        }
    };
    accumulate(B, M_, S);
    if (wt) accumulate(Bw, Mw_, Sw);
    const double *ux = in.ux, *uy = in.uy, *uz = in.uz, *f = in.f, *df = in.df, *w = in.w, *inv = in.inv;
#pragma omp simd
    for (int a = 0; a < na; ++a) {
        const double wa = w[a];
        const double tot = S[a] + wa * Sw[a], totp = P[a] + wa * Pw[a];
        const double fi = f[a] * inv[a];
        const double rad = df[a] * tot - fi * totp - (beta + wa * wa * betaw) * f[a] * df[a];
        gx[a] += rad * ux[a] + fi * (X[a] + wa * Xw[a]);
        gy[a] += rad * uy[a] + fi * (Y[a] + wa * Yw[a]);
        gz[a] += rad * uz[a] + fi * (Z[a] + wa * Zw[a]);
    }
}

void AngularMoments::jacobian(const Input &in, const int *idx, size_t stride, int row, int row_w, double *J) {
    const int na = in.na, nt = nt_;
    const size_t ld = ld_;
    const bool wt = weighted_ && row_w >= 0;
    const double *mono = mono_.data();
    // per monomial q: its own coefficient mu M (degree deg q) and those of its children
    // q + e_d (gradient of u^(q+e_d) along d is alpha_d u^q, degree deg q + 1)
    coef_.resize(8 * size_t(nq_));
    double *cm = coef_.data(), *cx = cm + nq_, *cy = cx + nq_, *cz = cy + nq_;
    double *wm = cz + nq_, *wx = wm + nq_, *wy = wx + nq_, *wz = wy + nq_;
    for (int q = 0; q < nq_; ++q) {
        cm[q] = mu_[q] * M_[q];
        wm[q] = mu_[q] * Mw_[q];
    }
    for (int q = 0; q < nq_; ++q) {
        const int *ch = &child_[3 * size_t(q)];
        cx[q] = ch[0] < 0 ? 0.0 : cm[ch[0]] * expo_[3 * size_t(ch[0])];
        cy[q] = ch[1] < 0 ? 0.0 : cm[ch[1]] * expo_[3 * size_t(ch[1]) + 1];
        cz[q] = ch[2] < 0 ? 0.0 : cm[ch[2]] * expo_[3 * size_t(ch[2]) + 2];
        wx[q] = ch[0] < 0 ? 0.0 : wm[ch[0]] * expo_[3 * size_t(ch[0])];
        wy[q] = ch[1] < 0 ? 0.0 : wm[ch[1]] * expo_[3 * size_t(ch[1]) + 1];
        wz[q] = ch[2] < 0 ? 0.0 : wm[ch[2]] * expo_[3 * size_t(ch[2]) + 2];
    }
    // per degree k and neighbour a (vectorised over a): S_k = sum_{deg q = k} mu M_q u_a^q and
    // V_k = its gradient in u (from the monomials of degree k - 1), plain and weighted
    jac_.assign(size_t(nt) * 8 * ld, 0.0);
    auto slot = [&](int k, int which) { return jac_.data() + (size_t(k) * 8 + size_t(which)) * ld; };
    for (int q = 0; q < nq_; ++q) {
        const int k = deg_[q];
        const double *mq = mono + size_t(q) * ld;
        double *S = slot(k, 0), *Sw = slot(k, 4);
        const double am = cm[q], aw = wm[q];
#pragma omp simd
        for (int a = 0; a < na; ++a) {
            S[a] += am * mq[a];
            Sw[a] += aw * mq[a];
        }
        if (k + 1 >= nt) continue;
        double *X = slot(k + 1, 1), *Y = slot(k + 1, 2), *Z = slot(k + 1, 3);
        double *Xw = slot(k + 1, 5), *Yw = slot(k + 1, 6), *Zw = slot(k + 1, 7);
        const double ax = cx[q], ay = cy[q], az = cz[q], bx = wx[q], by = wy[q], bz = wz[q];
#pragma omp simd
        for (int a = 0; a < na; ++a) {
            X[a] += ax * mq[a];
            Y[a] += ay * mq[a];
            Z[a] += az * mq[a];
            Xw[a] += bx * mq[a];
            Yw[a] += by * mq[a];
            Zw[a] += bz * mq[a];
        }
    }
    for (int a = 0; a < na; ++a) {
        double Sk[kMaxTerms], Vx[kMaxTerms], Vy[kMaxTerms], Vz[kMaxTerms];
        double Swk[kMaxTerms], Wx[kMaxTerms], Wy[kMaxTerms], Wz[kMaxTerms];
        for (int k = 0; k < nt; ++k) {
            Sk[k] = slot(k, 0)[a], Vx[k] = slot(k, 1)[a], Vy[k] = slot(k, 2)[a], Vz[k] = slot(k, 3)[a];
            Swk[k] = slot(k, 4)[a], Wx[k] = slot(k, 5)[a], Wy[k] = slot(k, 6)[a], Wz[k] = slot(k, 7)[a];
        }
        const double ux = in.ux[a], uy = in.uy[a], uz = in.uz[a], f = in.f[a], df = in.df[a], wa = in.w[a];
        const double fi = f * in.inv[a], diag = f * df;
        double Q[kMaxTerms][3], Qw[kMaxTerms][3];
        for (int k = 0; k < nt; ++k) {
            const double r = (df - fi * k) * Sk[k] - diag;
            Q[k][0] = r * ux + fi * Vx[k];
            Q[k][1] = r * uy + fi * Vy[k];
            Q[k][2] = r * uz + fi * Vz[k];
            const double rw = wa * (df - fi * k) * Swk[k] - wa * wa * diag;
            Qw[k][0] = rw * ux + wa * fi * Wx[k];
            Qw[k][1] = rw * uy + wa * fi * Wy[k];
            Qw[k][2] = rw * uz + wa * fi * Wz[k];
        }
        double *Ja = J + size_t(idx[a]) * stride;
        for (int m = 0; m < nt; ++m) {
            double g[3] = {0.0, 0.0, 0.0}, gw[3] = {0.0, 0.0, 0.0};
            for (int k = 0; k <= m; ++k) {
                const double A = A_[size_t(m * nt + k)];
                for (int d = 0; d < 3; ++d) {
                    g[d] += A * Q[k][d];
                    gw[d] += A * Qw[k][d];
                }
            }
            double *o = Ja + size_t(row + m) * 3;
            for (int d = 0; d < 3; ++d) o[d] += g[d];
            if (wt) {
                double *ow = Ja + size_t(row_w + m) * 3;
                for (int d = 0; d < 3; ++d) ow[d] += gw[d];
            }
        }
    }
}

}  // namespace TAYLORANN_ISA
}  // namespace taylorann
