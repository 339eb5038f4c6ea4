#include "analysis/csv.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "analysis/analysis_error.hpp"

namespace e3md::analysis {

void CsvTable::add_column(const std::string& name, const std::vector<double>& values) {
  if (!columns.empty() && values.size() != columns.front().size()) {
    throw AnalysisError("CSV column '" + name + "' has " + std::to_string(values.size()) + " rows, expected " +
                        std::to_string(columns.front().size()));
  }
  names.push_back(name);
  columns.push_back(values);
}

std::string csv_number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

void CsvTable::write(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) throw AnalysisError(path + ": cannot write the CSV file; check that the directory exists");
    for (const auto& c : comments) out << "# " << c << '\n';
    for (std::size_t i = 0; i < names.size(); ++i) out << (i ? "," : "") << names[i];
    out << '\n';
    const std::size_t rows = columns.empty() ? 0 : columns.front().size();
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << csv_number(columns[i][r]);
      out << '\n';
    }
    out.flush();
    if (!out) throw AnalysisError(path + ": writing the CSV file failed (disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw AnalysisError(path + ": cannot move the finished CSV into place");
  }
}

CsvTable read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw AnalysisError(path + ": cannot open the CSV file; check the path");
  CsvTable t;
  std::string line;
  int lineno = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty()) continue;
    if (line[0] == '#') {
      t.comments.push_back(line.size() > 2 ? line.substr(2) : "");
      continue;
    }
    std::stringstream ss(line);
    std::string cell;
    if (!header) {
      while (std::getline(ss, cell, ',')) t.names.push_back(cell);
      t.columns.resize(t.names.size());
      header = true;
      continue;
    }
    std::size_t k = 0;
    while (std::getline(ss, cell, ',')) {
      if (k >= t.columns.size()) throw AnalysisError(path + ":" + std::to_string(lineno) + ": more cells than header names");
      try {
        t.columns[k].push_back(std::stod(cell));
      } catch (const std::exception&) {
        throw AnalysisError(path + ":" + std::to_string(lineno) + ": '" + cell + "' is not a number");
      }
      ++k;
    }
    if (k != t.columns.size()) throw AnalysisError(path + ":" + std::to_string(lineno) + ": fewer cells than header names");
  }
  if (!header) throw AnalysisError(path + ": empty CSV file (no header line)");
  return t;
}

const std::vector<double>& csv_column(const CsvTable& t, const std::string& name, const std::string& path) {
  for (std::size_t i = 0; i < t.names.size(); ++i) {
    if (t.names[i] == name) return t.columns[i];
  }
  std::string have;
  for (const auto& n : t.names) have += (have.empty() ? "" : ", ") + n;
  throw AnalysisError(path + ": no column '" + name + "' (columns: " + have + ")");
}

}  // namespace e3md::analysis
