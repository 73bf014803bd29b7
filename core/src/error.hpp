// Error type used inside the core; converted to a status code at the C API.
#pragma once
#include <stdexcept>
#include <string>

#include "taylorann/c_api.h"

namespace taylorann {

class Error : public std::runtime_error {
public:
    Error(int code, const std::string &message) : std::runtime_error(message), code_(code) {}
    int code() const { return code_; }

private:
    int code_;
};

[[noreturn]] inline void fail(int code, const std::string &message) { throw Error(code, message); }

}  // namespace taylorann
