// Reader for ænet's <El>.nn.ascii potential files (dialects P, X and F),
// see shared/AENET_FORMAT.md sections 2-5. Every record is validated; errors
// name the file, the record and what was expected.
#pragma once
#include <string>
#include <vector>

namespace taylorann {

struct NetworkRecords {
    int nlayers = 0;
    std::vector<int> nnodes;       // per layer, without bias
    std::vector<int> activation;   // codes of layers 2..L
    std::vector<double> weights;   // W(1..Wsize), ænet layout
};

struct SetupRecords {
    std::string description;
    std::string atomtype;
    std::vector<std::string> envtypes;
    double rc_min = 0.0, rc_max = 0.0;
    std::string sftype;  // "chebyshev" or "behler2011" (lower case)
    int nsf = 0;
    std::vector<int> sf;            // [nsf]
    std::vector<double> sfparam;    // [4 * nsf] column-major
    std::vector<int> sfenv;         // [2 * nsf] column-major
    std::vector<double> sfval_min, sfval_max;  // [nsf] descriptor range of the training set
    std::vector<double> sfval_avg, sfval_cov;  // [nsf]
    size_t nsf_line = 0, cov_line = 0;         // for messages
};

struct TrainingRecords {
    double scale = 1.0, shift = 0.0;
    std::vector<std::string> typenames;
    std::vector<double> e_atom;
};

struct PotentialFile {
    std::string path;
    NetworkRecords network;
    SetupRecords setup;
    TrainingRecords training;
    double reference_energy = 0.0;  // E_atom of setup.atomtype
};

PotentialFile read_nnascii(const std::string &path);
// The same from text held in memory; `name` stands for the path in messages.
PotentialFile read_nnascii_text(const std::string &name, const std::string &text);
// unit: what error messages call a line ("Fortran record" when the lines come from a binary .nn file)
PotentialFile parse_nnascii(const std::string &path, std::vector<std::string> lines,
                            const std::string &unit = "line");

}  // namespace taylorann
