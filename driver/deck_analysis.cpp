#include "driver/deck_analysis.hpp"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>

#include "driver/commands.hpp"

namespace e3md {
namespace fs = std::filesystem;

namespace {

std::string output_of(const Deck& deck, const DeckAnalysis& a) {
  std::string out = a.kind + ".csv";
  for (const auto& [name, value] : a.options) {
    if (name == "output") out = value;
  }
  return (fs::path(deck.resolve(deck.output.directory)) / out).lexically_normal().string();
}

// A fresh `e3md analyze` command tree (the subcommands keep their parsed values in the app they belong to);
// rank 0 runs the deck's analyses alone.
std::unique_ptr<CLI::App> analyze_app() {
  auto app = std::make_unique<CLI::App>("e3md");
  add_analyze_command(*app, MPI_COMM_SELF);
  return app;
}

}  // namespace

std::vector<std::string> deck_analysis_arguments(const Deck& deck, const DeckAnalysis& a) {
  std::vector<std::string> args{
      "analyze", a.kind,
      (fs::path(deck.resolve(deck.output.directory)) / deck.output.trajectory).lexically_normal().string()};
  for (const auto& [name, value] : a.options) {
    if (name == "output") continue;
    args.push_back(value.empty() ? "--" + name : "--" + name + "=" + value);
  }
  args.push_back("--output=" + output_of(deck, a));
  return args;
}

void check_deck_analyses(const Deck& deck) {
  const auto app = analyze_app();
  const auto* analyze = app->get_subcommand("analyze");
  for (const auto& a : deck.analysis) {
    const auto* sub = analyze->get_subcommand(a.kind);
    std::vector<std::string> names;
    for (const auto* opt : sub->get_options()) {
      for (const auto& l : opt->get_lnames()) {
        if (l != "help" && l != "format") names.push_back(l);
      }
    }
    for (std::size_t k = 0; k < a.options.size(); ++k) {
      const auto& name = a.options[k].first;
      if (std::find(names.begin(), names.end(), name) != names.end()) continue;
      std::string msg = a.option_sources[k] + ": unknown option `" + name + "` of analysis `" + a.kind + "`";
      const auto guess = closest_key(name, names);
      msg += guess.empty() ? "; see `e3md analyze " + a.kind + " --help`" : "; did you mean `" + guess + "`?";
      throw DeckError(msg);
    }
  }
}

std::string describe_deck_analyses(const Deck& deck) {
  std::string s;
  for (const auto& a : deck.analysis) {
    std::string line = "  analysis after the run: e3md";
    for (const auto& arg : deck_analysis_arguments(deck, a)) line += " " + arg;
    s += line + "\n";
  }
  return s;
}

void run_deck_analyses(const Deck& deck) {
  for (const auto& a : deck.analysis) {
    const auto args = deck_analysis_arguments(deck, a);
    std::string line = "e3md";
    for (const auto& arg : args) line += " " + arg;
    spdlog::info("analysis: {}", line);
    std::vector<std::string> argv_text{"e3md"};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<const char*> argv;
    for (const auto& t : argv_text) argv.push_back(t.c_str());
    const auto app = analyze_app();
    try {
      app->parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError& e) {
      throw DeckError(a.source + ": analysis `" + a.kind + "`: " + e.what());
    } catch (const std::exception& e) {
      throw DeckError(a.source + ": analysis `" + a.kind + "` failed: " + e.what());
    }
  }
}

}  // namespace e3md
