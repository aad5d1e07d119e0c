#include "model/spec/era.hpp"

#include <string>

#include "model/spec/catalog.hpp"

namespace trainplan {

int date_year(std::string_view date) {
  if (!valid_date(date)) return 0;
  return (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
}

int date_month(std::string_view date) {
  if (!valid_date(date) || date.size() < 7) return 0;
  return (date[5] - '0') * 10 + (date[6] - '0');
}

namespace {

// One framework's profile: every feature's "since" (a date, or null: never) with its source.
std::array<FeatureSince, kFeatureCount> read_profile(const Node& entry) {
  std::array<FeatureSince, kFeatureCount> since{};
  ObjectReader fr(entry);
  for (size_t i = 0; i < kFeatureCount; ++i) {
    const std::string key(kFeatureNames[i]);
    std::optional<Node> f = fr.child(key);
    if (!f) {
      entry.at(key).error("expected the feature \"" + key + "\" ({\"since\": \"YYYY[-MM]\" or null, \"source\": ...})");
      continue;
    }
    ObjectReader fe(*f);
    if (!fe.valid()) continue;
    fe.string("source");
    if (!f->json->contains("since")) {  // null is a value here: never
      f->at("since").error("expected \"since\": a date \"YYYY\" or \"YYYY-MM\", or null (never)");
    } else {
      fe.child("since");  // read here, not by the reader's typed getters (null is allowed)
      const Json& s = f->json->at("since");
      const std::string d = s.is_string() ? s.get<std::string>() : "";
      if (valid_date(d))
        since[i] = {true, date_year(d), date_month(d)};
      else if (!s.is_null())
        f->at("since").error("expected a date \"YYYY\" or \"YYYY-MM\", or null (got " + describe(s) + ")");
    }
    fe.finish();
  }
  fr.finish();
  return since;
}

}  // namespace

std::optional<FrameworkProfiles> load_framework_profiles(const Catalog& catalog, Diagnostics& diag) {
  FrameworkProfiles out;
  out.path = catalog.dir() + "/frameworks/frameworks.json";
  const std::optional<Json> doc = load_json_file(out.path, diag);
  if (!doc) return std::nullopt;
  const size_t before = diag.items().size();
  ObjectReader top(Node{&*doc, out.path, "", &diag});
  if (!top.valid()) return std::nullopt;
  if (top.string("schema") != "trainplan-frameworks/1") top.node().at("schema").error("expected \"trainplan-frameworks/1\"");
  top.string("description", "");
  // The key list, for readers of the file: exactly the features this build reads.
  if (std::optional<Node> fl = top.child("features")) {
    Json want = Json::array();
    for (std::string_view f : kFeatureNames) want.push_back(std::string(f));
    if (*fl->json != want) fl->error("expected the features " + want.dump() + " in this order");
  }
  std::optional<Node> all = top.child("frameworks");
  if (!all) {
    top.node().at("frameworks").error("expected the frameworks' profiles");
    return std::nullopt;
  }
  ObjectReader fws(*all);
  for (std::string_view name : kFrameworkNames)  // every profile's name is a known key; a misspelt one is not
    if (std::optional<Node> entry = fws.child(name)) out.by_name.emplace(std::string(name), read_profile(*entry));
  fws.finish();
  top.finish();
  if (diag.items().size() != before) return std::nullopt;
  return out;
}

std::optional<SoftwareEra> era_of(const FrameworkProfiles& profiles, Framework framework, std::string_view date, Diagnostics& diag) {
  const std::string name = framework_name(effective_framework(framework));
  const auto it = profiles.by_name.find(name);
  if (it == profiles.by_name.end()) {
    diag.add(profiles.path, "/frameworks/" + name, "expected a profile for framework \"" + name + "\"");
    return std::nullopt;
  }
  SoftwareEra era;
  era.loaded = true;
  era.year = date_year(date);
  era.month = date_month(date);
  era.since = it->second;
  return era;
}

std::optional<SoftwareEra> software_era(const Catalog& catalog, Framework framework, std::string_view date, Diagnostics& diag) {
  const std::optional<FrameworkProfiles> profiles = load_framework_profiles(catalog, diag);
  if (!profiles) return std::nullopt;
  return era_of(*profiles, framework, date, diag);
}

}  // namespace trainplan
