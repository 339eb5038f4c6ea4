// CSV tables with units in the header ("name[unit]") and optional leading "# " comment lines carrying
// metadata (the command line, fit windows, fitted values) that tools/plot_e3md.py reads back.
#pragma once

#include <string>
#include <vector>

namespace e3md::analysis {

struct CsvTable {
  std::vector<std::string> comments;  // written as "# <text>" lines before the header
  std::vector<std::string> names;
  std::vector<std::vector<double>> columns;

  void add_column(const std::string& name, const std::vector<double>& values);
  // Writes through a temporary file renamed at the end, so a failed write leaves no complete-looking file.
  void write(const std::string& path) const;
};

// Reads a table written by CsvTable::write (or any numeric CSV with one header line and "#" comments).
CsvTable read_csv(const std::string& path);
// Column by exact name; throws naming the columns present.
const std::vector<double>& csv_column(const CsvTable& t, const std::string& name, const std::string& path);

// 17 significant digits: reading back gives the same double.
std::string csv_number(double v);

}  // namespace e3md::analysis
