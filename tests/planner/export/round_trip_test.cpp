// Export then import gives back the same PlanSpec, per format that has an importer, for every
// example job the format can express; the imported job also loads as a job file.
#include <filesystem>
#include <fstream>

#include "export_test_support.hpp"

namespace trainplan::exporter {
namespace {

using testing::load_example;

ImportOptions options_for(const JobSpec& job) {
  ImportOptions opt;
  opt.cluster = job.cluster.key;
  opt.gpus_per_node = job.cluster.node.gpus_per_node;
  return opt;
}

// Writes the imported job and reads it back as every command does.
std::optional<JobSpec> reload(const ImportedJob& imported, const ImportOptions& opt, const std::string& name) {
  const std::string path = ::testing::TempDir() + "round_trip_" + name + ".json";
  {
    std::ofstream out(path);
    out << job_to_json(imported, opt).dump(2);
  }
  Diagnostics diag;
  auto job = load_job_file(path, Catalog(CONFIG_DIR), diag);
  for (const auto& d : diag.items()) ADD_FAILURE() << d.to_string();
  return job;
}

TEST(RoundTrip, MegatronPlanSurvivesExportAndImport) {
  int checked = 0;
  for (const auto& name : testing::example_jobs()) {
    JobSpec job = load_example(name);
    ExportResult r = export_megatron(job);
    if (r.refused()) continue;
    ImportOptions opt = options_for(job);
    ImportResult back = import_megatron({{"train.sh", r.find_file("train.sh")->content}}, opt);
    ASSERT_TRUE(back.ok()) << name << ": " << (back.errors.empty() ? "" : back.errors.front());
    EXPECT_EQ(back.job->plan, job.plan) << name;
    EXPECT_EQ(back.job->world, job.plan.gpus()) << name;
    // What the model computes beyond its shape: RoPE base and rescaling, the router's score and loss.
    ASSERT_TRUE(back.job->model) << name;
    EXPECT_EQ(back.job->model->rope, job.model.rope) << name;
    if (job.model.moe) {
      EXPECT_EQ(back.job->model->moe->score, job.model.moe->score) << name;
      EXPECT_DOUBLE_EQ(back.job->model->moe->aux_loss_coeff, job.model.moe->aux_loss_coeff) << name;
    }
    auto reloaded = reload(*back.job, opt, name + "_megatron");
    ASSERT_TRUE(reloaded) << name;
    EXPECT_EQ(reloaded->plan, job.plan) << name;
    EXPECT_EQ(reloaded->training.global_batch, job.training.global_batch) << name;
    EXPECT_EQ(reloaded->training.sequence_length, job.training.sequence_length) << name;
    EXPECT_EQ(reloaded->training.precision, job.training.precision) << name;
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

TEST(RoundTrip, DeepSpeedPlanSurvivesExportAndImport) {
  int checked = 0;
  // The examples, each also without its full recompute (DeepSpeed refuses the recompute a plan's
  // memory depends on), and one ZeRO-3 plan that fits without its recompute, which DeepSpeed writes.
  std::vector<std::pair<std::string, JobSpec>> jobs;
  for (const auto& name : testing::example_jobs()) {
    JobSpec job = load_example(name);
    jobs.emplace_back(name, job);
    if (job.plan.recompute != Recompute::kFull) continue;
    job.plan.recompute = Recompute::kNone;
    job.plan.activation_offload = {};
    jobs.emplace_back(name + "-no-recompute", job);
  }
  JobSpec short_sequence = load_example("llama3-8b-fsdp-a100-32");
  short_sequence.plan.fsdp = Fsdp::kNone;
  short_sequence.plan.zero = 3;
  short_sequence.training.sequence_length = 1024;
  short_sequence.training.global_batch = 64;
  jobs.emplace_back("llama3-8b-zero3-recompute-seq1024", short_sequence);
  for (const auto& [name, job] : jobs) {
    if (job.plan.fsdp == Fsdp::kFullShard) continue;  // written as ZeRO-3: the same plan under another name
    ExportResult r = export_deepspeed(job);
    if (r.refused()) continue;
    ImportOptions opt = options_for(job);
    opt.model = Json(job.model.key);
    std::vector<InputFile> files;
    for (const auto& f : r.files) files.push_back({f.name, f.content});
    ImportResult back = import_deepspeed(files, opt);
    ASSERT_TRUE(back.ok()) << name << ": " << (back.errors.empty() ? "" : back.errors.front());
    EXPECT_EQ(back.job->plan, job.plan) << name;
    auto reloaded = reload(*back.job, opt, name + "_deepspeed");
    ASSERT_TRUE(reloaded) << name;
    EXPECT_EQ(reloaded->plan, job.plan) << name;
    EXPECT_EQ(reloaded->model, job.model) << name;
    ++checked;
  }
  EXPECT_GE(checked, 4);
}

TEST(RoundTrip, MegatronKnobVariants) {
  // Knobs the examples leave at their defaults.
  JobSpec base = load_example("gpt3-175b-a100-1024");
  std::vector<PlanSpec> variants;
  PlanSpec p = base.plan;
  p.optimizer_offload = {OffloadDevice::kCpu, 0.25};
  p.grad_reduce_bf16 = true;
  p.attention = AttentionBackend::kFlash;
  variants.push_back(p);
  p = base.plan;
  p.overlap_grad_reduce = false;
  p.overlap_param_gather = true;  // not applicable without grad overlap: the default comes back
  p.tp_comm_overlap = true;
  p.recompute = Recompute::kFull;
  p.recompute_layers = 4;
  variants.push_back(p);
  p = base.plan;
  p.zero = 3;  // Megatron-FSDP optim_grads_params
  p.overlap_param_gather = false;
  variants.push_back(p);
  p = base.plan;
  p.param_remainders = true;  // --use-precision-aware-optimizer
  variants.push_back(p);
  for (const PlanSpec& v : variants) {
    JobSpec job = base;
    job.plan = v;
    ExportResult r = export_megatron(job);
    ASSERT_FALSE(r.refused()) << r.reasons.front();
    ImportResult back = import_megatron({{"args", r.find_file("megatron_args.txt")->content}}, [&] {
      ImportOptions o;
      o.gpus = job.plan.gpus();
      return o;
    }());
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back.job->plan, job.plan);
  }
}

// A launch script names no framework, version or date (it is the framework's own file): what the
// importer reads is compared without them.
// A named framework's engine defaults (overlapped gradient reduction and parameter gather, backward
// TP overlap: catalog.hpp apply_framework_defaults) are not in the files either: the importer reads
// the assumed framework's. Compared without them for a job that names another framework.
PlanSpec without_engine_defaults(PlanSpec p, const TrainingSpec& t) {
  if (t.framework == Framework::kUnstated) return p;
  p.overlap_grad_reduce = p.overlap_param_gather = p.tp_grad_overlap = true;
  return p;
}

TrainingSpec without_software(TrainingSpec t) {
  t.framework = Framework::kUnstated;
  t.framework_version.clear();
  t.date.clear();
  t.era = SoftwareEra{};
  return t;
}

// The README's examples (configs/examples, the plan problems and sweeps left out), through each
// format with an importer that writes them: the imported job is the example's job, model included
// (Megatron carries the shape in its flags; DeepSpeed has no model and is given the catalog key).
TEST(RoundTrip, EveryReadmeExampleComesBackAsTheSameJob) {
  int megatron = 0, deepspeed = 0;  // jobs compared per format
  for (const auto& entry : std::filesystem::directory_iterator(std::string(CONFIG_DIR) + "/examples")) {
    const std::string name = entry.path().stem().string();
    if (entry.path().extension() != ".json" || name.ends_with("-plan") || name.find("sweep") != std::string::npos) continue;
    Diagnostics diag;
    auto loaded = load_job_file(entry.path().string(), Catalog(CONFIG_DIR), diag);
    ASSERT_TRUE(loaded) << name;
    const JobSpec& job = *loaded;
    const ImportOptions opt = options_for(job);
    if (ExportResult r = export_megatron(job); !r.refused()) {
      ImportResult back = import_megatron({{"train.sh", r.find_file("train.sh")->content}}, opt);
      ASSERT_TRUE(back.ok()) << name << ": " << (back.errors.empty() ? "" : back.errors.front());
      auto reloaded = reload(*back.job, opt, name + "_readme_megatron");
      ASSERT_TRUE(reloaded) << name;
      ModelSpec model = reloaded->model;
      model.key = job.model.key;  // the importer names the model it reads "imported"
      model.name = job.model.name;
      EXPECT_EQ(model, job.model) << name;
      EXPECT_EQ(without_engine_defaults(reloaded->plan, job.training), without_engine_defaults(job.plan, job.training)) << name;
      EXPECT_EQ(without_software(reloaded->training), without_software(job.training)) << name;
      EXPECT_EQ(reloaded->plan.gpus(), job.plan.gpus()) << name;
      ++megatron;
    }
    if (ExportResult r = export_deepspeed(job); !r.refused()) {
      ImportOptions with_model = opt;
      with_model.model = Json(job.model.key);
      std::vector<InputFile> files;
      for (const auto& f : r.files) files.push_back({f.name, f.content});
      ImportResult back = import_deepspeed(files, with_model);
      ASSERT_TRUE(back.ok()) << name << ": " << (back.errors.empty() ? "" : back.errors.front());
      auto reloaded = reload(*back.job, with_model, name + "_readme_deepspeed");
      ASSERT_TRUE(reloaded) << name;
      PlanSpec expected = job.plan;
      if (expected.fsdp == Fsdp::kFullShard) {  // written as ZeRO-3: the same sharding under DeepSpeed's name
        expected.fsdp = Fsdp::kNone;
        expected.zero = 3;
      }
      EXPECT_EQ(without_engine_defaults(reloaded->plan, job.training), without_engine_defaults(expected, job.training)) << name;
      EXPECT_EQ(without_software(reloaded->training), without_software(job.training)) << name;
      ++deepspeed;
    }
  }
  EXPECT_GE(megatron, 5);
  // DeepSpeed writes none of the README examples today (each needs the activation checkpointing a
  // launch cannot guarantee, or tp + SP, fp8, EP, interleaving): RoundTrip.DeepSpeedPlanSurvivesExportAndImport
  // covers it on the examples without their recompute.
  (void)deepspeed;
}

}  // namespace
}  // namespace trainplan::exporter
