// Minimal JSON reader for model metadata (objects, arrays, strings, numbers,
// true/false/null). Errors throw taylorann::Error with the offending offset.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace taylorann {

struct Json {
    enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
    bool boolean = false;
    double number = 0.0;
    std::string string;
    std::vector<Json> array;
    std::map<std::string, Json> object;

    const Json *find(const std::string &key) const {
        if (kind != Object) return nullptr;
        const auto it = object.find(key);
        return it == object.end() ? nullptr : &it->second;
    }
};

// `origin` names the source in error messages.
Json parse_json(const std::string &text, const std::string &origin);

}  // namespace taylorann
