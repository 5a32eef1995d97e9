#include "models/models.hpp"

namespace usbpo::mujoco::models {

// Planar biped: torso and two legs (thigh, leg, foot); six motors, gear 100.
// The right foot's friction is 0.9 and the left's 1.9, as in Gym v2-v4.
// Global coordinates keep the compiled numbers identical to Gym's model.
const char* const kWalker2d = R"(
<mujoco model="usbpo walker2d">
  <compiler angle="degree" coordinate="global" inertiafromgeom="true"/>
  <option timestep="0.002" integrator="RK4"/>
  <default>
    <joint limited="true" armature="0.01" damping=".1"/>
    <geom contype="1" conaffinity="0" condim="3" density="1000" friction=".7 .1 .1"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="40 40 40" pos="0 0 0" condim="3" conaffinity="1"/>
    <body name="torso" pos="0 0 1.25">
      <joint name="rootx" type="slide" axis="1 0 0" pos="0 0 0" limited="false" armature="0" damping="0" stiffness="0"/>
      <joint name="rootz" type="slide" axis="0 0 1" pos="0 0 0" ref="1.25" limited="false" armature="0" damping="0" stiffness="0"/>
      <joint name="rooty" type="hinge" axis="0 1 0" pos="0 0 1.25" limited="false" armature="0" damping="0" stiffness="0"/>
      <geom name="torso_geom" type="capsule" size="0.05" fromto="0 0 1.45 0 0 1.05" friction="0.9"/>
      <body name="thigh" pos="0 0 1.05">
        <joint name="thigh_joint" type="hinge" axis="0 -1 0" pos="0 0 1.05" range="-150 0"/>
        <geom name="thigh_geom" type="capsule" size="0.05" fromto="0 0 1.05 0 0 0.6" friction="0.9"/>
        <body name="leg" pos="0 0 0.35">
          <joint name="leg_joint" type="hinge" axis="0 -1 0" pos="0 0 0.6" range="-150 0"/>
          <geom name="leg_geom" type="capsule" size="0.04" fromto="0 0 0.6 0 0 0.1" friction="0.9"/>
          <body name="foot" pos="0.2 0 0">
            <joint name="foot_joint" type="hinge" axis="0 -1 0" pos="0 0 0.1" range="-45 45"/>
            <geom name="foot_geom" type="capsule" size="0.06" fromto="-0.0 0 0.1 0.2 0 0.1" friction="0.9"/>
          </body>
        </body>
      </body>
      <body name="thigh_left" pos="0 0 1.05">
        <joint name="thigh_left_joint" type="hinge" axis="0 -1 0" pos="0 0 1.05" range="-150 0"/>
        <geom name="thigh_left_geom" type="capsule" size="0.05" fromto="0 0 1.05 0 0 0.6" friction="0.9"/>
        <body name="leg_left" pos="0 0 0.35">
          <joint name="leg_left_joint" type="hinge" axis="0 -1 0" pos="0 0 0.6" range="-150 0"/>
          <geom name="leg_left_geom" type="capsule" size="0.04" fromto="0 0 0.6 0 0 0.1" friction="0.9"/>
          <body name="foot_left" pos="0.2 0 0">
            <joint name="foot_left_joint" type="hinge" axis="0 -1 0" pos="0 0 0.1" range="-45 45"/>
            <geom name="foot_left_geom" type="capsule" size="0.06" fromto="-0.0 0 0.1 0.2 0 0.1" friction="1.9"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor joint="thigh_joint" gear="100" ctrllimited="true" ctrlrange="-1.0 1.0"/>
    <motor joint="leg_joint" gear="100" ctrllimited="true" ctrlrange="-1.0 1.0"/>
    <motor joint="foot_joint" gear="100" ctrllimited="true" ctrlrange="-1.0 1.0"/>
    <motor joint="thigh_left_joint" gear="100" ctrllimited="true" ctrlrange="-1.0 1.0"/>
    <motor joint="leg_left_joint" gear="100" ctrllimited="true" ctrlrange="-1.0 1.0"/>
    <motor joint="foot_left_joint" gear="100" ctrllimited="true" ctrlrange="-1.0 1.0"/>
  </actuator>
</mujoco>
)";

}  // namespace usbpo::mujoco::models
