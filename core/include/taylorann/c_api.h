/*
 * taylorann C API: the narrow, versioned interface between the C++ core
 * (ænet-compatible neural-network potentials, native .nn.ascii or TorchScript)
 * and its hosts (LAMMPS plugin, Tinker via ISO_C_BINDING, Python via ctypes).
 *
 * Rules
 *  - Every function returns an int status: TAYLORANN_OK (0) or an error code.
 *    The message of the last error of the calling thread is returned by
 *    taylorann_last_error(); it names the file, record and expectation where
 *    that applies. No C++ exception ever leaves this API.
 *  - Units: Å, eV, eV/Å (LAMMPS "metal"). All reals are double.
 *  - The first evaluation of a handle (an MD host's first step) fails with
 *    TAYLORANN_ERR_ARGUMENT if two atoms (or periodic images) are closer than 0.1 Å.
 *  - A handle may be used by one thread at a time (it owns reusable work
 *    buffers); create one handle per thread for concurrent use.
 *
 * Output convention (both compute functions, one rule since version 4):
 *  - energy is overwritten; eatom, f, virial and vatom are ACCUMULATED (added to what
 *    the caller passes; zero them for plain values), so a host may sum several calls.
 *  - virial is [6] in LAMMPS/Voigt order xx yy zz xy xz yz of
 *      W_ab = sum_k r_k,a F_k,b   (LAMMPS convention; pressure P = (sum m v v + W)/V),
 *    computed exactly from pair vectors, so it is well defined in periodic systems;
 *    W is symmetric for these rotation-invariant potentials. Tinker's
 *    vir(a,b) = sum r_a dE/dr_b = -W_ab.
 */
#ifndef TAYLORANN_C_API_H
#define TAYLORANN_C_API_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define TAYLORANN_EXPORT __attribute__((visibility("default")))
#else
#define TAYLORANN_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a signature or a convention of this header changes. */
#define TAYLORANN_API_VERSION 5
/* Version 2 added (nothing changed): TAYLORANN_ERR_CAPACITY, taylorann_create_nnascii_text,
 * taylorann_num_features, taylorann_backend_name, taylorann_features_periodic,
 * taylorann_features_dense.
 * Version 3 added (nothing changed): taylorann_extrapolation; potential files may be ænet
 * binary .nn files (told apart by content) wherever .nn.ascii files are accepted.
 * Version 4 changed taylorann_compute_periodic to the output convention of
 * taylorann_compute_neighbors: eatom and f are accumulated (were overwritten) and virial is
 * [6] Voigt, accumulated (was [9] row-major, overwritten). Signatures are unchanged, so a
 * host written for version 3 must check taylorann_api_version() and zero its buffers.
 * Version 5 added (nothing changed): taylorann_features_many. */

enum taylorann_status {
    TAYLORANN_OK = 0,
    TAYLORANN_ERR_IO = 1,          /* file missing or unreadable */
    TAYLORANN_ERR_FORMAT = 2,      /* malformed potential/model file */
    TAYLORANN_ERR_ARGUMENT = 3,    /* invalid argument (null pointer, bad index, ...) */
    TAYLORANN_ERR_UNSUPPORTED = 4, /* feature not built in (e.g. TorchScript) */
    TAYLORANN_ERR_RUNTIME = 5,     /* failure during evaluation */
    TAYLORANN_ERR_CAPACITY = 6     /* an output array is too small; the size needed was returned */
};

typedef struct taylorann_model taylorann_model; /* opaque */

/* Version of the library actually loaded (compare with TAYLORANN_API_VERSION). */
TAYLORANN_EXPORT int taylorann_api_version(void);

/* Message of the last failed call on this thread ("" if none). Valid until the
 * next failing call on the same thread. */
TAYLORANN_EXPORT const char *taylorann_last_error(void);

/* 1 if the TorchScript backend is compiled in, else 0. */
TAYLORANN_EXPORT int taylorann_has_torch(void);

/* Native backend from ænet .nn.ascii files, one per species (dialects P, X, F).
 * The species order of the handle is the order of the files.
 * legacy_angular != 0 maps cos(theta) onto [0, pi] as ænet <= 2.0.3 did. */
TAYLORANN_EXPORT int taylorann_create_nnascii(const char *const *paths, int n_paths,
                                              int legacy_angular, taylorann_model **out);

/* The same from .nn.ascii texts held in memory (names[k] stands for the path in messages). */
TAYLORANN_EXPORT int taylorann_create_nnascii_text(const char *const *names, const char *const *texts,
                                                   int n_texts, int legacy_angular, taylorann_model **out);

/* TorchScript backend: a model following the taylorann MD contract
 * energies = model(species int64[N], edge_index int64[2,E], edge_vec float64[E,3])
 * with metadata in the extra file "taylorann.json". */
TAYLORANN_EXPORT int taylorann_create_torchscript(const char *path, taylorann_model **out);

/* Dispatch on the file name: ".pt"/".pth" -> TorchScript, otherwise .nn.ascii. */
TAYLORANN_EXPORT int taylorann_create(const char *const *paths, int n_paths,
                                      int legacy_angular, taylorann_model **out);

/* Frees the handle; NULL is accepted. */
TAYLORANN_EXPORT void taylorann_destroy(taylorann_model *model);

TAYLORANN_EXPORT int taylorann_num_species(const taylorann_model *model, int *n);
/* Element symbol of species `index` (0-based), NUL-terminated into buf. */
TAYLORANN_EXPORT int taylorann_species_name(const taylorann_model *model, int index,
                                            char *buf, size_t buflen);
/* Index of an element symbol, or -1 in *index if the model lacks it. */
TAYLORANN_EXPORT int taylorann_species_index(const taylorann_model *model, const char *name,
                                             int *index);
/* Free-atom reference energy (eV) included in the atomic energies of that species. */
TAYLORANN_EXPORT int taylorann_reference_energy(const taylorann_model *model, int index,
                                                double *energy);
/* Interaction cut-off (Å): neighbours beyond it are ignored. */
TAYLORANN_EXPORT int taylorann_cutoff(const taylorann_model *model, double *cutoff);

/* Number of descriptor values (network inputs) of species `index`; native backend only. */
TAYLORANN_EXPORT int taylorann_num_features(const taylorann_model *model, int index, int *n);

/* Which evaluator the handle runs, NUL-terminated into buf: "generic" or "x86_64_v3"
 * (native copies; TAYLORANN_ISA=generic in the environment forces the first) or
 * "torchscript". */
TAYLORANN_EXPORT int taylorann_backend_name(const taylorann_model *model, char *buf, size_t buflen);

/* Raw descriptors (network inputs before normalisation) of a whole structure, with the
 * library's own neighbour search (arguments n .. pbc as in taylorann_compute_periodic),
 * and optionally their derivatives with respect to the atom positions. Native backend.
 *  ld        row length of G and of the derivative blocks, >= the largest num_features
 *  G         [n * ld]: G[i * ld + f] for f < num_features(species[i]), the rest zero
 *  values    NULL: no derivatives. Else one block per (centre, atom) pair that a
 *            derivative can join (the centre's own block first, then its neighbours in
 *            order; periodic images of an atom summed into one block):
 *            block_centre[b], block_atom[b] and
 *            values[(b * ld + f) * 3 + k] = dG_{centre, f} / dx_{atom, k}
 *  capacity  blocks the three arrays hold; n_blocks receives the number written. If
 *            more are needed the call returns TAYLORANN_ERR_CAPACITY with *n_blocks set
 *            to the number needed (n * n always suffices); G is valid either way. */
TAYLORANN_EXPORT int taylorann_features_periodic(taylorann_model *model, int n, const double *x,
                                                 const int *species, const double *cell, const int *pbc,
                                                 int ld, double *G, int64_t capacity, int64_t *n_blocks,
                                                 int *block_centre, int *block_atom, double *values);

/* Raw descriptors of many structures in one call (training sets, displaced Taylor
 * structures): structure s has natoms[s] atoms, stored consecutively (structure order) in
 * x [3 * total] and species [total]; its lattice vectors at cells[9 * s], its periodic flags
 * at pbc[3 * s] (cells NULL: every structure isolated; pbc NULL: periodic along all three
 * vectors; all three flags 0: isolated, its cell ignored). G [total * ld] as in
 * taylorann_features_periodic, rows in atom order. An error names the structure (0-based). */
TAYLORANN_EXPORT int taylorann_features_many(taylorann_model *model, int n_structures, const int *natoms,
                                             const double *x, const int *species, const double *cells,
                                             const int *pbc, int ld, double *G);

/* The same descriptors with the whole derivative as one dense matrix (training frames):
 *  J [n * ld * n * 3], overwritten: J[((i * ld + f) * n + k) * 3 + c] = dG_{i, f} / dx_{k, c}
 *  (rows i*ld + f, columns k*3 + c), zero for f >= num_features(species[i]). */
TAYLORANN_EXPORT int taylorann_features_dense(taylorann_model *model, int n, const double *x,
                                              const int *species, const double *cell, const int *pbc,
                                              int ld, double *G, double *J);

/* Evaluate with a host neighbour list (LAMMPS style).
 *  n_all       local + ghost atoms; x[3*n_all] positions (ghosts = periodic images)
 *  species     [n_all] species index of every atom; -1 = not handled by this
 *              model (such atoms are neither centres nor neighbours)
 *  n_centres   number of centre atoms; ilist[n_centres] their indices (NULL:
 *              0..n_centres-1); numneigh[i], firstneigh[i][...] indexed by the
 *              centre's ATOM index i = ilist[ii] (LAMMPS convention; they differ
 *              from ii for skip lists under pair hybrid): full neighbour list
 *              (both i->j and j->i), indices into x; the
 *              top three bits (LAMMPS special-bond bits, NEIGHMASK 0x1FFFFFFF)
 *              are ignored. Neighbours beyond the cut-off are skipped (a skin
 *              is fine). Ghost atoms need species but are never centres unless
 *              listed.
 *  Outputs (all optional except energy):
 *  energy      total energy of the centres (reference energies included)
 *  eatom       [n_all] per-atom energies, ACCUMULATED at the centre index
 *  f           [3*n_all] forces, ACCUMULATED (ghost forces are the host's to
 *              fold back onto their owners)
 *  virial      [6] xx yy zz xy xz yz, ACCUMULATED, as in the header note
 *  vatom       [6*n_all] per-atom virial, ACCUMULATED; each pair's share is
 *              split half to the centre, half to the neighbour. */
TAYLORANN_EXPORT int taylorann_compute_neighbors(taylorann_model *model, int n_all,
                                                 const double *x, const int *species,
                                                 int n_centres, const int *ilist,
                                                 const int *numneigh,
                                                 const int *const *firstneigh, double *energy,
                                                 double *eatom, double *f, double *virial,
                                                 double *vatom);

/* Evaluate a whole structure with the library's own neighbour search
 * (for Tinker, Python, tests).
 *  n, x[3n] Cartesian positions, species[n] (all valid, >= 0)
 *  cell   [9] row-major, rows = lattice vectors a, b, c; NULL = isolated
 *  pbc    [3] 0/1 per lattice direction; NULL = all periodic if cell given
 *  Any cell shape (triclinic, smaller than twice the cut-off) is handled.
 *  Outputs (all but energy optional; energy overwritten, the rest ACCUMULATED as in
 *  the header note): energy, eatom[n], f[3n], virial[6] xx yy zz xy xz yz. */
TAYLORANN_EXPORT int taylorann_compute_periodic(taylorann_model *model, int n, const double *x,
                                                const int *species, const double *cell,
                                                const int *pbc, double *energy, double *eatom,
                                                double *f, double *virial);

/* Extrapolation of the last evaluation (taylorann_compute_neighbors or _periodic): the
 * number of centres whose descriptor left the training range stored in the potential files
 * (records sfval_min and sfval_max, any one value below its minimum or above its maximum)
 * into *count, and the indices of the first min(*count, capacity) of them (atom indices of
 * that call's arrays, in centre order) into atoms (may be NULL when capacity is 0). Costs
 * nothing extra: the check is part of every evaluation. Native backend; a TorchScript
 * handle returns TAYLORANN_ERR_UNSUPPORTED. */
TAYLORANN_EXPORT int taylorann_extrapolation(const taylorann_model *model, int64_t *count, int *atoms,
                                             int64_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* TAYLORANN_C_API_H */
