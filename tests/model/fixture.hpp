// A model and a cluster from the catalogs with their default calibration, and a layer-cost
// context on them: the common ground of the model tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "model/calibration.hpp"
#include "model/cost/layer.hpp"
#include "model/params.hpp"
#include "model/spec/catalog.hpp"

namespace trainplan::test {

struct Fixture {
  Catalog catalog{CONFIG_DIR};
  ModelSpec model;
  ClusterSpec cluster;
  Calibration cal;
  Fixture(const std::string& model_key, const std::string& cluster_key) {
    Diagnostics d;
    Json mk = model_key, ck = cluster_key;
    model = read_model(Node{&mk, "", "", &d}, catalog);
    cluster = read_cluster(Node{&ck, "", "", &d}, catalog);
    cal = default_calibration(catalog, cluster.node.gpu, d);
    EXPECT_TRUE(d.ok());
  }
  // Micro-batch b of s tokens under TP t (with or without SP); unfused attention with dropout
  // (GPT as Korthikanti et al. measured it) unless `flash`.
  LayerContext ctx(int tp, bool sp, int b, int s, bool flash = false) const {
    LayerContext c;
    c.model = &model;
    c.cluster = &cluster;
    c.cal = &cal;
    c.micro_batch = b;
    c.seq = s;
    c.tp = tp;
    c.sp = sp;
    c.flash = flash;
    c.dropout = !flash;
    c.vocab = flash ? padded_vocab(model.vocab, tp) : model.vocab;
    return c;
  }
  // A job of this model on this cluster with a default plan (every knob 1 or off).
  JobSpec job(long long global_batch, int sequence_length) const {
    JobSpec j;
    j.model = model;
    j.cluster = cluster;
    j.training.global_batch = global_batch;
    j.training.sequence_length = sequence_length;
    return j;
  }
};

}  // namespace trainplan::test
