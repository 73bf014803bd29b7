#include "json.hpp"

#include <cctype>
#include <cstdlib>

#include "error.hpp"

namespace taylorann {
namespace {

class Parser {
public:
    Parser(const std::string &text, const std::string &origin) : s_(text), origin_(origin) {}

    Json document() {
        Json v = value(0);
        skip();
        if (p_ != s_.size()) error("unexpected trailing characters");
        return v;
    }

private:
    [[noreturn]] void error(const std::string &what) const {
        fail(TAYLORANN_ERR_FORMAT, origin_ + ": invalid JSON at offset " + std::to_string(p_) + ": " + what);
    }
    void skip() {
        while (p_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[p_]))) ++p_;
    }
    bool eat(char c) {
        skip();
        if (p_ < s_.size() && s_[p_] == c) {
            ++p_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!eat(c)) error(std::string("expected '") + c + "'");
    }
    Json value(int depth) {
        if (depth > 64) error("nesting too deep");
        skip();
        if (p_ >= s_.size()) error("unexpected end of text");
        Json v;
        const char c = s_[p_];
        if (c == '{') {
            ++p_;
            v.kind = Json::Object;
            if (eat('}')) return v;
            do {
                skip();
                std::string key = str();
                expect(':');
                v.object[key] = value(depth + 1);
            } while (eat(','));
            expect('}');
        } else if (c == '[') {
            ++p_;
            v.kind = Json::Array;
            if (eat(']')) return v;
            do v.array.push_back(value(depth + 1));
            while (eat(','));
            expect(']');
        } else if (c == '"') {
            v.kind = Json::String;
            v.string = str();
        } else if (s_.compare(p_, 4, "true") == 0) {
            p_ += 4;
            v.kind = Json::Bool;
            v.boolean = true;
        } else if (s_.compare(p_, 5, "false") == 0) {
            p_ += 5;
            v.kind = Json::Bool;
        } else if (s_.compare(p_, 4, "null") == 0) {
            p_ += 4;
        } else {
            const char *begin = s_.c_str() + p_;
            char *end = nullptr;
            v.number = std::strtod(begin, &end);
            if (end == begin) error("expected a value");
            p_ += size_t(end - begin);
            v.kind = Json::Number;
        }
        return v;
    }
    std::string str() {
        if (p_ >= s_.size() || s_[p_] != '"') error("expected a string");
        ++p_;
        std::string out;
        while (p_ < s_.size() && s_[p_] != '"') {
            char c = s_[p_++];
            if (c == '\\') {
                if (p_ >= s_.size()) break;
                const char e = s_[p_++];
                switch (e) {
                case 'n': c = '\n'; break;
                case 't': c = '\t'; break;
                case 'r': c = '\r'; break;
                case 'b': c = '\b'; break;
                case 'f': c = '\f'; break;
                case 'u': {
                    if (p_ + 4 > s_.size()) error("bad \\u escape");
                    const unsigned code = unsigned(std::strtoul(s_.substr(p_, 4).c_str(), nullptr, 16));
                    p_ += 4;
                    if (code < 0x80) {
                        c = char(code);
                    } else {  // keep non-ASCII as UTF-8 (no surrogate handling needed for metadata)
                        if (code < 0x800) {
                            out += char(0xC0 | (code >> 6));
                        } else {
                            out += char(0xE0 | (code >> 12));
                            out += char(0x80 | ((code >> 6) & 0x3F));
                        }
                        c = char(0x80 | (code & 0x3F));
                    }
                    break;
                }
                default: c = e;
                }
            }
            out += c;
        }
        if (p_ >= s_.size()) error("unterminated string");
        ++p_;
        return out;
    }

    const std::string &s_;
    std::string origin_;
    size_t p_ = 0;
};

}  // namespace

Json parse_json(const std::string &text, const std::string &origin) { return Parser(text, origin).document(); }

}  // namespace taylorann
