// A spec the GUI holds: a job (every knob fixed) or a plan problem (knobs free), kept as its JSON
// text plus the file it came from, and parsed on demand with every problem reported at its place.
//
// Parsing runs the same readers as the CLI (model/spec/catalog.hpp, planner/search/problem.hpp) on
// the in-memory JSON, so an edited, unsaved document reports "llama.json:/plan/tp: ..." exactly as
// `trainplan predict` would for the saved file.
//
//   ParsedSpec p = parse_spec(doc, catalog);
//   if (!p.diagnostics.ok()) show(p.diagnostics);
//   else if (p.job) predict(*p.job); else plan(*p.problem);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/json_reader.hpp"
#include "model/spec/catalog.hpp"
#include "model/spec/job.hpp"

#ifdef TRAINPLAN_GUI_HAVE_PLANNER
#include "planner/search/problem.hpp"
#endif

namespace trainplan::gui {

enum class SpecKind { kJob, kProblem };

struct SpecDocument {
  std::string path;  // where it was loaded from / will be saved ("untitled.json" when new)
  Json json = Json::object();
  // The keys in the order the file (or the JSON tab) wrote them: Json sorts keys, and a saved spec
  // keeps its author's order, new keys after the old ones.
  nlohmann::ordered_json order;
  // A document with a "plan" object is a job; otherwise a plan problem.
  [[nodiscard]] SpecKind kind() const { return json.is_object() && json.contains("plan") ? SpecKind::kJob : SpecKind::kProblem; }
};

struct ParsedSpec {
  Diagnostics diagnostics;
  std::optional<JobSpec> job;
#ifdef TRAINPLAN_GUI_HAVE_PLANNER
  std::optional<planner::PlanProblem> problem;
#endif
  [[nodiscard]] bool ok() const { return diagnostics.ok(); }
};

// Reads a JSON file into a document; a syntax error or a missing file lands in diag.
std::optional<SpecDocument> load_spec_document(const std::string& path, Diagnostics& diag);
// Parses and checks the document (job or plan problem).
ParsedSpec parse_spec(const SpecDocument& doc, const Catalog& catalog);
// The document's text, pretty with a two-space indent, keys in `order`.
std::string ordered_text(const SpecDocument& doc);
// Takes the key order of a text (a file's, the JSON tab's) that parses.
nlohmann::ordered_json key_order(const std::string& text);
// Writes the document (ordered_text); false with a message on failure.
bool save_spec_document(const SpecDocument& doc, const std::string& path, std::string& error);

// What the spec runs but the user should know (shown under the problems, not refusing the run):
// a TP degree that does not divide the GPUs of a node (TP groups then span nodes, over the NICs),
// and what the Hugging Face reader does not model of the model's config (hf_config_caveats).
std::vector<std::string> spec_warnings(const SpecDocument& doc, const ParsedSpec& parsed);

// The applied states of a document, for Undo and Redo (at most kMax kept, the oldest dropped).
//
//   SpecHistory h;  h.reset(doc.json);  h.record(edited);  std::optional<Json> before = h.undo();
class SpecHistory {
 public:
  static constexpr size_t kMax = 100;
  void reset(const Json& state);
  // A new state after the current one (redo states beyond it are dropped); equal states are not recorded.
  void record(const Json& state);
  std::optional<Json> undo();
  std::optional<Json> redo();
  [[nodiscard]] bool can_undo() const { return at_ > 0; }
  [[nodiscard]] bool can_redo() const { return at_ + 1 < states_.size(); }

 private:
  std::vector<Json> states_;
  size_t at_ = 0;
};

// One text per problem: "file:/json/pointer: message".
std::string diagnostics_text(const Diagnostics& diag);

}  // namespace trainplan::gui
