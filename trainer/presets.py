"""Published descriptor parameter sets, as data (kinds and parameters in ænet's Behler2011 terms).

``morawietz_water``: the Behler–Parrinello symmetry functions for water of Morawietz et al.
(the set the Taylor-expansion paper uses for (H2O)n: 27 functions for H, 30 for O), as
published in n2p2's ``examples/nnp-train/H2O_RPBE-D3/input.nn`` (CompPhysVienna/n2p2), where
they are given in bohr: radial type 2 with (η [bohr⁻²], r_s [bohr], r_c = 12 bohr) and
angular type 3 with (η, λ, ζ, r_c), cosine cut-off (n2p2 cutoff_type 2). Converted here with
1 bohr = 0.529177210903 Å (CODATA 2018): η/bohr², r_s·bohr, r_c·bohr.

Conventions (why n2p2's numbers mean the same functions in ænet's Behler2011 set-up):
n2p2's type 2 is ænet's G2, exp(−η (r − r_s)²) f_c(r); n2p2's type 3 is Behler's narrow
angular function, 2^(1−ζ) (1 + λ cos θ)^ζ exp(−η (r_ij² + r_ik² + r_jk²)) f_c(r_ij) f_c(r_ik)
f_c(r_jk), summed once over each unordered neighbour pair: that is ænet's G4 with the same
2^(1−ζ) normalisation (AENET_FORMAT.md §4.5); both use f_c(r) = ½ (cos(π r / r_c) + 1).
"""

from __future__ import annotations

BOHR = 0.529177210903  # Å
RC_BOHR = 12.0

# (central, neighbour, η [bohr^-2], r_s [bohr]) -- n2p2 "symfunction_short X 2 Y eta rs rc"
_RADIAL = [
    ("H", "H", [(0.001, 0.0), (0.01, 0.0), (0.03, 0.0), (0.06, 0.0), (0.15, 1.9), (0.30, 1.9), (0.60, 1.9), (1.50, 1.9)]),
    ("H", "O", [(0.001, 0.0), (0.01, 0.0), (0.03, 0.0), (0.06, 0.0), (0.15, 0.9), (0.30, 0.9), (0.60, 0.9), (1.50, 0.9)]),
    ("O", "H", [(0.001, 0.0), (0.01, 0.0), (0.03, 0.0), (0.06, 0.0), (0.15, 0.9), (0.30, 0.9), (0.60, 0.9), (1.50, 0.9)]),
    ("O", "O", [(0.001, 0.0), (0.01, 0.0), (0.03, 0.0), (0.06, 0.0), (0.15, 4.0), (0.30, 4.0), (0.60, 4.0), (1.50, 4.0)]),
]
# (central, neighbour 1, neighbour 2, η [bohr^-2], λ, ζ) -- n2p2 "symfunction_short X 3 Y Z eta lambda zeta rc"
_ANGULAR = [
    ("H", "O", "H", 0.2, 1.0, 1.0),
    ("O", "H", "H", 0.07, 1.0, 1.0),
    ("H", "O", "H", 0.07, 1.0, 1.0),
    ("O", "H", "H", 0.07, -1.0, 1.0),
    ("H", "O", "H", 0.07, -1.0, 1.0),
    ("O", "H", "H", 0.03, 1.0, 1.0),
    ("H", "O", "H", 0.03, 1.0, 1.0),
    ("O", "H", "H", 0.03, -1.0, 1.0),
    ("H", "O", "H", 0.03, -1.0, 1.0),
    ("O", "H", "H", 0.01, 1.0, 4.0),
    ("H", "O", "H", 0.01, 1.0, 4.0),
    ("O", "H", "H", 0.01, -1.0, 4.0),
    ("H", "O", "H", 0.01, -1.0, 4.0),
    ("O", "O", "H", 0.03, 1.0, 1.0),
    ("O", "O", "H", 0.03, -1.0, 1.0),
    ("O", "O", "H", 0.001, 1.0, 4.0),
    ("O", "O", "H", 0.001, -1.0, 4.0),
    ("H", "O", "O", 0.03, 1.0, 1.0),
    ("H", "O", "O", 0.03, -1.0, 1.0),
    ("H", "O", "O", 0.001, 1.0, 4.0),
    ("H", "O", "O", 0.001, -1.0, 4.0),
    ("O", "O", "O", 0.03, 1.0, 1.0),
    ("O", "O", "O", 0.03, -1.0, 1.0),
    ("O", "O", "O", 0.001, 1.0, 4.0),
    ("O", "O", "O", 0.001, -1.0, 4.0),
]


def morawietz_water() -> dict[str, list[dict]]:
    """Per central species the functions as config entries (Å, Å⁻²)."""
    rc = RC_BOHR * BOHR
    out: dict[str, list[dict]] = {"H": [], "O": []}
    for centre, nbr, pairs in _RADIAL:
        for eta, rs in pairs:
            out[centre].append({"kind": "G2", "neighbours": [nbr], "cutoff": rc, "eta": eta / BOHR**2, "rs": rs * BOHR})
    for centre, n1, n2, eta, lam, zeta in _ANGULAR:
        out[centre].append({"kind": "G4", "neighbours": [n1, n2], "cutoff": rc, "eta": eta / BOHR**2, "lam": lam, "zeta": zeta})
    return out


PRESETS = {"morawietz_water": morawietz_water}
