// Specs back to JSON: the keys model/spec/catalog.cpp reads (read_model, read_training, read_plan),
// every plan knob written explicitly so that reading the JSON back gives the same spec. Used by
// `trainplan import` (a job file), the planner's report and the sweep (each plan's "plan" object).
//
//   Json j{{"model", model_to_json(m)}, {"training", training_to_json(t)}, {"plan", plan_to_json(p)}};
#pragma once

#include "model/json_reader.hpp"
#include "model/spec/job.hpp"

namespace trainplan {

Json model_to_json(const ModelSpec& m);
Json training_to_json(const TrainingSpec& t);
Json plan_to_json(const PlanSpec& p);  // every knob of kPlanKnobs at its path (plan_knobs.hpp)
// The JSON pointer of a '/'-separated key path ("offload/params/fraction"), for writing a knob
// at its KnobDecl::path.
Json::json_pointer path_pointer(std::string_view path);
// One knob's value as the job JSON spells it: an integer, a boolean, a name or a rounded fraction.
Json knob_json(const KnobDecl& k, const PlanSpec& p);

}  // namespace trainplan
