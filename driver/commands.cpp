#include "driver/commands.hpp"

namespace e3md {

void register_commands(CLI::App& app) { (void)app; }

}  // namespace e3md
