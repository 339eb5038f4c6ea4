#include "driver/commands.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace e3md {
namespace {

struct Entry {
  std::string name;
  int order;
  CommandFactory factory;
};

std::vector<Entry>& registry() {
  static std::vector<Entry> entries;  // function-local: safe against static initialisation order
  return entries;
}

}  // namespace

CommandRegistrar::CommandRegistrar(const char* name, int order, CommandFactory factory) {
  registry().push_back({name, order, factory});
}

void register_commands(CLI::App& app) {
  auto entries = registry();
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.order < b.order; });
  for (const auto& e : entries) e.factory(app);
}

}  // namespace e3md
