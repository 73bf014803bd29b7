#include "nnascii.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "error.hpp"
#include "nnbinary.hpp"

namespace taylorann {
namespace {

// Token-based within a record, line-based between records (Fortran
// list-directed input): a record may wrap over lines, leftovers are dropped.
// A token as messages show it: at most 24 characters, anything unprintable as \xNN.
std::string excerpt(const std::string &tok) {
    std::string out;
    for (size_t k = 0; k < tok.size() && k < 24; ++k) {
        const unsigned char c = static_cast<unsigned char>(tok[k]);
        if (c >= 32 && c < 127) {
            out += char(c);
        } else {
            static const char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    if (tok.size() > 24) out += "...";
    return out;
}

class RecordReader {
public:
    RecordReader(const std::string &path, std::vector<std::string> lines, std::string unit)
        : path_(path), lines_(std::move(lines)), unit_(std::move(unit)) {}

    size_t position() const { return next_; }
    bool at_end() const { return next_ >= lines_.size(); }

    // Consumes the consecutive lines made of integer tokens only (at least one token each; an
    // integer token is an optional sign and digits, whatever its size, as in the Python
    // reader); returns (1-based line number, tokens) per line.
    std::vector<std::pair<size_t, std::vector<std::string>>> integer_lines() {
        std::vector<std::pair<size_t, std::vector<std::string>>> out;
        while (next_ < lines_.size()) {
            std::istringstream in(lines_[next_]);
            std::vector<std::string> tokens;
            std::string tok;
            bool ok = true;
            while (in >> tok) {
                const size_t first = (tok[0] == '+' || tok[0] == '-') ? 1 : 0;
                ok = tok.size() > first && tok.find_first_not_of("0123456789", first) == std::string::npos;
                if (!ok) break;
                tokens.push_back(tok);
            }
            if (!ok || tokens.empty()) break;
            out.emplace_back(next_ + 1, std::move(tokens));
            ++next_;
        }
        return out;
    }
    // A Fortran default integer (4 bytes) from a token of line `line`, or an error naming it.
    int integer_at(const std::string &record, size_t line, const std::string &tok) const {
        errno = 0;
        char *end = nullptr;
        const long v = std::strtol(tok.c_str(), &end, 10);
        if (end == tok.c_str() || *end != '\0' || errno != 0 || v > 2147483647L || v < -2147483647L)
            error_at(record, line, "expected an integer, found '" + excerpt(tok) + "'");
        return int(v);
    }
    void rewind(size_t position) { next_ = position; }
    size_t line_number() const { return next_; }  // 1-based number of the last line consumed

    std::string text(const std::string &record) {
        if (next_ >= lines_.size()) truncated(record, "a line of text", 0);
        std::string s = lines_[next_++];
        const auto b = s.find_first_not_of(" \t\r");
        const auto e = s.find_last_not_of(" \t\r");
        return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    }

    std::vector<std::string> tokens(const std::string &record, size_t count,
                                    const std::string &what) {
        std::vector<std::string> out;
        out.reserve(count);
        const size_t first = next_ + 1;
        while (out.size() < count) {
            if (next_ >= lines_.size()) truncated(record, std::to_string(count) + " " + what, out.size(), first);
            std::istringstream in(lines_[next_++]);
            std::string tok;
            while (out.size() < count && in >> tok) out.push_back(tok);
        }
        return out;
    }

    std::vector<int> ints(const std::string &record, size_t count) {
        auto toks = tokens(record, count, count == 1 ? "integer" : "integers");
        std::vector<int> out(count);
        for (size_t k = 0; k < count; ++k) out[k] = to_int(record, toks[k]);
        return out;
    }
    int integer(const std::string &record) { return ints(record, 1)[0]; }

    std::vector<double> reals(const std::string &record, size_t count) {
        auto toks = tokens(record, count, count == 1 ? "real" : "reals");
        std::vector<double> out(count);
        for (size_t k = 0; k < count; ++k) out[k] = to_real(record, toks[k], k);
        return out;
    }
    double real(const std::string &record) { return reals(record, 1)[0]; }

    std::vector<std::string> names(const std::string &record, size_t count) {
        return tokens(record, count, count == 1 ? "name" : "names");
    }

    bool logical(const std::string &record) {
        std::string t = tokens(record, 1, "logical")[0];
        size_t k = 0;
        while (k < t.size() && t[k] == '.') ++k;
        const char c = k < t.size() ? char(std::tolower(t[k])) : '\0';
        if (c == 't') return true;
        if (c == 'f') return false;
        error(record, "expected a logical (T/F/.true./True), found '" + excerpt(t) + "'");
    }

    // Nothing but blank lines may follow the last record (a trailing or repeated record is an error).
    void expect_end() const {
        for (size_t k = next_; k < lines_.size(); ++k)
            if (lines_[k].find_first_not_of(" \t\r") != std::string::npos)
                error_at("T10 E_min E_max E_av", k + 1, "expected the end of the file after the last record, found '" +
                                                            excerpt(lines_[k].substr(0, 40)) + "'");
    }

    [[noreturn]] void error(const std::string &record, const std::string &message) const {
        error_at(record, next_, message);
    }
    [[noreturn]] void error_at(const std::string &record, size_t line, const std::string &message) const {
        fail(TAYLORANN_ERR_FORMAT, path_ + ": record " + record + " (" + unit_ + " " +
                                       std::to_string(line) + "): " + message);
    }

private:
    [[noreturn]] void truncated(const std::string &record, const std::string &expected,
                                size_t found, size_t first_line = 0) const {
        fail(TAYLORANN_ERR_FORMAT,
             path_ + ": record " + record + ": file truncated: expected " + expected +
                 (first_line ? " starting at line " + std::to_string(first_line) : "") +
                 ", found " + std::to_string(found) + " before end of file");
    }

    int to_int(const std::string &record, const std::string &tok) const {
        errno = 0;
        char *end = nullptr;
        const long v = std::strtol(tok.c_str(), &end, 10);
        if (end == tok.c_str() || *end != '\0' || errno != 0 || v > 2147483647L || v < -2147483647L)
            error(record, "expected an integer, found '" + excerpt(tok) + "'");
        return int(v);
    }

    double to_real(const std::string &record, const std::string &tok, size_t index) const {
        std::string t = tok;
        for (char &c : t)
            if (c == 'd' || c == 'D') c = 'e';
        errno = 0;
        char *end = nullptr;
        // Fortran reals only (digits, sign, point, exponent), as the Python reader: strtod alone
        // would also take hexadecimal numbers and the words inf and nan
        const bool plain = t.find_first_not_of("0123456789+-.eE") == std::string::npos;
        const double v = plain ? std::strtod(t.c_str(), &end) : 0.0;
        if (!plain || end == t.c_str() || *end != '\0')
            error(record, "expected a real number, found '" + excerpt(tok) + "' (value " +
                              std::to_string(index + 1) + ")");
        if (!std::isfinite(v))
            error(record, "non-finite value '" + excerpt(tok) + "' (value " + std::to_string(index + 1) + ")");
        return v;
    }

    std::string path_;
    std::vector<std::string> lines_;
    std::string unit_;  // "line", or "Fortran record" for a binary .nn file
    size_t next_ = 0;
};

void read_network(RecordReader &in, NetworkRecords &net) {
    net.nlayers = in.integer("N1 nlayers");
    if (net.nlayers < 2 || net.nlayers > 1000)
        in.error("N1 nlayers", "expected at least 2 layers (input and output), found " +
                                   std::to_string(net.nlayers));
    const int L = net.nlayers;
    const int nnodes_max = in.integer("N2 nnodes_max");
    const size_t line2 = in.line_number();
    const int wsize = in.integer("N3 Wsize");
    const size_t line3 = in.line_number();
    const int nvalues = in.integer("N4 nvalues");
    const size_t line4 = in.line_number();
    net.nnodes = in.ints("N5 nnodes", L);
    for (int l = 0; l < L; ++l)
        if (net.nnodes[l] < 1)
            in.error("N5 nnodes", "layer " + std::to_string(l + 1) + " has " +
                                      std::to_string(net.nnodes[l]) + " nodes; expected >= 1");
    if (net.nnodes[L - 1] != 1)
        in.error("N5 nnodes", "output layer must have 1 node, found " + std::to_string(net.nnodes[L - 1]));
    net.activation = in.ints("N6 f_a", L - 1);
    for (int l = 0; l < L - 1; ++l)
        if (net.activation[l] < 0 || net.activation[l] > 4)
            in.error("N6 f_a", "unknown activation code " + std::to_string(net.activation[l]) +
                                   " for layer " + std::to_string(l + 2) +
                                   "; expected 0 (linear), 1 (tanh), 2 (sigmoid), 3 (mtanh) or 4 (twist)");
    const auto iw = in.ints("N7 iw", L);
    const size_t line7 = in.line_number();
    const auto iv = in.ints("N8 iv", L);
    const size_t line8 = in.line_number();
    long w = 0, v = 0;
    for (int l = 0; l < L; ++l) {
        if (iw[l] != w)
            in.error_at("N7 iw", line7, "iw(" + std::to_string(l + 1) + ") = " + std::to_string(iw[l]) +
                                  ", expected " + std::to_string(w) + " from nnodes");
        if (iv[l] != v)
            in.error_at("N8 iv", line8, "iv(" + std::to_string(l + 1) + ") = " + std::to_string(iv[l]) +
                                  ", expected " + std::to_string(v) + " from nnodes");
        if (l + 1 < L) w += long(net.nnodes[l] + 1) * net.nnodes[l + 1];
        v += net.nnodes[l] + 1;
    }
    const int max_nodes = *std::max_element(net.nnodes.begin(), net.nnodes.end());
    if (nnodes_max != max_nodes)
        in.error_at("N2 nnodes_max", line2, "found " + std::to_string(nnodes_max) + ", expected " +
                                      std::to_string(max_nodes) + " from nnodes");
    if (wsize != w)
        in.error_at("N3 Wsize", line3, "found " + std::to_string(wsize) + ", expected " + std::to_string(w) +
                                 " from nnodes");
    if (nvalues != iv[L - 1] + net.nnodes[L - 1])
        in.error_at("N4 nvalues", line4, "found " + std::to_string(nvalues) + ", expected " +
                                   std::to_string(iv[L - 1] + net.nnodes[L - 1]) + " from nnodes");
    net.weights = in.reals("N9 W", size_t(w));
}

// sfenv has 2*nsf entries in dialects P/X and binary files, nenv*nsf in Fortran's own
// ASCII writer (AENET_FORMAT.md 4.4). As the Python reader: the consecutive lines made of
// integers only are sfenv followed by neval (the last of them, a single integer); their
// count decides which layout it is, and any other count is an error.
std::vector<int> read_sfenv(RecordReader &in, int nsf, int nenv, int &neval) {
    const size_t start = in.position() + 1;
    const auto lines = in.integer_lines();
    const std::string want = std::to_string(2 * size_t(nsf)) + " integers";
    if (in.at_end())
        in.error_at("S12 sfenv", start, "expected " + want + ", neval and the statistics, found end of file (truncated)");
    std::vector<long> tokens;
    for (const auto &line : lines)
        for (const auto &tok : line.second) tokens.push_back(in.integer_at("S12 sfenv", line.first, tok));
    if (lines.empty() || lines.back().second.size() != 1)
        in.error_at("S12 sfenv", start, "expected " + want + " followed by neval, found " +
                                            std::to_string(tokens.size()) + " integer tokens");
    neval = int(tokens.back());
    tokens.pop_back();
    std::vector<int> v(size_t(2) * nsf, 0);
    if (tokens.size() == size_t(2) * nsf) {
        for (size_t k = 0; k < tokens.size(); ++k) v[k] = int(tokens[k]);
    } else if (tokens.size() == size_t(nenv) * nsf) {
        for (int i = 0; i < nsf; ++i)
            for (int r = 0; r < std::min(nenv, 2); ++r) v[2 * i + r] = int(tokens[size_t(nenv) * i + r]);
    } else {
        in.error_at("S12 sfenv", start, "expected " + want + " (2 x nsf), found " + std::to_string(tokens.size()));
    }
    return v;
}

void read_setup(RecordReader &in, SetupRecords &s) {
    s.description = in.text("S1 description");
    s.atomtype = in.text("S2 atomtype");
    if (s.atomtype.empty()) in.error("S2 atomtype", "expected the central species name, found an empty line");
    const int nenv = in.integer("S3 nenv");
    if (nenv < 1 || nenv > 200)
        in.error("S3 nenv", "expected 1..200 environment species, found " + std::to_string(nenv));
    s.envtypes = in.names("S4 envtypes", nenv);
    for (size_t a = 0; a < s.envtypes.size(); ++a)
        for (size_t b = 0; b < a; ++b)
            if (s.envtypes[a] == s.envtypes[b])
                in.error("S4 envtypes", "species '" + s.envtypes[a] + "' listed twice");
    s.rc_min = in.real("S5 Rc_min");
    s.rc_max = in.real("S6 Rc_max");
    std::string t = in.text("S7 sftype");
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (t != "chebyshev" && t != "behler2011")
        in.error("S7 sftype", "unknown descriptor type '" + excerpt(t) + "'; expected Chebyshev or Behler2011");
    s.sftype = t;
    s.nsf = in.integer("S8 nsf");
    s.nsf_line = in.line_number();
    if (s.nsf < 1 || s.nsf > 100000)
        in.error("S8 nsf", "expected a positive number of descriptor values, found " + std::to_string(s.nsf));
    const int nsfparam = in.integer("S9 nsfparam");
    if (nsfparam != 4) in.error("S9 nsfparam", "expected 4, found " + std::to_string(nsfparam));
    s.sf = in.ints("S10 sf", s.nsf);
    s.sfparam = in.reals("S11 sfparam", size_t(4) * s.nsf);
    int neval = 0;
    s.sfenv = read_sfenv(in, s.nsf, nenv, neval);
    if (neval < 0) in.error("S13 neval", "expected a count >= 0, found " + std::to_string(neval));
    s.sfval_min = in.reals("S14 sfval_min", s.nsf);
    s.sfval_max = in.reals("S15 sfval_max", s.nsf);
    s.sfval_avg = in.reals("S16 sfval_avg", s.nsf);
    s.sfval_cov = in.reals("S17 sfval_cov", s.nsf);
    s.cov_line = in.line_number();
}

void read_training(RecordReader &in, TrainingRecords &t) {
    in.text("T1 file");
    in.logical("T2 normalized");
    t.scale = in.real("T3 scale");
    if (t.scale == 0.0) in.error("T3 scale", "energy scale must be non-zero");
    t.shift = in.real("T4 shift");
    const int ntypes = in.integer("T5 ntypes");
    if (ntypes < 1 || ntypes > 200)
        in.error("T5 ntypes", "expected 1..200 species, found " + std::to_string(ntypes));
    t.typenames = in.names("T6 typenames", ntypes);
    t.e_atom = in.reals("T7 E_atom", ntypes);
    in.integer("T8 natomtot");
    in.integer("T9 nstrucs");
    in.reals("T10 E_min E_max E_av", 3);
}

}  // namespace

PotentialFile read_nnascii(const std::string &path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) fail(TAYLORANN_ERR_IO, path + ": cannot open potential file (missing or unreadable)");
    std::ostringstream content;
    content << file.rdbuf();
    if (file.bad()) fail(TAYLORANN_ERR_IO, path + ": read error");
    const std::string bytes = content.str();
    if (looks_like_nnbinary(bytes))  // ænet's binary .nn, told apart by content (nnbinary.hpp)
        return parse_nnascii(path, nnbinary_lines(path, bytes), "Fortran record");
    std::istringstream stream(bytes);
    std::vector<std::string> lines;
    for (std::string line; std::getline(stream, line);) lines.push_back(line);
    return parse_nnascii(path, std::move(lines));
}

PotentialFile read_nnascii_text(const std::string &name, const std::string &text) {
    std::istringstream stream(text);
    std::vector<std::string> lines;
    for (std::string line; std::getline(stream, line);) lines.push_back(line);
    return parse_nnascii(name, std::move(lines));
}

PotentialFile parse_nnascii(const std::string &path, std::vector<std::string> lines, const std::string &unit) {
    if (lines.empty()) fail(TAYLORANN_ERR_FORMAT, path + ": file is empty; expected an ænet .nn.ascii potential");
    for (size_t k = 0; k < lines.size(); ++k)  // the Python reader refuses the same (trainer/errors.py)
        for (unsigned char c : lines[k])
            if (c == 127 || (c < 32 && c != '\t' && c != '\r'))
                fail(TAYLORANN_ERR_FORMAT, path + ": line " + std::to_string(k + 1) +
                                               ": expected an ænet .nn.ascii text file or binary .nn file, found "
                                               "binary data that is neither");

    PotentialFile pot;
    pot.path = path;
    RecordReader in(path, std::move(lines), unit);
    read_network(in, pot.network);
    read_setup(in, pot.setup);
    read_training(in, pot.training);
    in.expect_end();

    const auto &s = pot.setup;
    if (pot.network.nnodes[0] != s.nsf)
        in.error_at("S8 nsf", s.nsf_line, "descriptor length " + std::to_string(s.nsf) +
                               " differs from the network input size nnodes(1) = " +
                               std::to_string(pot.network.nnodes[0]));
    for (int f = 0; f < s.nsf; ++f) {
        const double var = s.sfval_cov[f] - s.sfval_avg[f] * s.sfval_avg[f];
        if (!std::isfinite(var))
            in.error_at("S17 sfval_cov", s.cov_line, "variance of feature " + std::to_string(f + 1) + " is not finite");
        if (var < -1e-6 * std::max(1.0, s.sfval_cov[f]))  // as the Python reader (trainer/nnascii.py)
            in.error_at("S17 sfval_cov", s.cov_line,
                        "expected mean of squares >= square of mean for every feature, found feature " +
                            std::to_string(f + 1));
    }
    const auto &t = pot.training;
    const auto it = std::find(t.typenames.begin(), t.typenames.end(), s.atomtype);
    if (it == t.typenames.end())
        fail(TAYLORANN_ERR_FORMAT, path + ": record T6 typenames: central species '" + s.atomtype +
                                       "' has no reference energy (types listed: " +
                                       [&] {
                                           std::string l;
                                           for (auto &n : t.typenames) l += (l.empty() ? "" : " ") + n;
                                           return l;
                                       }() + ")");
    pot.reference_energy = t.e_atom[size_t(it - t.typenames.begin())];
    return pot;
}

}  // namespace taylorann
