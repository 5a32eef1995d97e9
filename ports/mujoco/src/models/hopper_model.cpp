#include "models/models.hpp"

namespace usbpo::mujoco::models {

// One-legged hopper in the x-z plane: torso, thigh, leg, foot; root slides in x
// and z (rootz measured from 1.25 m) and hinges in pitch. Three motors, gear
// 200. Positions in global coordinates (MuJoCo 2.2.2 still converts them),
// which keeps the compiled numbers bit-identical to Gym's model.
const char* const kHopper = R"(
<mujoco model="usbpo hopper">
  <compiler angle="degree" coordinate="global" inertiafromgeom="true"/>
  <option timestep="0.002" integrator="RK4"/>
  <default>
    <joint limited="true" armature="1" damping="1"/>
    <geom contype="1" conaffinity="1" condim="1" margin="0.001" solref=".02 1" solimp=".8 .8 .01"/>
    <motor ctrllimited="true" ctrlrange="-.4 .4"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="20 20 .125" pos="0 0 0" condim="3" conaffinity="1"/>
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
          <body name="foot" pos="0.13 0 0">
            <joint name="foot_joint" type="hinge" axis="0 -1 0" pos="0 0 0.1" range="-45 45"/>
            <geom name="foot_geom" type="capsule" size="0.06" fromto="-0.13 0 0.1 0.26 0 0.1" friction="2.0"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor joint="thigh_joint" gear="200.0" ctrllimited="true" ctrlrange="-1.0 1.0"/>
    <motor joint="leg_joint" gear="200.0" ctrllimited="true" ctrlrange="-1.0 1.0"/>
    <motor joint="foot_joint" gear="200.0" ctrllimited="true" ctrlrange="-1.0 1.0"/>
  </actuator>
</mujoco>
)";

}  // namespace usbpo::mujoco::models
