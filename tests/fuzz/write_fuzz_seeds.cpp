// Writes the fuzz targets' seed corpora: a small valid policy, checkpoint and
// dataset, each without its checksum trailer (the targets append one).
// usage: write_fuzz_seeds POLICY_DIR CHECKPOINT_DIR DATASET_DIR
#include <cstdio>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "usbpo/train/checkpoint.hpp"
#include "usbpo/train/dataset.hpp"
#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/policy_file.hpp"

namespace {

bool write_content(const std::string& path, const std::vector<unsigned char>& file) {
  std::FILE* out = std::fopen(path.c_str(), "wb");
  if (!out) return false;
  const std::size_t content = file.size() - usbpo::kFileTrailerBytes;
  const bool ok = std::fwrite(file.data(), 1, content, out) == content;
  return std::fclose(out) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) return std::fprintf(stderr, "usage: write_fuzz_seeds POLICY_DIR CHECKPOINT_DIR DATASET_DIR\n"), 2;
  // The checkpoint target's trainer, past its first model rounds, and its policy.
  usbpo::Pendulum env, eval_env;
  const usbpo::TrainerConfig c = usbpo_fuzz::checkpoint_trainer_config();
  std::vector<unsigned char> memory(usbpo::Trainer::bytes_needed(c, env));
  usbpo::Arena arena(memory.data(), memory.size());
  usbpo::Trainer trainer;
  usbpo::Status s = trainer.init(c, env, eval_env, arena);
  for (int step = 0; s.is_ok() && step < 60; ++step) s = trainer.step(nullptr);
  std::vector<unsigned char> policy, checkpoint, dataset;
  if (s.is_ok()) s = usbpo::serialize_policy(usbpo::describe_policy(trainer), &policy);
  if (s.is_ok()) s = usbpo::serialize_checkpoint(trainer, "seed", 4, &checkpoint);
  // A dataset of the dataset target's shape.
  usbpo::ReplayConfig r;
  r.obs_dim = usbpo_fuzz::kDatasetObsDim;
  r.act_dim = usbpo_fuzz::kDatasetActDim;
  r.capacity = 16;
  std::vector<unsigned char> store_memory(usbpo::ReplayStore::bytes_needed(r));
  usbpo::Arena store_arena(store_memory.data(), store_memory.size());
  usbpo::ReplayStore store;
  if (s.is_ok()) s = store.place(r, store_arena);
  for (int i = 0; s.is_ok() && i < 16; ++i) {
    const float obs[3] = {0.1f * i, 1, -1}, act[1] = {0.5f}, next[3] = {0.1f * i + 0.1f, 1, -1};
    s = store.store(obs, act, 0.25f * i, next, i == 15, 0);
  }
  if (s.is_ok()) s = usbpo::serialize_dataset(store, "pendulum", &dataset);
  if (!s.is_ok()) return std::fprintf(stderr, "write_fuzz_seeds: %s\n", s.message()), 1;
  if (!write_content(std::string(argv[1]) + "/policy.usbpo", policy) ||
      !write_content(std::string(argv[2]) + "/checkpoint.usbpo-ckpt", checkpoint) ||
      !write_content(std::string(argv[3]) + "/dataset.usbpo-data", dataset)) {
    return std::fprintf(stderr, "write_fuzz_seeds: cannot write the seeds\n"), 1;
  }
  std::printf("fuzz seeds: policy %zu, checkpoint %zu, dataset %zu bytes (without their trailers)\n",
              policy.size() - usbpo::kFileTrailerBytes, checkpoint.size() - usbpo::kFileTrailerBytes,
              dataset.size() - usbpo::kFileTrailerBytes);
  return 0;
}
