// Errors of the analysis layer (bad selections, empty frame ranges, unusable inputs); the text names the
// file or option and the fix.
#pragma once

#include <stdexcept>

namespace e3md::analysis {

class AnalysisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace e3md::analysis
