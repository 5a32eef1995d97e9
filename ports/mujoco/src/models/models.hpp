// Our MJCF models of the Gym benchmark tasks, compiled into the library.
// Same bodies, joints, geoms, masses, gears, ranges and options as the Gym
// assets (tests/mujoco cross-checks the compiled models against them); the
// rendering-only parts (materials, textures, lights, cameras) are left out.
#pragma once

namespace usbpo::mujoco::models {

extern const char* const kInvertedPendulum;
extern const char* const kHopper;
extern const char* const kHalfCheetah;
extern const char* const kWalker2d;
extern const char* const kAnt;
extern const char* const kHumanoid;
extern const char* const kPusher;

}  // namespace usbpo::mujoco::models
