// SAC minibatches mixed from the real store and the model store (MBPO trains
// the agent on 5 % real and 95 % model transitions).
#pragma once

#include "usbpo/agent/replay_store.hpp"
#include "usbpo/agent/sac.hpp"
#include "usbpo/base/rng.hpp"
#include "usbpo/base/status.hpp"

namespace usbpo {

// Number of real transitions in a batch: int(batch * real_ratio) as in MBPO,
// all of the batch when the model store is empty or absent.
int real_count(int batch, Scalar real_ratio, const ReplayStore* model);

// Draw one minibatch's slots: n_real uniformly from `real` into slots[0,
// n_real), then batch - n_real uniformly from `model` into slots[n_real, batch)
// (the order every SAC minibatch is drawn in). slots: (batch).
Status draw_mixed_slots(const ReplayStore& real, const ReplayStore* model, int batch, int n_real, Rng& rng,
                        int* slots);

// Fill sac.batch(): real_count() transitions drawn uniformly from `real` in the
// first columns, the rest uniformly from `model` (draw_mixed_slots). slots: scratch (batch).
Status fill_mixed_batch(const ReplayStore& real, const ReplayStore* model, Scalar real_ratio, Rng& rng, int* slots,
                        Sac& sac);

}  // namespace usbpo
