// Behler-Parrinello (2011) symmetry functions G1-G5 of ænet's Behler2011 set-up
// (AENET_FORMAT.md section 4.5), one function at a time.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "descriptor_math.hpp"

namespace taylorann {
inline namespace TAYLORANN_ISA {
namespace {

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

std::unique_ptr<Descriptor> make_behler(const PotentialFile &pot) { return std::make_unique<Behler>(pot); }

}  // namespace TAYLORANN_ISA
}  // namespace taylorann
