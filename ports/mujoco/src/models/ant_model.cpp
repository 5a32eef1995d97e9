#include "models/models.hpp"

namespace usbpo::mujoco::models {

// Quadruped: a 0.25 m sphere torso on a free joint with four two-segment legs
// (hip about z, +-30 deg; ankle about the leg's diagonal, 30..70 deg in
// magnitude). Density 5; eight motors, gear 150, listed in Gym's order
// (leg 4 first). RK4 at 10 ms.
const char* const kAnt = R"(
<mujoco model="usbpo ant">
  <compiler angle="degree" coordinate="local" inertiafromgeom="true"/>
  <option timestep="0.01" integrator="RK4"/>
  <default>
    <joint limited="true" armature="1" damping="1"/>
    <geom conaffinity="0" condim="3" density="5.0" friction="1 0.5 0.5" margin="0.01"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="40 40 40" pos="0 0 0" condim="3" conaffinity="1"/>
    <body name="torso" pos="0 0 0.75">
      <geom name="torso_geom" type="sphere" size="0.25" pos="0 0 0"/>
      <joint name="root" type="free" pos="0 0 0" limited="false" armature="0" damping="0" margin="0.01"/>
      <body name="front_left_leg" pos="0 0 0">
        <geom name="aux_1_geom" type="capsule" size="0.08" fromto="0.0 0.0 0.0 0.2 0.2 0.0"/>
        <body name="aux_1" pos="0.2 0.2 0">
          <joint name="hip_1" type="hinge" axis="0 0 1" pos="0.0 0.0 0.0" range="-30 30"/>
          <geom name="left_leg_geom" type="capsule" size="0.08" fromto="0.0 0.0 0.0 0.2 0.2 0.0"/>
          <body pos="0.2 0.2 0">
            <joint name="ankle_1" type="hinge" axis="-1 1 0" pos="0.0 0.0 0.0" range="30 70"/>
            <geom name="left_ankle_geom" type="capsule" size="0.08" fromto="0.0 0.0 0.0 0.4 0.4 0.0"/>
          </body>
        </body>
      </body>
      <body name="front_right_leg" pos="0 0 0">
        <geom name="aux_2_geom" type="capsule" size="0.08" fromto="0.0 0.0 0.0 -0.2 0.2 0.0"/>
        <body name="aux_2" pos="-0.2 0.2 0">
          <joint name="hip_2" type="hinge" axis="0 0 1" pos="0.0 0.0 0.0" range="-30 30"/>
          <geom name="right_leg_geom" type="capsule" size="0.08" fromto="0.0 0.0 0.0 -0.2 0.2 0.0"/>
          <body pos="-0.2 0.2 0">
            <joint name="ankle_2" type="hinge" axis="1 1 0" pos="0.0 0.0 0.0" range="-70 -30"/>
            <geom name="right_ankle_geom" type="capsule" size="0.08" fromto="0.0 0.0 0.0 -0.4 0.4 0.0"/>
          </body>
        </body>
      </body>
      <body name="back_leg" pos="0 0 0">
        <geom name="aux_3_geom" type="capsule" size="0.08" fromto="0.0 0.0 0.0 -0.2 -0.2 0.0"/>
        <body name="aux_3" pos="-0.2 -0.2 0">
          <joint name="hip_3" type="hinge" axis="0 0 1" pos="0.0 0.0 0.0" range="-30 30"/>
          <geom name="back_leg_geom" type="capsule" size="0.08" fromto="0.0 0.0 0.0 -0.2 -0.2 0.0"/>
          <body pos="-0.2 -0.2 0">
            <joint name="ankle_3" type="hinge" axis="-1 1 0" pos="0.0 0.0 0.0" range="-70 -30"/>
            <geom name="third_ankle_geom" type="capsule" size="0.08" fromto="0.0 0.0 0.0 -0.4 -0.4 0.0"/>
          </body>
        </body>
      </body>
      <body name="right_back_leg" pos="0 0 0">
        <geom name="aux_4_geom" type="capsule" size="0.08" fromto="0.0 0.0 0.0 0.2 -0.2 0.0"/>
        <body name="aux_4" pos="0.2 -0.2 0">
          <joint name="hip_4" type="hinge" axis="0 0 1" pos="0.0 0.0 0.0" range="-30 30"/>
          <geom name="rightback_leg_geom" type="capsule" size="0.08" fromto="0.0 0.0 0.0 0.2 -0.2 0.0"/>
          <body pos="0.2 -0.2 0">
            <joint name="ankle_4" type="hinge" axis="1 1 0" pos="0.0 0.0 0.0" range="30 70"/>
            <geom name="fourth_ankle_geom" type="capsule" size="0.08" fromto="0.0 0.0 0.0 0.4 -0.4 0.0"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor joint="hip_4" gear="150" ctrllimited="true" ctrlrange="-1.0 1.0"/>
    <motor joint="ankle_4" gear="150" ctrllimited="true" ctrlrange="-1.0 1.0"/>
    <motor joint="hip_1" gear="150" ctrllimited="true" ctrlrange="-1.0 1.0"/>
    <motor joint="ankle_1" gear="150" ctrllimited="true" ctrlrange="-1.0 1.0"/>
    <motor joint="hip_2" gear="150" ctrllimited="true" ctrlrange="-1.0 1.0"/>
    <motor joint="ankle_2" gear="150" ctrllimited="true" ctrlrange="-1.0 1.0"/>
    <motor joint="hip_3" gear="150" ctrllimited="true" ctrlrange="-1.0 1.0"/>
    <motor joint="ankle_3" gear="150" ctrllimited="true" ctrlrange="-1.0 1.0"/>
  </actuator>
</mujoco>
)";

}  // namespace usbpo::mujoco::models
