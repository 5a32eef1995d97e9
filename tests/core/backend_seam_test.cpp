// The backend seam (nn/backend.hpp, nn/cpu_backend.hpp): the CPU backend's SAC
// ops against their formulas; SAC and the trainer on the checked backend (device
// memory the host cannot touch) bit for bit equal to the CPU backend; the
// transfers per update, per act and per env step, counted exactly; and one
// captured SAC update replayed like a CUDA graph equal to direct updates.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "checked_cpu_backend.hpp"
#include "recording_backend.hpp"
#include "test_backend.hpp"
#include "usbpo/nn/cpu_backend.hpp"
#include "usbpo/nn/ops.hpp"
#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/trainer.hpp"

namespace usbpo {
namespace {

using testing_support::CheckedCpuBackend;
using testing_support::RecordingBackend;
using testing_support::SacOnBackend;

TEST(CpuBackend, SacOpsFollowTheirFormulas) {
  CpuBackend b;
  const int n = 5;
  const Scalar q1[n] = {1.0f, -2.0f, 0.5f, 3.0f, 0.0f}, q2[n] = {0.5f, -1.0f, 0.7f, 2.0f, 0.0f};
  const Scalar log_pi[n] = {-1.0f, 0.5f, 2.0f, -0.25f, 1.0f}, reward[n] = {1, 2, 3, 4, 5}, not_done[n] = {1, 1, 0, 1, 1};
  const Scalar log_alpha = std::log(0.2f), gamma = 0.9f;
  Scalar y[n], dq1[n], dq2[n];
  b.sac_td_target(q1, q2, log_pi, reward, not_done, &log_alpha, gamma, n, y);
  for (int i = 0; i < n; ++i) {
    const double soft = std::min(q1[i], q2[i]) - 0.2 * log_pi[i];
    EXPECT_NEAR(y[i], reward[i] + 0.9 * not_done[i] * soft, 1e-5) << i;
  }
  double loss = 0, expected = 0;
  b.sac_critic_loss(q1, q2, y, n, dq1, dq2, &loss);
  for (int i = 0; i < n; ++i) {
    expected += 0.5 * ((q1[i] - y[i]) * (q1[i] - y[i]) + (q2[i] - y[i]) * (q2[i] - y[i])) / n;
    EXPECT_FLOAT_EQ(dq1[i], (q1[i] - y[i]) / n);
    EXPECT_FLOAT_EQ(dq2[i], (q2[i] - y[i]) / n);
  }
  EXPECT_NEAR(loss, expected, 1e-6);
  int argmin[n];
  double actor_loss = 0, sum_log_pi = 0, expected_actor = 0;
  b.sac_actor_min_q(q1, q2, log_pi, &log_alpha, n, argmin, dq1, dq2, &actor_loss, &sum_log_pi);
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(argmin[i], q2[i] < q1[i] ? 1 : 0);
    EXPECT_EQ(dq1[i] + dq2[i], 1.0f);  // one-hot on the critic holding the minimum
    EXPECT_EQ(dq2[i], argmin[i] == 1 ? 1.0f : 0.0f);
    expected_actor += (0.2 * log_pi[i] - std::min(q1[i], q2[i])) / n;
  }
  EXPECT_NEAR(actor_loss, expected_actor, 1e-6);
  EXPECT_DOUBLE_EQ(sum_log_pi, 2.25);
  Scalar alpha_grad = 0;
  double alpha_loss = 0;
  b.sac_alpha_grad(&sum_log_pi, n, -1.0f, &log_alpha, &alpha_grad, &alpha_loss);
  EXPECT_FLOAT_EQ(alpha_grad, -(2.25f / 5 - 1.0f));
  EXPECT_NEAR(alpha_loss, -std::log(0.2) * (2.25 / 5 - 1.0), 1e-6);
  double total = 0;
  b.sum(q1, n, &total);
  EXPECT_DOUBLE_EQ(total, 2.5);
  // [obs; act] stacking, the action-gradient rows of the critic holding the minimum, tanh of the mean.
  const Scalar top[4] = {1, 2, 3, 4}, bottom[2] = {9, 8};
  Scalar stacked[6];
  b.stack_rows(top, 2, bottom, 1, 2, stacked);
  EXPECT_EQ(std::vector<Scalar>(stacked, stacked + 6), (std::vector<Scalar>{1, 2, 9, 3, 4, 8}));
  const Scalar g0[6] = {0, 0, 10, 0, 0, 11}, g1[6] = {0, 0, 20, 0, 0, 21};
  const int pick[2] = {1, 0};
  Scalar dq_da[2];
  b.select_action_grad(g0, g1, pick, 3, 2, 1, 2, dq_da);
  EXPECT_EQ(dq_da[0], 20);
  EXPECT_EQ(dq_da[1], 11);
  const Scalar output[4] = {0.5f, 3.0f, -1.0f, 3.0f};  // (2 act x n), act 1: mean rows 0.5 and -1
  Scalar action[2];
  b.tanh_mean(output, 1, 2, action);
  EXPECT_FLOAT_EQ(action[0], std::tanh(0.5f));
  EXPECT_FLOAT_EQ(action[1], std::tanh(-1.0f));
  // No graphs on the CPU: callers run the ops themselves.
  EXPECT_EQ(b.begin_capture(0).code(), StatusCode::kUnimplemented);
}

TEST(CpuBackend, AdamCountsItsStepInMemoryAndMatchesTheAdamClass) {
  CpuBackend b;
  std::vector<unsigned char> memory(Adam::bytes_needed(40));
  Arena arena(memory.data(), memory.size());
  Adam adam;
  AdamConfig config;
  config.learning_rate = 0.01f;
  ASSERT_TRUE(adam.place(40, config, arena).is_ok());
  std::vector<Scalar> theta(40), grad(40), m(40, 0.0f), v(40, 0.0f);
  Rng rng(3);
  for (int i = 0; i < 40; ++i) theta[i] = rng.normal(), grad[i] = rng.normal();
  std::vector<Scalar> reference = theta;
  std::int64_t step = 0;
  for (int t = 0; t < 3; ++t) {
    b.adam(theta.data(), grad.data(), m.data(), v.data(), 40, config, nullptr, 0, &step);
    adam.step(reference.data(), grad.data());
  }
  EXPECT_EQ(step, 3);
  EXPECT_EQ(std::memcmp(theta.data(), reference.data(), theta.size() * sizeof(Scalar)), 0);
  EXPECT_EQ(std::memcmp(m.data(), adam.first_moment(), m.size() * sizeof(Scalar)), 0);
}

SacConfig hopper_like() {
  SacConfig c;
  c.obs_dim = 11;
  c.act_dim = 3;
  c.hidden_width = 64;
  c.batch = 128;
  return c;
}

void fill_batch(Sac& sac, Rng& rng) {
  const SacConfig& c = sac.config();
  SacBatch& b = sac.batch();
  for (int i = 0; i < c.batch * c.obs_dim; ++i) b.obs[i] = rng.normal(), b.next_obs[i] = rng.normal();
  for (int i = 0; i < c.batch * c.act_dim; ++i) b.act[i] = rng.uniform(-1, 1);
  for (int i = 0; i < c.batch; ++i) b.reward[i] = rng.normal(), b.not_done[i] = i % 7 ? 1.0f : 0.0f;
}

// A Sac on the internal CPU backend, in memory of its own.
struct CpuSac {
  std::vector<unsigned char> memory;
  Arena arena;
  Sac sac;
  CpuSac(const SacConfig& c, std::uint64_t seed) : memory(Sac::bytes_needed(c)), arena(memory.data(), memory.size()) {
    Rng rng(seed);
    EXPECT_TRUE(sac.init(c, arena, rng).is_ok());
  }
};

bool same_bits(const void* a, const void* b, std::size_t bytes) { return std::memcmp(a, b, bytes) == 0; }

// Every array of both Sacs' state, compared bit for bit through their mirrors.
void expect_same_state(Sac& a, Sac& b) {
  a.pull_state();
  b.pull_state();
  const std::size_t actor = a.actor_network().total_params() * sizeof(Scalar);
  const std::size_t critic = a.critic_network().total_params() * sizeof(Scalar);
  EXPECT_TRUE(same_bits(a.actor_params(), b.actor_params(), actor));
  EXPECT_TRUE(same_bits(a.critic_params(), b.critic_params(), critic));
  EXPECT_TRUE(same_bits(a.target_critic_params(), b.target_critic_params(), critic));
  EXPECT_TRUE(same_bits(&a.log_alpha(), &b.log_alpha(), sizeof(Scalar)));
}

TEST(BackendSeam, SacOnTheCheckedBackendEqualsTheCpuBitForBit) {
  const SacConfig c = hopper_like();
  CpuSac cpu(c, 1);
  CheckedCpuBackend checked;
  SacOnBackend dev;
  Rng init(1);
  ASSERT_TRUE(dev.init(c, init, &checked).is_ok());
  Rng ra(2), rb(2);
  for (int t = 0; t < 20; ++t) {
    fill_batch(cpu.sac, ra);
    fill_batch(dev.sac, rb);
    SacStats sa, sb;
    ASSERT_TRUE(cpu.sac.update(ra, &sa).is_ok());
    ASSERT_TRUE(dev.sac.update(rb, &sb).is_ok());
    ASSERT_TRUE(same_bits(&sa, &sb, sizeof(SacStats))) << "statistics of update " << t;
  }
  expect_same_state(cpu.sac, dev.sac);
  // Acting: one stochastic, one deterministic, and 300 observations in three chunks.
  std::vector<Scalar> obs(11 * 300), a(3 * 300), b(3 * 300);
  for (Scalar& o : obs) o = ra.normal();
  rb = ra;
  for (bool deterministic : {false, true}) {
    ASSERT_TRUE(cpu.sac.act(obs.data(), a.data(), deterministic, &ra).is_ok());
    ASSERT_TRUE(dev.sac.act(obs.data(), b.data(), deterministic, &rb).is_ok());
    EXPECT_TRUE(same_bits(a.data(), b.data(), 3 * sizeof(Scalar)));
  }
  ASSERT_TRUE(cpu.sac.act_batch(obs.data(), 300, a.data(), false, &ra).is_ok());
  ASSERT_TRUE(dev.sac.act_batch(obs.data(), 300, b.data(), false, &rb).is_ok());
  EXPECT_TRUE(same_bits(a.data(), b.data(), a.size() * sizeof(Scalar)));
}

// (The same counts on the CPU backend, where the transfers copy nothing.)
void expect_sac_transfer_counts(Sac& sac) {
  const SacConfig& c = sac.config();
  Backend& b = sac.backend();
  Rng rng(4);
  fill_batch(sac, rng);
  b.reset_counters();
  ASSERT_TRUE(sac.update(rng, nullptr).is_ok());
  EXPECT_EQ(b.counters().uploads, 1);  // the batch with both noise blocks
  EXPECT_EQ(b.counters().downloads, 0);
  // obs, act, reward, next_obs, not_done and two noise blocks (at batch 128 every part fills whole 64-byte lines).
  EXPECT_EQ(b.counters().upload_bytes,
            static_cast<std::int64_t>(sizeof(Scalar)) * c.batch * (2 * c.obs_dim + 3 * c.act_dim + 2));
  EXPECT_EQ(b.counters().synchronizations, 0);
  b.reset_counters();
  SacStats stats;
  ASSERT_TRUE(sac.update(rng, &stats).is_ok());
  EXPECT_EQ(b.counters().uploads, 1);
  EXPECT_EQ(b.counters().downloads, 1);  // the statistics, asked for
  EXPECT_LE(b.counters().download_bytes, 128);
  std::vector<Scalar> obs(11 * 300, 0.1f), actions(3 * 300);
  b.reset_counters();
  ASSERT_TRUE(sac.act(obs.data(), actions.data(), false, &rng).is_ok());
  EXPECT_EQ(b.counters().uploads, 1);  // the observation with its noise
  EXPECT_EQ(b.counters().downloads, 1);  // the action
  EXPECT_EQ(b.counters().download_bytes, static_cast<std::int64_t>(3 * sizeof(Scalar)));
  b.reset_counters();
  ASSERT_TRUE(sac.act_batch(obs.data(), 300, actions.data(), false, &rng).is_ok());
  EXPECT_EQ(b.counters().uploads, 3);  // chunks of the batch size 128: 128 + 128 + 44
  EXPECT_EQ(b.counters().downloads, 3);
}

TEST(BackendSeam, SacSizesSplitIntoHostAndDevice) {
  const SacConfig c = hopper_like();
  // On the CPU the device memory is the host arena: nothing more on the host.
  EXPECT_EQ(Sac::host_bytes_needed(c, true), 0u);
  EXPECT_EQ(Sac::bytes_needed(c), Sac::device_bytes_needed(c));
  // Elsewhere the host holds the staging and a mirror of the state, less than the device.
  EXPECT_GT(Sac::host_bytes_needed(c, false), 0u);
  EXPECT_LT(Sac::host_bytes_needed(c, false), Sac::device_bytes_needed(c));
}

TEST(BackendSeam, TransfersPerUpdateAndPerActAreCounted) {
  const SacConfig c = hopper_like();
  CheckedCpuBackend checked;
  SacOnBackend dev;
  Rng init(1);
  ASSERT_TRUE(dev.init(c, init, &checked).is_ok());
  expect_sac_transfer_counts(dev.sac);
  CpuSac cpu(c, 1);
  expect_sac_transfer_counts(cpu.sac);
}

TEST(BackendSeamDeathTest, HostAccessToCheckedDeviceMemoryCrashes) {
#if defined(USBPO_TESTS_UNDER_EMULATOR)
  GTEST_FLAG_SET(death_test_style, "fast");
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");
#endif
  const SacConfig c = hopper_like();
  CheckedCpuBackend checked;
  SacOnBackend dev;
  Rng init(1);
  ASSERT_TRUE(dev.init(c, init, &checked).is_ok());
  const volatile Scalar* device = dev.sac.device_critic_grads();
  EXPECT_DEATH(std::printf("%f\n", static_cast<double>(device[0])), "");
  // The download path is the way (it reads zeros here: no update ran yet).
  Scalar first = 1;
  checked.download(&first, dev.sac.device_critic_grads(), sizeof(Scalar));
  EXPECT_EQ(first, 0.0f);
}

TEST(BackendSeam, ACapturedUpdateReplayedTwentyTimesEqualsTwentyUpdates) {
  const SacConfig c = hopper_like();
  CpuSac direct(c, 1);
  CheckedCpuBackend checked;
  RecordingBackend recording(checked);
  SacOnBackend graph;
  Rng init(1);
  ASSERT_TRUE(graph.init(c, init, &recording).is_ok());
  Rng data_a(7), data_b(7);
  fill_batch(direct.sac, data_a);
  fill_batch(graph.sac, data_b);
  // The same batch and noise for all twenty: uploaded once.
  const Rng noise(8);
  Rng na = noise, nb = noise;
  direct.sac.upload_batch(na);
  graph.sac.upload_batch(nb);
  ASSERT_TRUE(recording.begin_capture(1).is_ok());
  graph.sac.enqueue_update_ops();
  ASSERT_TRUE(recording.end_capture(1).is_ok());
  EXPECT_GT(recording.recorded(1), 20u);
  expect_same_state(direct.sac, graph.sac);  // capturing ran nothing
  direct.sac.enqueue_update_ops();
  ASSERT_TRUE(recording.replay(1, 1).is_ok());
  expect_same_state(direct.sac, graph.sac);
  direct.sac.pull_state();
  const std::vector<Scalar> after_one(direct.sac.actor_params(),
                                      direct.sac.actor_params() + direct.sac.actor_network().total_params());
  for (int t = 1; t < 20; ++t) direct.sac.enqueue_update_ops();
  ASSERT_TRUE(recording.replay(1, 19).is_ok());
  expect_same_state(direct.sac, graph.sac);
  // Each replay moved the state (Adam's step and the temperature read from device memory).
  EXPECT_FALSE(same_bits(after_one.data(), direct.sac.actor_params(), after_one.size() * sizeof(Scalar)));

  // update() captures its ops once (slot kGraphSlot) and replays them per update.
  CheckedCpuBackend checked2;
  RecordingBackend recording2(checked2);
  SacOnBackend replayed;
  CpuSac reference(c, 1);
  Rng init2(1);
  ASSERT_TRUE(replayed.init(c, init2, &recording2).is_ok());
  Rng da(9), db(9);
  for (int t = 0; t < 20; ++t) {
    fill_batch(reference.sac, da);
    fill_batch(replayed.sac, db);
    Rng ra = noise, rb = noise;
    SacStats sa, sb;
    ASSERT_TRUE(reference.sac.update(ra, &sa).is_ok());
    ASSERT_TRUE(replayed.sac.update(rb, &sb).is_ok());
    ASSERT_TRUE(same_bits(&sa, &sb, sizeof(SacStats))) << "update " << t;
  }
  EXPECT_EQ(recording2.counters().graph_replays, 20);
  expect_same_state(reference.sac, replayed.sac);
}

// name -> bytes of every array the trainer saves.
class StateBytes : public StateVisitor {
 public:
  std::map<std::string, std::vector<unsigned char>> arrays;
  void field(const char* prefix, const char* name, StateType type, void* data, std::size_t count) override {
    const unsigned char* p = static_cast<const unsigned char*>(data);
    arrays[std::string(prefix) + "/" + name].assign(p, p + count * state_type_size(type));
  }
  bool check(bool, const char*, const char*) override { return true; }
  bool ok() const override { return true; }
};

TrainerConfig small_trainer(Algorithm algorithm) {
  TrainerConfig c;
  c.algorithm = algorithm;
  c.seed = 5;
  c.start_steps = c.update_after = 200;
  c.updates_per_step = 2;
  c.epoch_length = 200;
  c.sac.hidden_width = 32;
  c.sac.batch = 64;
  c.model.members = 3;
  c.model.elites = 2;
  c.model.hidden_width = 16;
  c.model.hidden_layers = 2;
  c.model.batch = 64;
  c.model.max_epochs = 2;
  c.model_train_freq = 100;
  c.rollout_batch = 200;
  c.w2.batch = 64;
  c.w2.max_steps = 3;
  return c;
}

struct TrainingRun {
  Pendulum env, eval_env;
  std::vector<unsigned char> memory;
  Arena arena;
  Trainer trainer;
  Status init(const TrainerConfig& c) {
    memory.assign(Trainer::bytes_needed(c, env), 0);
    arena = Arena(memory.data(), memory.size());
    return trainer.init(c, env, eval_env, arena);
  }
};

class TrainerOnBackends : public ::testing::TestWithParam<Algorithm> {};

TEST_P(TrainerOnBackends, CheckedEqualsCpuBitForBitWithExactTransfers) {
  const TrainerConfig config = small_trainer(GetParam());
  CheckedCpuBackend checked;
  TrainerConfig on_checked = config;
  on_checked.backend = &checked;
  TrainingRun cpu, dev;
  ASSERT_TRUE(cpu.init(config).is_ok());
  ASSERT_TRUE(dev.init(on_checked).is_ok());
  EXPECT_LT(dev.memory.size(), cpu.memory.size());  // SAC's device memory is not in the host arena
  TrainerProgress pa, pb;
  for (int i = 0; i < 350; ++i) {
    ASSERT_TRUE(cpu.trainer.step(&pa).is_ok());
    ASSERT_TRUE(dev.trainer.step(&pb).is_ok());
  }
  // One env step while training, with no model round: the action's upload and
  // download, ONE upload of the update block (all G = 2 updates' slots and
  // noise, with the step's real transition, which 5 device copies put into the
  // real store's mirror), the G updates as one graph replay where the backend
  // has graphs, and one download of the statistics.
  checked.reset_counters();
  ASSERT_TRUE(dev.trainer.step(&pb).is_ok());
  ASSERT_TRUE(cpu.trainer.step(&pa).is_ok());
  ASSERT_FALSE(pb.model_round);
  EXPECT_EQ(checked.counters().uploads, 2);
  EXPECT_EQ(checked.counters().downloads, 2);
  EXPECT_EQ(checked.counters().synchronizations, 0);
  EXPECT_TRUE(same_bits(&pa.sac, &pb.sac, sizeof(SacStats)));
  EXPECT_EQ(pa.episode_return, pb.episode_return);
  // Evaluation: one upload and one download per env step.
  checked.reset_counters();
  Scalar ra = 0, rb = 0;
  ASSERT_TRUE(cpu.trainer.evaluate(1, &ra).is_ok());
  ASSERT_TRUE(dev.trainer.evaluate(1, &rb).is_ok());
  EXPECT_EQ(ra, rb);
  EXPECT_EQ(checked.counters().uploads, Pendulum().max_episode_steps());
  EXPECT_EQ(checked.counters().downloads, Pendulum().max_episode_steps());
  if (GetParam() != Algorithm::kSac) {
    // A step with a model round: the SAC step's transfers as above; the real
    // store's mirror brought up to date before phase 1 (the step's transition:
    // five uploads, one per array; the update block then carries none); the
    // ensemble's round from that mirror (the round's slot order once, each
    // epoch's bootstrap order once; minibatches, holdout batches and the
    // normaliser fit gathered on the device; per epoch one download, the
    // holdout errors; the final ranking's download; the last loss and the
    // parameters); phase 2's; and the rollouts' (the start states, then one
    // upload and one download per rollout step). (Phase 2's details are below.)
    for (int i = 0; i < 400; ++i) {
      checked.reset_counters();
      const ReplayStore& model_store = dev.trainer.model_store();
      const std::int64_t model_total = model_store.total_stored();
      const std::uint64_t model_layout = model_store.layout_version();
      ASSERT_TRUE(cpu.trainer.step(&pa).is_ok());
      ASSERT_TRUE(dev.trainer.step(&pb).is_ok());
      if (!pb.model_round || (GetParam() == Algorithm::kUsbpo && !pb.model.phase_two)) continue;
      const EnsembleTrainReport& mle = pb.model.mle;
      const int rollout_steps = pb.model.rollouts.length;
      // Phase 2: each objective uploads its member draws and store slots (1;
      // the pairs are gathered on the device from the mirrors) and a
      // validation downloads its J (1): the first validation, then per step
      // the training objective and a validation; the parameters pulled at the
      // end; the re-ranking's download (its holdout is on the device already).
      const int phase_two = pb.model.phase_two ? 1 : 0;
      const int w2_steps = pb.model.w2.steps;
      // The model store's mirror: five uploads (one per array) per slot range
      // of the rollouts' transitions (two where the ring wrapped), or of all
      // live slots after set_capacity moved them.
      int model_ranges = 1;
      if (model_store.layout_version() == model_layout) {
        const std::int64_t fresh = std::min<std::int64_t>(model_store.total_stored() - model_total, model_store.size());
        const int first = model_store.slot_of_transition(model_store.total_stored() - fresh);
        model_ranges = first + fresh > model_store.capacity() ? 2 : 1;
      }
      EXPECT_EQ(checked.counters().uploads, 2 + 5 * model_ranges + 5 + 1 + mle.epochs +
                                                phase_two * (1 + 2 * w2_steps) +
                                                (rollout_steps > 0 ? 1 : 0) + rollout_steps);
      EXPECT_EQ(checked.counters().downloads,
                2 + mle.epochs + 3 + phase_two * (1 + w2_steps + 1 + 1) + rollout_steps);
      EXPECT_EQ(checked.counters().synchronizations, 0);
      // Field by field (the report has padding): phase 1's report, phase 2's J, the rollouts.
      EXPECT_TRUE(same_bits(&pa.model.mle, &pb.model.mle, sizeof(EnsembleTrainReport)));
      EXPECT_EQ(pa.model.phase_two, pb.model.phase_two);
      EXPECT_EQ(pa.model.w2.j_after, pb.model.w2.j_after);
      EXPECT_EQ(pa.model.phase_two_holdout_mse, pb.model.phase_two_holdout_mse);
      EXPECT_EQ(pa.model.rollouts.mean_reward, pb.model.rollouts.mean_reward);
      EXPECT_EQ(pa.model.model_store_size, pb.model.model_store_size);
      break;
    }
    ASSERT_TRUE(pb.model_round) << "no model round in 400 steps";
  }
  // Every saved array (SAC and the ensemble from their host mirrors) bit for bit.
  StateBytes a, b;
  ASSERT_TRUE(cpu.trainer.save_state(a).is_ok());
  ASSERT_TRUE(dev.trainer.save_state(b).is_ok());
  ASSERT_EQ(a.arrays.size(), b.arrays.size());
  for (const auto& [name, bytes] : a.arrays) EXPECT_TRUE(bytes == b.arrays[name]) << name;
}

// The trainer on a backend with graphs (the recording backend over the checked
// one): each training env step uploads one update block and replays the G
// updates (gather, update, advance) as one captured sequence with one replay
// call, and the run equals the CPU's bit for bit.
TEST_P(TrainerOnBackends, GraphsReplayTheStepsGUpdatesAtOnceBitForBit) {
  TrainerConfig config = small_trainer(GetParam());
  config.updates_per_step = 3;
  CheckedCpuBackend checked;
  RecordingBackend recording(checked);
  TrainerConfig on_graphs = config;
  on_graphs.backend = &recording;
  TrainingRun cpu, dev;
  ASSERT_TRUE(cpu.init(config).is_ok());
  ASSERT_TRUE(dev.init(on_graphs).is_ok());
  TrainerProgress pa, pb;
  int counted = 0;
  for (int i = 0; i < 450; ++i) {
    recording.reset_counters();
    const std::int64_t updates_before = pb.gradient_updates;
    ASSERT_TRUE(cpu.trainer.step(&pa).is_ok());
    ASSERT_TRUE(dev.trainer.step(&pb).is_ok());
    ASSERT_EQ(pa.gradient_updates, pb.gradient_updates);
    ASSERT_TRUE(same_bits(&pa.sac, &pb.sac, sizeof(SacStats))) << "step " << i;
    ASSERT_EQ(pa.episode_return, pb.episode_return);
    // (The first training step acts at random and uploads the real store's mirror whole.)
    if (updates_before == 0 || pb.gradient_updates == updates_before || pb.model_round) continue;
    // A training step without a model round: the action's upload, the block's
    // upload (with the step's transition), G updates in one replay call, the
    // action's and the statistics' downloads.
    ++counted;
    EXPECT_EQ(recording.counters().uploads, 2);
    EXPECT_EQ(recording.counters().downloads, 2);
    EXPECT_EQ(recording.counters().graph_replays, config.updates_per_step);
    EXPECT_EQ(pb.gradient_updates - updates_before, config.updates_per_step);
  }
  EXPECT_GT(counted, 100);
  EXPECT_GT(recording.recorded(SacUpdateBlock::kGraphSlot), 20u);
  StateBytes a, b;
  ASSERT_TRUE(cpu.trainer.save_state(a).is_ok());
  ASSERT_TRUE(dev.trainer.save_state(b).is_ok());
  for (const auto& [name, bytes] : a.arrays) EXPECT_TRUE(bytes == b.arrays[name]) << name;
}

INSTANTIATE_TEST_SUITE_P(Algorithms, TrainerOnBackends,
                         ::testing::Values(Algorithm::kSac, Algorithm::kMbpo, Algorithm::kUsbpo),
                         [](const ::testing::TestParamInfo<Algorithm>& info) {
                           return std::string(algorithm_name(info.param));
                         });

}  // namespace
}  // namespace usbpo
