#include "nnbinary.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "error.hpp"

namespace taylorann {
namespace {

// kind: 'i' int32 values, 'd' float64 values, 'l' logical(4), 'c' one character(width) text,
// 't' character(width) names
struct Layout {
    const char *name;
    char kind;
    int width;
};

const Layout kLayout[] = {
    {"N1 nlayers", 'i', 4},      {"N2 nnodes_max", 'i', 4},   {"N3 Wsize", 'i', 4},
    {"N4 nvalues", 'i', 4},      {"N5 nnodes", 'i', 4},       {"N6 f_a", 'i', 4},
    {"N7 iw", 'i', 4},           {"N8 iv", 'i', 4},           {"N9 W", 'd', 8},
    {"S1 description", 'c', 1024}, {"S2 atomtype", 'c', 2},   {"S3 nenv", 'i', 4},
    {"S4 envtypes", 't', 2},     {"S5 Rc_min", 'd', 8},       {"S6 Rc_max", 'd', 8},
    {"S7 sftype", 'c', 100},     {"S8 nsf", 'i', 4},          {"S9 nsfparam", 'i', 4},
    {"S10 sf", 'i', 4},          {"S11 sfparam", 'd', 8},     {"S12 sfenv", 'i', 4},
    {"S13 neval", 'i', 4},       {"S14 sfval_min", 'd', 8},   {"S15 sfval_max", 'd', 8},
    {"S16 sfval_avg", 'd', 8},   {"S17 sfval_cov", 'd', 8},   {"T1 file", 'c', 1024},
    {"T2 normalized", 'l', 4},   {"T3 scale", 'd', 8},        {"T4 shift", 'd', 8},
    {"T5 ntypes", 'i', 4},       {"T6 typenames", 't', 2},    {"T7 E_atom", 'd', 8},
    {"T8 natomtot", 'i', 4},     {"T9 nstrucs", 'i', 4},      {"T10 E_min E_max E_av", 'd', 8},
};
constexpr size_t kRecords = sizeof(kLayout) / sizeof(kLayout[0]);

int32_t int32_at(const std::string &bytes, size_t pos) {
    int32_t v;
    std::memcpy(&v, bytes.data() + pos, 4);  // little-endian hosts (x86-64, aarch64), as gfortran writes
    return v;
}

std::string where(size_t k) {
    return "Fortran record " + std::to_string(k + 1) + " (" + (k < kRecords ? kLayout[k].name : "after T10") + ")";
}

std::string trim(const std::string &s) {
    const auto a = s.find_first_not_of(' ');
    if (a == std::string::npos) return "";
    return s.substr(a, s.find_last_not_of(' ') - a + 1);
}

std::string record_text(const std::string &path, size_t k, const std::string &payload) {
    const Layout &l = kLayout[k];
    const auto bad = [&](const std::string &expected) {
        fail(TAYLORANN_ERR_FORMAT, path + ": " + where(k) + ": expected " + expected + ", found " +
                                       std::to_string(payload.size()) + " bytes");
    };
    std::string out;
    if (l.kind == 'i' || l.kind == 'l' || l.kind == 'd') {
        if (payload.size() % size_t(l.width) != 0 || (l.kind == 'l' && payload.size() != 4))
            bad(std::string(l.kind == 'l' ? "one " : "a whole number of ") + std::to_string(l.width) +
                "-byte values");
        for (size_t p = 0; p < payload.size(); p += size_t(l.width)) {
            char buf[40];
            if (l.kind == 'd') {
                double v;
                std::memcpy(&v, payload.data() + p, 8);
                std::snprintf(buf, sizeof buf, "%.17g", v);
            } else if (l.kind == 'l') {
                return int32_at(payload, 0) != 0 ? "T" : "F";
            } else {
                std::snprintf(buf, sizeof buf, "%d", int(int32_at(payload, p)));
            }
            out += (out.empty() ? "" : " ") + std::string(buf);
        }
        return out;
    }
    if ((l.kind == 'c' && payload.size() != size_t(l.width)) || payload.size() % size_t(l.width) != 0)
        bad("character(" + std::to_string(l.width) + ") " + (l.kind == 'c' ? "text" : "names"));
    for (unsigned char c : payload)
        if (c < 32 || c > 126)
            fail(TAYLORANN_ERR_FORMAT, path + ": " + where(k) + ": expected printable ASCII text, found other bytes");
    if (l.kind == 'c') return trim(payload);
    for (size_t p = 0; p < payload.size(); p += size_t(l.width))
        out += (out.empty() ? "" : " ") + trim(payload.substr(p, size_t(l.width)));
    return out;
}

}  // namespace

bool looks_like_nnbinary(const std::string &bytes) {
    if (bytes.size() < 12) return false;
    const int32_t nlayers = int32_at(bytes, 4);
    return int32_at(bytes, 0) == 4 && int32_at(bytes, 8) == 4 && nlayers >= 2 && nlayers <= 1000;
}

std::vector<std::string> nnbinary_lines(const std::string &path, const std::string &bytes) {
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < bytes.size()) {
        const size_t k = lines.size();
        if (pos + 4 > bytes.size())
            fail(TAYLORANN_ERR_FORMAT, path + ": " + where(k) + ": expected a 4-byte record length, found end of file");
        const int32_t size = int32_at(bytes, pos);
        const size_t end = pos + 4 + size_t(size < 0 ? 0 : size);
        if (size < 0 || end + 4 > bytes.size() || int32_at(bytes, end) != size)
            fail(TAYLORANN_ERR_FORMAT, path + ": " + where(k) +
                                           ": expected a record framed by equal 4-byte lengths, found a damaged or "
                                           "truncated record");
        if (k >= kRecords)
            fail(TAYLORANN_ERR_FORMAT, path + ": " + where(k) + ": expected " + std::to_string(kRecords) +
                                           " records (network, set-up, training set), found more");
        lines.push_back(record_text(path, k, bytes.substr(pos + 4, size_t(size))));
        pos = end + 4;
    }
    if (lines.size() != kRecords)
        fail(TAYLORANN_ERR_FORMAT, path + ": " + where(lines.size()) + ": expected " + std::to_string(kRecords) +
                                       " records (network, set-up, training set), found " +
                                       std::to_string(lines.size()));
    return lines;
}

}  // namespace taylorann
