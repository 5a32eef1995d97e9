// ReplayStore::set_capacity (MBPO's model-pool re-sizing) against a reference
// FIFO, and checkpoint round trips of re-sized stores.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "allocation_counter.hpp"
#include "test_support.hpp"
#include "usbpo/agent/replay_store.hpp"
#include "usbpo/base/rng.hpp"

namespace usbpo {
namespace {

struct Store : testing_support::StoreInArena {
  explicit Store(int slots) : StoreInArena(slots, 2, 1) {}
  // Transition i: obs = (i, -i), act = i / 10, reward = i, next_obs = obs + 1.
  Status add(int i, std::int32_t epoch = 0) {
    Scalar obs[2] = {Scalar(i), Scalar(-i)}, act = Scalar(i) / 10, next[2] = {Scalar(i + 1), Scalar(1 - i)};
    return store.store(obs, &act, Scalar(i), next, i % 7 == 0, epoch);
  }
  Status add_batch(int first, int count, std::int32_t epoch) {
    std::vector<Scalar> obs(2 * count), act(count), reward(count), next(2 * count);
    std::vector<std::uint8_t> terminal(count);
    for (int k = 0; k < count; ++k) {
      const int i = first + k;
      obs[2 * k] = Scalar(i);
      obs[2 * k + 1] = Scalar(-i);
      act[k] = Scalar(i) / 10;
      reward[k] = Scalar(i);
      next[2 * k] = Scalar(i + 1);
      next[2 * k + 1] = Scalar(1 - i);
      terminal[k] = i % 7 == 0;
    }
    return store.store_batch(count, obs.data(), act.data(), reward.data(), next.data(), terminal.data(), epoch);
  }
  // The live transitions' ids (rewards), oldest first, each checked whole.
  std::vector<int> live() const {
    std::vector<int> slots(static_cast<std::size_t>(store.size()));
    store.live_slots(slots.data());
    std::vector<int> ids;
    for (int s : slots) {
      const int i = static_cast<int>(store.reward(s));
      EXPECT_EQ(store.obs(s)[0], Scalar(i));
      EXPECT_EQ(store.obs(s)[1], Scalar(-i));
      EXPECT_EQ(store.act(s)[0], Scalar(i) / 10);
      EXPECT_EQ(store.next_obs(s)[1], Scalar(1 - i));
      EXPECT_EQ(store.terminal(s), i % 7 == 0);
      ids.push_back(i);
    }
    return ids;
  }
};

std::vector<int> as_vector(const std::deque<int>& d) { return std::vector<int>(d.begin(), d.end()); }

TEST(ReplayStoreResize, ShrinkKeepsTheNewestInOrder) {
  Store s(10);
  for (int i = 0; i < 13; ++i) ASSERT_TRUE(s.add(i, i / 4).is_ok());  // wrapped: 3..12 live
  ASSERT_TRUE(s.store.set_capacity(4).is_ok());
  EXPECT_EQ(s.store.capacity(), 4);
  EXPECT_EQ(s.store.allocated_capacity(), 10);
  EXPECT_EQ(s.live(), (std::vector<int>{9, 10, 11, 12}));
  // Epoch 2 (8..11) lost 8; epochs 0 and 1 are gone.
  EXPECT_EQ(s.store.epoch_size(0), 0);
  EXPECT_EQ(s.store.epoch_size(1), 0);
  EXPECT_EQ(s.store.epoch_size(2), 3);
  EXPECT_EQ(s.store.epoch_size(3), 1);
  // FIFO at the new capacity from here on.
  ASSERT_TRUE(s.add(13, 3).is_ok());
  EXPECT_EQ(s.live(), (std::vector<int>{10, 11, 12, 13}));
}

TEST(ReplayStoreResize, GrowKeepsEverythingAndFillsBeforeEvicting) {
  Store s(10);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(s.add(i).is_ok());
  ASSERT_TRUE(s.store.set_capacity(3).is_ok());
  EXPECT_EQ(s.live(), (std::vector<int>{3, 4, 5}));
  ASSERT_TRUE(s.store.set_capacity(8).is_ok());
  EXPECT_EQ(s.live(), (std::vector<int>{3, 4, 5}));
  for (int i = 6; i < 11; ++i) ASSERT_TRUE(s.add(i).is_ok());
  EXPECT_EQ(s.store.size(), 8);
  EXPECT_EQ(s.live(), (std::vector<int>{3, 4, 5, 6, 7, 8, 9, 10}));
  ASSERT_TRUE(s.add(11).is_ok());
  EXPECT_EQ(s.live(), (std::vector<int>{4, 5, 6, 7, 8, 9, 10, 11}));
}

TEST(ReplayStoreResize, RandomResizesMatchAReferenceFifo) {
  Store s(64);
  std::deque<int> reference;
  int capacity = 64, next = 0;
  Rng rng(7);
  for (int op = 0; op < 2000; ++op) {
    const std::uint32_t kind = rng.uniform_int(4);
    if (kind == 0) {
      capacity = 1 + static_cast<int>(rng.uniform_int(64));
      ASSERT_TRUE(s.store.set_capacity(capacity).is_ok());
    } else if (kind == 1) {
      const int count = static_cast<int>(rng.uniform_int(100));
      ASSERT_TRUE(s.add_batch(next, count, op).is_ok());
      for (int k = 0; k < count; ++k) reference.push_back(next + k);
      next += count;
    } else {
      ASSERT_TRUE(s.add(next, op).is_ok());
      reference.push_back(next++);
    }
    while (static_cast<int>(reference.size()) > capacity) reference.pop_front();
    ASSERT_EQ(s.store.capacity(), capacity);
    ASSERT_EQ(s.live(), as_vector(reference)) << "after operation " << op;
    ASSERT_EQ(s.store.total_stored(), next);
  }
}

TEST(ReplayStoreResize, RefusesCapacitiesOutsideThePlacedSlots) {
  Store s(5);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(s.add(i).is_ok());
  const Status big = s.store.set_capacity(6);
  EXPECT_EQ(big.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(big.message()).find("outside [1, 5]"), std::string::npos) << big.message();
  EXPECT_EQ(s.store.set_capacity(0).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.store.capacity(), 5);
  EXPECT_EQ(s.live(), (std::vector<int>{0, 1, 2, 3}));
}

TEST(ReplayStoreResize, NeverAllocates) {
  Store s(4096);
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(s.add(i, i / 100).is_ok());
  testing_support::NoAllocationScope scope;
  for (int c : {100, 4096, 7, 1000, 4096}) ASSERT_TRUE(s.store.set_capacity(c).is_ok());
  EXPECT_EQ(scope.allocations(), 0);
}

// Writes named fields into a map; a reader copies them back and fails on a
// missing name or a size mismatch.
class MapVisitor : public StateVisitor {
 public:
  explicit MapVisitor(bool reading) : reading_(reading) {}
  void field(const char* prefix, const char* name, StateType type, void* data, std::size_t count) override {
    const std::string key = std::string(prefix) + "/" + name;
    const std::size_t bytes = count * state_type_size(type);
    if (!reading_) {
      fields_[key].assign(static_cast<unsigned char*>(data), static_cast<unsigned char*>(data) + bytes);
      return;
    }
    auto it = fields_.find(key);
    if (it == fields_.end() || it->second.size() != bytes) {
      ok_ = false;
      return;
    }
    std::memcpy(data, it->second.data(), bytes);
  }
  bool check(bool condition, const char*, const char*) override {
    ok_ = ok_ && condition;
    return condition;
  }
  bool ok() const override { return ok_; }
  void start_reading() { reading_ = true; }
  std::map<std::string, std::vector<unsigned char>> fields_;

 private:
  bool reading_;
  bool ok_ = true;
};

// Save a store in every state a re-sized store can be in (full and wrapped,
// not full with the oldest anywhere) and load it into stores with fewer and
// more slots: the same transitions in the same order, and the same FIFO after.
TEST(ReplayStoreResize, CheckpointRoundTripAfterResizing) {
  struct Case {
    int fill, shrink_to, grow_to, more;
  };
  for (const Case c : {Case{30, 6, 6, 3}, Case{30, 6, 12, 2}, Case{30, 6, 12, 9}, Case{5, 20, 20, 0}}) {
    Store original(20);
    for (int i = 0; i < c.fill; ++i) ASSERT_TRUE(original.add(i, i / 3).is_ok());
    ASSERT_TRUE(original.store.set_capacity(c.shrink_to).is_ok());
    ASSERT_TRUE(original.store.set_capacity(c.grow_to).is_ok());
    for (int i = 0; i < c.more; ++i) ASSERT_TRUE(original.add(c.fill + i, 100).is_ok());
    const std::vector<int> before = original.live();
    MapVisitor visitor(false);
    original.store.visit_state(visitor, "store");
    ASSERT_TRUE(visitor.ok());
    EXPECT_EQ(original.live(), before) << "saving must not change the contents";
    for (int slots : {c.grow_to, 20, 40}) {
      Store copy(slots);
      visitor.start_reading();
      copy.store.visit_state(visitor, "store");
      ASSERT_TRUE(visitor.ok()) << "fill " << c.fill << " into " << slots;
      EXPECT_EQ(copy.store.capacity(), c.grow_to);
      EXPECT_EQ(copy.live(), before);
      for (int i = 0; i < 15; ++i) ASSERT_TRUE(copy.add(1000 + i, 200).is_ok());
      std::vector<int> expected = before;
      for (int i = 0; i < 15; ++i) expected.push_back(1000 + i);
      expected.erase(expected.begin(), expected.end() - std::min<int>(c.grow_to, static_cast<int>(expected.size())));
      EXPECT_EQ(copy.live(), expected);
    }
  }
}

TEST(ReplayStoreResize, CheckpointOfAFullStoreDoesNotFitFewerSlots) {
  Store original(10);
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(original.add(i).is_ok());
  MapVisitor visitor(false);
  original.store.visit_state(visitor, "store");
  Store smaller(8);
  visitor.start_reading();
  smaller.store.visit_state(visitor, "store");
  EXPECT_FALSE(visitor.ok());
}

}  // namespace
}  // namespace usbpo
