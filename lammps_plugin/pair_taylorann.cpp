#include "pair_taylorann.h"

#include <algorithm>
#include <cstring>

#include "atom.h"
#include "comm.h"
#include "error.h"
#include "force.h"
#include "memory.h"
#include "neigh_list.h"
#include "neighbor.h"
#include "taylorann/c_api.h"
#include "update.h"

using namespace LAMMPS_NS;

namespace {

// A species argument never contains '.' or '/'; a file name here always does.
bool looks_like_file(const std::string &s) {
    return s.find('.') != std::string::npos || s.find('/') != std::string::npos;
}

std::string species_list(taylorann_model *model) {
    int n = 0;
    taylorann_num_species(model, &n);
    std::string out;
    char name[64];
    for (int k = 0; k < n; ++k)
        if (taylorann_species_name(model, k, name, sizeof name) == TAYLORANN_OK) out += (out.empty() ? "" : " ") + std::string(name);
    return out;
}

}  // namespace

PairTaylorann::PairTaylorann(LAMMPS *lmp) : Pair(lmp) {
    nextra = 2;  // compute pair taylorann: [1] atoms outside the training range in the last
    pvector = counts_;  // evaluation, [2] the same summed over all evaluations (over all ranks)
    single_enable = 0;
    restartinfo = 0;
    one_coeff = 1;
    manybody_flag = 1;
    no_virial_fdotr_compute = 1;  // the core returns the exact pair virial
    centroidstressflag = CENTROID_NOTAVAIL;
}

PairTaylorann::~PairTaylorann() {
    taylorann_destroy(model_);
    if (allocated) {
        memory->destroy(setflag);
        memory->destroy(cutsq);
    }
}

void PairTaylorann::allocate() {
    allocated = 1;
    const int n = atom->ntypes + 1;
    memory->create(setflag, n, n, "pair:setflag");
    memory->create(cutsq, n, n, "pair:cutsq");
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) setflag[i][j] = 0;
}

void PairTaylorann::settings(int narg, char **arg) {
    legacy_angular_ = false;
    extrapolation_ = Extrapolation::warn;
    for (int k = 0; k < narg; ++k) {
        if (std::strcmp(arg[k], "legacy_angular") == 0) {
            legacy_angular_ = true;
        } else if (std::strcmp(arg[k], "extrapolation") == 0) {
            const std::string mode = k + 1 < narg ? arg[k + 1] : "";
            if (mode == "warn") extrapolation_ = Extrapolation::warn;
            else if (mode == "error") extrapolation_ = Extrapolation::error;
            else if (mode == "ignore") extrapolation_ = Extrapolation::ignore;
            else
                error->all(FLERR, "pair_style taylorann: 'extrapolation' takes warn, error or ignore, got '{}'", mode);
            ++k;
        } else {
            error->all(FLERR, "pair_style taylorann: unknown keyword '{}'; expected 'legacy_angular' (ænet <= "
                              "2.0.3 angular domain) and/or 'extrapolation warn|error|ignore'", arg[k]);
        }
    }
}

void PairTaylorann::coeff(int narg, char **arg) {
    const int ntypes = atom->ntypes;
    if (!allocated) allocate();
    if (narg < 3 || std::strcmp(arg[0], "*") != 0 || std::strcmp(arg[1], "*") != 0)
        error->all(FLERR, "pair_coeff for taylorann must be 'pair_coeff * * <potential files> <species of "
                          "each of the {} atom types>'", ntypes);
    const int nfiles = narg - 2 - ntypes;
    if (nfiles < 1)
        error->all(FLERR, "pair_coeff taylorann: expected potential file(s) followed by {} species names "
                          "(one per atom type, NULL to skip a type), got {} arguments after '* *'",
                   ntypes, narg - 2);
    std::vector<const char *> files;
    for (int k = 0; k < nfiles; ++k) {
        const std::string a = arg[2 + k];
        if (!looks_like_file(a) && !platform::file_is_readable(a))
            error->all(FLERR, "pair_coeff taylorann: '{}' stands among the potential files but looks like a "
                              "species name: expected exactly {} species names (one per atom type) after "
                              "the files", a, ntypes);
        files.push_back(arg[2 + k]);
    }
    for (int t = 1; t <= ntypes; ++t) {
        const std::string s = arg[2 + nfiles + t - 1];
        if (looks_like_file(s))
            error->all(FLERR, "pair_coeff taylorann: atom type {} maps to '{}', which looks like a file: "
                              "expected exactly {} species names (one per atom type) after the potential "
                              "files", t, s, ntypes);
    }

    taylorann_destroy(model_);
    model_ = nullptr;
    model_label_.clear();
    for (auto *f : files) model_label_ += (model_label_.empty() ? "" : " ") + std::string(f);
    if (taylorann_create(files.data(), nfiles, legacy_angular_ ? 1 : 0, &model_) != TAYLORANN_OK)
        error->all(FLERR, "pair_coeff taylorann: {}", taylorann_last_error());
    taylorann_cutoff(model_, &cutoff_);

    type_species_.assign(ntypes + 1, -1);
    for (int t = 1; t <= ntypes; ++t) {
        const char *name = arg[2 + nfiles + t - 1];
        if (std::strcmp(name, "NULL") == 0) continue;
        int index = -1;
        taylorann_species_index(model_, name, &index);
        if (index < 0)
            error->all(FLERR, "pair_coeff taylorann: species '{}' of atom type {} has no potential in {} "
                              "(species provided: {})", name, t, model_label_, species_list(model_));
        type_species_[t] = index;
    }
    int count = 0;
    for (int i = 1; i <= ntypes; ++i)
        for (int j = i; j <= ntypes; ++j) {
            setflag[i][j] = (type_species_[i] >= 0 && type_species_[j] >= 0) ? 1 : 0;
            count += setflag[i][j];
        }
    if (count == 0) error->all(FLERR, "pair_coeff taylorann: every atom type is NULL");
}

void PairTaylorann::init_style() {
    if (std::strcmp(update->unit_style, "metal") != 0)
        error->all(FLERR, "pair_style taylorann requires 'units metal' (eV, Å), but units are '{}'",
                   update->unit_style);
    if (force->newton_pair == 0)
        error->all(FLERR, "pair_style taylorann requires newton_pair on (forces on ghost atoms are "
                          "summed by reverse communication)");
    if (!model_) error->all(FLERR, "pair_style taylorann: pair_coeff was not given");
    neighbor->add_request(this, NeighConst::REQ_FULL);
}

double PairTaylorann::init_one(int i, int j) {
    if (setflag[i][j] == 0 && setflag[j][i] == 0)
        error->all(FLERR, "pair_style taylorann: no potential for atom types {} and {} (NULL in pair_coeff)", i, j);
    return cutoff_;
}

void PairTaylorann::compute(int eflag, int vflag) {
    ev_init(eflag, vflag);
    const int nall = atom->nlocal + atom->nghost;
    if (int(species_.size()) < nall) species_.resize(size_t(nall) + size_t(nall) / 4 + 16);
    const int *type = atom->type;
    for (int i = 0; i < nall; ++i) species_[i] = type_species_[type[i]];

    double energy = 0.0, w[6] = {0, 0, 0, 0, 0, 0};
    double *x = nall ? &atom->x[0][0] : nullptr;
    double *f = nall ? &atom->f[0][0] : nullptr;
    const int status = taylorann_compute_neighbors(
        model_, nall, x ? x : w, species_.data(), list->inum, list->ilist, list->numneigh, list->firstneigh,
        &energy, eflag_atom ? eatom : nullptr, f, vflag_global ? w : nullptr,
        (vflag_atom && nall) ? &vatom[0][0] : nullptr);
    if (status != TAYLORANN_OK) error->one(FLERR, "pair_style taylorann: {}", taylorann_last_error());
    if (eflag_global) eng_vdwl += energy;
    if (vflag_global)
        for (int k = 0; k < 6; ++k) virial[k] += w[k];
    if (ranges_known_) check_extrapolation();
}

// Counts the atoms whose descriptor left the training range (the core checks it during the
// evaluation); warns (the first 10 evaluations with such atoms, then every 1000th) or stops.
void PairTaylorann::check_extrapolation() {
    int64_t n = 0;
    const int status = taylorann_extrapolation(model_, &n, nullptr, 0);
    if (status == TAYLORANN_ERR_UNSUPPORTED) {  // TorchScript: say so once, then stay quiet
        ranges_known_ = false;
        if (comm->me == 0 && extrapolation_ != Extrapolation::ignore)
            error->warning(FLERR, "pair_style taylorann: {} does not report descriptor ranges: no extrapolation "
                                  "detection (use the potential's .nn.ascii or .nn files for it)", model_label_);
        return;
    }
    if (status != TAYLORANN_OK) error->one(FLERR, "pair_style taylorann: {}", taylorann_last_error());
    counts_[0] = double(n);
    counts_[1] += double(n);
    if (extrapolation_ == Extrapolation::ignore) return;
    bigint local = n, total = 0;
    MPI_Allreduce(&local, &total, 1, MPI_LMP_BIGINT, MPI_SUM, world);
    if (total == 0) return;
    std::string ids;
    if (n > 0) {
        outside_.resize(size_t(std::min<int64_t>(n, 5)));
        taylorann_extrapolation(model_, &n, outside_.data(), int64_t(outside_.size()));
        for (int i : outside_) ids += (ids.empty() ? "" : " ") + std::to_string(atom->tag[i]);
    }
    if (extrapolation_ == Extrapolation::error)
        error->all(FLERR, "pair_style taylorann: {} atoms outside the training range of the descriptors in {} at "
                          "step {} (stopping: pair_style taylorann extrapolation error)", total, model_label_,
                   update->ntimestep);
    ++warned_steps_;
    if (comm->me == 0 && (warned_steps_ <= 10 || warned_steps_ % 1000 == 0))
        error->warning(FLERR, "pair_style taylorann: {} atoms outside the training range of the descriptors at "
                              "step {}{}: energies and forces are extrapolated ({} such evaluations so far{})",
                       total, update->ntimestep, ids.empty() ? "" : " (IDs " + ids + " ...)", warned_steps_,
                       warned_steps_ == 10 ? "; further warnings every 1000th" : "");
}

void *PairTaylorann::extract(const char *name, int &dim) {
    dim = 0;
    if (std::strcmp(name, "extrapolation_count") == 0) return &counts_[1];
    return nullptr;
}
