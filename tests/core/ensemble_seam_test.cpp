// The dynamics ensemble's phase 1 (MLE) on the backend seam: on the checked
// backend (device memory the host cannot touch) bit for bit equal to the CPU
// backend, with the transfers of a training round counted exactly; its sizes
// split into host and device; and the per-element bodies the CUDA kernels use
// (nn/element_math.hpp) against the vectorised CPU kernels the CPU backend runs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "checked_cpu_backend.hpp"
#include "usbpo/agent/device_store_mirror.hpp"
#include "usbpo/model/gaussian_ensemble.hpp"
#include "usbpo/model/w2_fine_tune.hpp"
#include "usbpo/nn/element_math.hpp"
#include "usbpo/nn/ops.hpp"

namespace usbpo {
namespace {

using testing_support::CheckedCpuBackend;

EnsembleConfig seam_config() {
  EnsembleConfig c;
  c.obs_dim = 3;
  c.act_dim = 2;
  c.members = 4;
  c.elites = 3;
  c.hidden_layers = 2;
  c.hidden_width = 24;
  c.batch = 32;
  c.max_samples = 300;
  c.max_epochs = 4;
  c.predict_chunk = 64;
  return c;
}

// An ensemble on the internal CPU backend, or on `backend` with its device block reserved.
struct EnsembleOn {
  std::vector<unsigned char> memory;
  Arena arena;
  GaussianEnsemble model;
  Status init(const EnsembleConfig& c, Backend* backend) {
    if (!backend) {
      memory.assign(GaussianEnsemble::bytes_needed(c), 0);
      arena = Arena(memory.data(), memory.size());
      Rng rng(7);
      return model.init(c, arena, rng);
    }
    memory.assign(GaussianEnsemble::host_bytes_needed(c, backend->device_is_host()), 0);
    arena = Arena(memory.data(), memory.size());
    USBPO_RETURN_IF_ERROR(backend->reserve_device(GaussianEnsemble::device_bytes_needed(c)));
    Rng rng(7);
    return model.init(c, *backend, arena, rng);
  }
};

// Transitions with a learnable structure: next = obs + 0.1 act-ish, reward = -|obs|^2.
struct Data {
  std::vector<Scalar> obs, act, reward, next;
  std::vector<int> slots;
  explicit Data(int n, std::uint64_t seed) : obs(3 * n), act(2 * n), reward(n), next(3 * n), slots(n) {
    Rng rng(seed);
    for (int i = 0; i < n; ++i) {
      slots[i] = i;
      for (int d = 0; d < 2; ++d) act[2 * i + d] = rng.uniform(-1, 1);
      Scalar sq = 0;
      for (int d = 0; d < 3; ++d) {
        const Scalar o = rng.normal();
        obs[3 * i + d] = o;
        next[3 * i + d] = o + 0.1f * act[2 * i + d % 2] + 0.01f * rng.normal();
        sq += o * o;
      }
      reward[i] = -sq;
    }
  }
  TransitionView view() const { return TransitionView{obs.data(), act.data(), reward.data(), next.data()}; }
};

bool same_bits(const void* a, const void* b, std::size_t bytes) { return std::memcmp(a, b, bytes) == 0; }

TEST(EnsembleSeam, SizesSplitIntoHostAndDevice) {
  const EnsembleConfig c = seam_config();
  // On the CPU host and device share one arena: the two parts add up to it (up to one line of padding).
  const std::size_t parts =
      GaussianEnsemble::device_bytes_needed(c, true) + GaussianEnsemble::host_bytes_needed(c, true);
  EXPECT_LE(GaussianEnsemble::bytes_needed(c), parts + Arena::kAlignment);
  EXPECT_LE(parts, GaussianEnsemble::bytes_needed(c) + Arena::kAlignment);
  // Elsewhere the host also holds the parameters' and Adam's mirror and the staging block.
  EXPECT_GT(GaussianEnsemble::host_bytes_needed(c, false), GaussianEnsemble::host_bytes_needed(c, true));
  EXPECT_GT(GaussianEnsemble::device_bytes_needed(c), 0u);
  // And the device holds the rollout workspace that host memory shares with sample() on the CPU.
  EXPECT_GT(GaussianEnsemble::device_bytes_needed(c, false) + GaussianEnsemble::host_bytes_needed(c, false),
            parts);
}

TEST(EnsembleSeam, TrainingOnTheCheckedBackendEqualsTheCpuBitForBitWithExactTransfers) {
  const EnsembleConfig c = seam_config();
  EnsembleOn cpu, dev;
  CheckedCpuBackend checked;
  ASSERT_TRUE(cpu.init(c, nullptr).is_ok());
  ASSERT_TRUE(dev.init(c, &checked).is_ok());
  ASSERT_TRUE(same_bits(cpu.model.params(), dev.model.params(), cpu.model.param_count() * sizeof(Scalar)));
  const int in = c.obs_dim + c.act_dim, width = in + c.obs_dim + 1;
  for (int round = 0; round < 2; ++round) {
    const Data data(250 + 40 * round, 10 + round);
    Rng ra(3 + round), rb(3 + round);
    EnsembleTrainReport a, b;
    checked.reset_counters();
    cpu.model.backend().reset_counters();
    ASSERT_TRUE(cpu.model.train(data.view(), data.slots.data(), 250 + 40 * round, ra, &a).is_ok());
    ASSERT_TRUE(dev.model.train(data.view(), data.slots.data(), 250 + 40 * round, rb, &b).is_ok());
    ASSERT_TRUE(same_bits(&a, &b, sizeof(a))) << "report of round " << round;
    ASSERT_TRUE(same_bits(cpu.model.params(), dev.model.params(), cpu.model.param_count() * sizeof(Scalar)))
        << "parameters after round " << round;
    EXPECT_TRUE(same_bits(cpu.model.last_holdout_mse(), dev.model.last_holdout_mse(), c.members * sizeof(Scalar)));
    EXPECT_TRUE(same_bits(cpu.model.elite_indices(), dev.model.elite_indices(), c.elites * sizeof(int)));
    EXPECT_EQ(ra.next_u64(), rb.next_u64());  // the same draws on the host
    // Transfers: the normaliser's mean and std; per epoch one upload per
    // minibatch (all members) and per holdout batch, one download (the
    // holdout errors); after the epochs the final ranking (its holdout
    // batches, one download), the last loss and the parameters.
    const int train_batches = (a.train_size + c.batch - 1) / c.batch;
    const int holdout_batches = (a.holdout_size + c.batch - 1) / c.batch;
    ASSERT_GE(a.epochs, 1);
    const std::int64_t uploads = 2 + static_cast<std::int64_t>(a.epochs) * (train_batches + holdout_batches) +
                                 holdout_batches;
    const std::int64_t upload_bytes =
        static_cast<std::int64_t>(sizeof(Scalar)) *
        (2 * in + (static_cast<std::int64_t>(a.epochs) * (c.members * a.train_size + a.holdout_size) +
                   a.holdout_size) * width);
    for (Backend* backend : {static_cast<Backend*>(&checked), &cpu.model.backend()}) {
      SCOPED_TRACE(backend->name());
      // (The CPU backend counts its mean and std uploads as none: they are its device memory already.)
      const std::int64_t normaliser = backend->device_is_host() ? 2 : 0;
      EXPECT_EQ(backend->counters().uploads, uploads - normaliser);
      EXPECT_EQ(backend->counters().upload_bytes,
                upload_bytes - normaliser * in * static_cast<std::int64_t>(sizeof(Scalar)));
      EXPECT_EQ(backend->counters().downloads, a.epochs + 3 - (backend->device_is_host() ? 1 : 0));
      EXPECT_EQ(backend->counters().synchronizations, 0);
    }
  }
  // Rollout prediction from the mirror, and the whole state after pull_state.
  const Data starts(100, 99);
  std::vector<Scalar> na(300), nb(300), rwa(100), rwb(100);
  Rng sa(5), sb(5);
  ASSERT_TRUE(cpu.model.sample(starts.obs.data(), starts.act.data(), 100, sa, na.data(), rwa.data()).is_ok());
  ASSERT_TRUE(dev.model.sample(starts.obs.data(), starts.act.data(), 100, sb, nb.data(), rwb.data()).is_ok());
  EXPECT_TRUE(na == nb);
  EXPECT_TRUE(rwa == rwb);
  cpu.model.pull_state();
  dev.model.pull_state();
  Adam& oa = cpu.model.optimizer();
  Adam& ob = dev.model.optimizer();
  EXPECT_EQ(oa.steps(), ob.steps());
  EXPECT_GT(oa.steps(), 0);
  EXPECT_TRUE(same_bits(oa.first_moment(), ob.first_moment(), oa.size() * sizeof(Scalar)));
  EXPECT_TRUE(same_bits(oa.second_moment(), ob.second_moment(), oa.size() * sizeof(Scalar)));
}

// Phase 1 from a replay store's device mirror (set_device_data: the slot
// order and each epoch's bootstrap order uploaded once, minibatches, holdout
// batches and the normaliser fit on the device) equals phase 1 from host
// gathers bit for bit, on the checked backend, with its transfers counted.
TEST(EnsembleSeam, TrainingFromAStoreMirrorEqualsHostGathersBitForBit) {
  const EnsembleConfig c = seam_config();
  const Data data(260, 12);
  ReplayConfig rc;
  rc.obs_dim = c.obs_dim;
  rc.act_dim = c.act_dim;
  rc.capacity = 300;
  EnsembleOn cpu;
  ASSERT_TRUE(cpu.init(c, nullptr).is_ok());
  CheckedCpuBackend checked;
  std::vector<unsigned char> memory(GaussianEnsemble::host_bytes_needed(c, false) + ReplayStore::bytes_needed(rc));
  Arena arena(memory.data(), memory.size());
  ASSERT_TRUE(checked.reserve_device(GaussianEnsemble::device_bytes_needed(c) +
                                     DeviceStoreMirror::device_bytes_needed(rc, false)).is_ok());
  Rng init(7);
  GaussianEnsemble dev;
  ASSERT_TRUE(dev.init(c, checked, arena, init).is_ok());
  ReplayStore store;
  ASSERT_TRUE(store.place(rc, arena).is_ok());
  std::vector<std::uint8_t> terminal(260, 0);
  ASSERT_TRUE(store.store_batch(260, data.obs.data(), data.act.data(), data.reward.data(), data.next.data(),
                                terminal.data(), 0)
                  .is_ok());
  DeviceStoreMirror mirror;
  ASSERT_TRUE(mirror.place(store, checked).is_ok());
  mirror.sync();
  dev.set_device_data(mirror.columns());
  Rng ra(3), rb(3);
  EnsembleTrainReport a, b;
  checked.reset_counters();
  ASSERT_TRUE(cpu.model.train(data.view(), data.slots.data(), 260, ra, &a).is_ok());
  // (The view is not read with device data: an empty one proves it.)
  ASSERT_TRUE(dev.train(TransitionView(), data.slots.data(), 260, rb, &b).is_ok());
  ASSERT_TRUE(same_bits(&a, &b, sizeof(a)));
  ASSERT_GE(a.epochs, 2);
  EXPECT_TRUE(same_bits(cpu.model.params(), dev.params(), dev.param_count() * sizeof(Scalar)));
  EXPECT_TRUE(same_bits(cpu.model.elite_indices(), dev.elite_indices(), c.elites * sizeof(int)));
  EXPECT_EQ(ra.next_u64(), rb.next_u64());
  // Uploads: the slot order, then one bootstrap order per epoch; downloads:
  // the holdout errors per epoch, the final ranking's, the last loss and the parameters.
  EXPECT_EQ(checked.counters().uploads, 1 + a.epochs);
  EXPECT_EQ(checked.counters().downloads, a.epochs + 3);
  // The normaliser fitted on the device reaches the host mirror with the state.
  dev.pull_state();
  const int in = c.obs_dim + c.act_dim;
  EXPECT_TRUE(same_bits(cpu.model.normalizer().mean(), dev.normalizer().mean(), in * sizeof(Scalar)));
  EXPECT_TRUE(same_bits(cpu.model.normalizer().std(), dev.normalizer().std(), in * sizeof(Scalar)));
  EXPECT_TRUE(same_bits(cpu.model.normalizer().inv_std(), dev.normalizer().inv_std(), in * sizeof(Scalar)));
  // Re-ranking on the holdout split from the device equals the host's ranking.
  const Scalar host_rank = cpu.model.rank_elites(data.view(), cpu.model.holdout_slots(), cpu.model.holdout_size());
  EXPECT_EQ(dev.rank_elites_on_holdout(), host_rank);
}

TEST(EnsembleSeam, PushedParametersAreWhatTheDeviceTrainsOn) {
  // Phase 2 changes the mirror on the host and pushes it; a holdout MSE on the
  // device must then see the pushed parameters, as the CPU does.
  const EnsembleConfig c = seam_config();
  EnsembleOn cpu, dev;
  CheckedCpuBackend checked;
  ASSERT_TRUE(cpu.init(c, nullptr).is_ok());
  ASSERT_TRUE(dev.init(c, &checked).is_ok());
  const Data data(200, 3);
  Rng ra(1), rb(1);
  ASSERT_TRUE(cpu.model.train(data.view(), data.slots.data(), 200, ra, nullptr).is_ok());
  ASSERT_TRUE(dev.model.train(data.view(), data.slots.data(), 200, rb, nullptr).is_ok());
  for (GaussianEnsemble* m : {&cpu.model, &dev.model}) {
    for (std::size_t i = 0; i < m->network().total_params(); i += 7) m->params()[i] *= 0.5f;
    m->push_params();
  }
  std::vector<Scalar> ma(c.members), mb(c.members);
  cpu.model.holdout_mse(data.view(), data.slots.data(), 200, ma.data());
  dev.model.holdout_mse(data.view(), data.slots.data(), 200, mb.data());
  EXPECT_TRUE(ma == mb);
}

TEST(EnsembleSeam, ElementBodiesMatchTheVectorisedNllKernel) {
  // The CUDA kernels compute MBPO's NLL per element (element::gaussian_nll_term);
  // the CPU backend runs the vectorised kernel. Same math, within float rounding.
  const int out = 5, n = 40;
  Rng rng(11);
  std::vector<Scalar> output(2 * out * n), target(out * n), max_lv(out), min_lv(out);
  for (auto& x : output) x = 3 * rng.normal();
  for (auto& x : target) x = rng.normal();
  for (int d = 0; d < out; ++d) {
    max_lv[d] = 0.5f + 0.1f * d;
    min_lv[d] = -3.0f - 0.5f * d;
  }
  const Scalar scale = 1.0f / (out * n);
  std::vector<Scalar> d_output(2 * out * n), scratch(5 * out * n), d_max(out, 0.0f), d_min(out, 0.0f);
  const double loss = ops::gaussian_nll(output.data(), target.data(), max_lv.data(), min_lv.data(), out, n, scale,
                                        d_output.data(), d_max.data(), d_min.data(), scratch.data());
  std::vector<Scalar> logvar(out * n);
  ops::soft_clamp_logvar(output.data(), max_lv.data(), min_lv.data(), out, n, logvar.data());
  double total = 0;
  std::vector<double> e_max(out, 0.0), e_min(out, 0.0);
  for (int i = 0; i < n; ++i) {
    for (int d = 0; d < out; ++d) {
      const Scalar* col = output.data() + 2 * out * i;
      float d_mu, d_raw, s_max, s_min;
      total += element::gaussian_nll_term(col[d], col[out + d], target[out * i + d], max_lv[d], min_lv[d], scale,
                                          &d_mu, &d_raw, &s_max, &s_min);
      e_max[d] += s_max;
      e_min[d] += s_min;
      const float lv = element::soft_clamp_logvar(col[out + d], max_lv[d], min_lv[d], nullptr, nullptr);
      EXPECT_NEAR(lv, logvar[out * i + d], 1e-5f * (1 + std::fabs(lv)));
      EXPECT_NEAR(d_mu, d_output[2 * out * i + d], 1e-5f * (1 + std::fabs(d_mu)));
      EXPECT_NEAR(d_raw, d_output[2 * out * i + out + d], 1e-5f * (1 + std::fabs(d_raw)));
    }
  }
  EXPECT_NEAR(total, loss, 1e-5 * std::fabs(loss));
  for (int d = 0; d < out; ++d) {
    EXPECT_NEAR(e_max[d], d_max[d], 1e-5 * (1 + std::fabs(e_max[d])));
    EXPECT_NEAR(e_min[d], d_min[d], 1e-5 * (1 + std::fabs(e_min[d])));
  }
  EXPECT_GT(loss, 0.0);
}

TEST(EnsembleSeam, PhaseTwoOnTheCheckedBackendEqualsTheCpuBitForBitWithExactTransfers) {
  EnsembleConfig c = seam_config();
  W2FineTuneConfig w;
  w.batch = 40;
  w.max_steps = 6;
  w.patience = 2;
  CheckedCpuBackend checked;
  ASSERT_TRUE(checked
                  .reserve_device(GaussianEnsemble::device_bytes_needed(c) + W2FineTune::device_bytes_needed(w, c))
                  .is_ok());
  std::vector<unsigned char> cpu_memory(GaussianEnsemble::bytes_needed(c) + W2FineTune::bytes_needed(w, c));
  std::vector<unsigned char> dev_memory(GaussianEnsemble::host_bytes_needed(c, false) +
                                        W2FineTune::host_bytes_needed(w, c, false));
  Arena cpu_arena(cpu_memory.data(), cpu_memory.size()), dev_arena(dev_memory.data(), dev_memory.size());
  GaussianEnsemble cpu, dev;
  W2FineTune cpu_w2, dev_w2;
  Rng ia(3), ib(3);
  ASSERT_TRUE(cpu.init(c, cpu_arena, ia).is_ok());
  ASSERT_TRUE(dev.init(c, checked, dev_arena, ib).is_ok());
  ASSERT_TRUE(cpu_w2.init(w, cpu, cpu_arena).is_ok());
  ASSERT_TRUE(dev_w2.init(w, dev, dev_arena).is_ok());
  // M1, then an MLE round makes M2.
  cpu_w2.backup(cpu);
  dev_w2.backup(dev);
  const Data data(200, 4);
  Rng ra(1), rb(1);
  ASSERT_TRUE(cpu.train(data.view(), data.slots.data(), 200, ra, nullptr).is_ok());
  ASSERT_TRUE(dev.train(data.view(), data.slots.data(), 200, rb, nullptr).is_ok());
  const Data batches(w.batch * 8, 5);
  std::vector<int> k1(w.batch), k2(w.batch);
  cpu_w2.draw_members(w.batch, ra, k1.data(), k2.data());
  rb = ra;
  const W2Batch validation{data.obs.data(), data.act.data(), k1.data(), k2.data(), w.batch};
  int next_a = 0, next_b = 0;
  auto sampler = [&](int* next) {
    return [&batches, &w, next](W2Batch* out) {
      const std::size_t first = static_cast<std::size_t>(*next % 8) * w.batch;
      *next += 1;
      *out = W2Batch{batches.obs.data() + 3 * first, batches.act.data() + 2 * first, nullptr, nullptr, w.batch};
      return Status::ok();
    };
  };
  W2Report a, b;
  checked.reset_counters();
  ASSERT_TRUE(cpu_w2.run(cpu, sampler(&next_a), validation, ra, &a).is_ok());
  ASSERT_TRUE(dev_w2.run(dev, sampler(&next_b), validation, rb, &b).is_ok());
  ASSERT_GE(a.steps, 1);
  EXPECT_TRUE(same_bits(&a, &b, sizeof(W2Report)));
  EXPECT_TRUE(same_bits(cpu.params(), dev.params(), cpu.param_count() * sizeof(Scalar)));
  // Each objective uploads its columns and draws; each validation downloads
  // J; the parameters are pulled at the end.
  EXPECT_EQ(checked.counters().uploads, 2 + 4 * b.steps);
  EXPECT_EQ(checked.counters().downloads, 1 + b.steps + 1);
  EXPECT_EQ(checked.counters().synchronizations, 0);
  // Phase 2's Adam and M1 through the host mirror.
  dev_w2.pull_state();
  EXPECT_EQ(cpu_w2.optimizer().steps(), dev_w2.optimizer().steps());
  EXPECT_TRUE(same_bits(cpu_w2.optimizer().first_moment(), dev_w2.optimizer().first_moment(),
                        cpu_w2.optimizer().size() * sizeof(Scalar)));
}

TEST(EnsembleSeam, W2ElementBodyMatchesTheCpuKernel) {
  // The CUDA kernels of phase 2 run element::w2_diag_gaussian; the CPU backend
  // runs ops::w2_diag_gaussian (the kernel table). Same FP64 arithmetic.
  Rng rng(12);
  const int d = 6;
  std::vector<Scalar> mu_p(d), sd_p(d), mu_q(d), sd_q(d);
  for (int k = 0; k < d; ++k) {
    mu_p[k] = rng.normal(), mu_q[k] = rng.normal();
    sd_p[k] = 0.1f + std::fabs(rng.normal()), sd_q[k] = 0.1f + std::fabs(rng.normal());
  }
  std::vector<Scalar> g1(4 * d, 0.5f), g2(4 * d, 0.5f);
  const double a = ops::w2_diag_gaussian(mu_p.data(), sd_p.data(), mu_q.data(), sd_q.data(), d, 1e-8f, 0.3f,
                                         g1.data(), g1.data() + d, g1.data() + 2 * d, g1.data() + 3 * d);
  const double b = element::w2_diag_gaussian(mu_p.data(), sd_p.data(), mu_q.data(), sd_q.data(), d, 1e-8f, 0.3f,
                                             g2.data(), g2.data() + d, g2.data() + 2 * d, g2.data() + 3 * d);
  EXPECT_NEAR(a, b, 1e-12 * a);
  for (int k = 0; k < 4 * d; ++k) EXPECT_NEAR(g1[k], g2[k], 1e-6f) << k;
  EXPECT_GT(a, 0.0);
}

}  // namespace
}  // namespace usbpo
