// ænet's binary .nn potential files (Fortran unformatted sequential, gfortran record markers),
// as ænet 2.0.4's train.x writes them: network, set-up and training-set records in the order
// of the .nn.ascii records (trainer/nnbinary.py has the table). Record k becomes line k of
// the equivalent .nn.ascii text, which the .nn.ascii parser then validates.
#pragma once
#include <string>
#include <vector>

namespace taylorann {

// True when the bytes start like a binary .nn file: a 4-byte record holding nlayers (2..1000).
bool looks_like_nnbinary(const std::string &bytes);

// The .nn.ascii lines of a binary file (line k = Fortran record k); errors name the record.
std::vector<std::string> nnbinary_lines(const std::string &path, const std::string &bytes);

}  // namespace taylorann
