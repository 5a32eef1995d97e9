#include "models/models.hpp"

namespace usbpo::mujoco::models {

// 7-DOF arm (shoulder pan/lift, upper-arm roll, elbow flex, forearm roll,
// wrist flex and roll) pushing a light cylinder (x/y slides) to a goal
// (x/y slides) on a table. No gravity, Euler at 10 ms, 20 solver iterations.
// Seven motors, gear 1, control +-2.
const char* const kPusher = R"(
<mujoco model="usbpo pusher">
  <compiler angle="radian" coordinate="local" inertiafromgeom="true"/>
  <option timestep="0.01" gravity="0 0 0" iterations="20" integrator="Euler"/>
  <default>
    <joint limited="true" armature="0.04" damping="1"/>
    <geom contype="0" conaffinity="0" condim="1" density="300" friction=".8 .1 .1" margin="0.002"/>
  </default>
  <worldbody>
    <geom name="table" type="plane" size="1 1 0.1" pos="0 0.5 -0.325" contype="1" conaffinity="1"/>
    <body name="r_shoulder_pan_link" pos="0 -0.6 0">
      <geom name="e1" type="sphere" size="0.05" pos="-0.06 0.05 0.2"/>
      <geom name="e2" type="sphere" size="0.05" pos="0.06 0.05 0.2"/>
      <geom name="e1p" type="sphere" size="0.03" pos="-0.06 0.09 0.2"/>
      <geom name="e2p" type="sphere" size="0.03" pos="0.06 0.09 0.2"/>
      <geom name="sp" type="capsule" size="0.1" fromto="0 0 -0.4 0 0 0.2"/>
      <joint name="r_shoulder_pan_joint" type="hinge" axis="0 0 1" pos="0 0 0" range="-2.2854 1.714602" damping="1.0"/>
      <body name="r_shoulder_lift_link" pos="0.1 0 0">
        <geom name="sl" type="capsule" size="0.1" fromto="0 -0.1 0 0 0.1 0"/>
        <joint name="r_shoulder_lift_joint" type="hinge" axis="0 1 0" pos="0 0 0" range="-0.5236 1.3963" damping="1.0"/>
        <body name="r_upper_arm_roll_link" pos="0 0 0">
          <geom name="uar" type="capsule" size="0.02" fromto="-0.1 0 0 0.1 0 0"/>
          <joint name="r_upper_arm_roll_joint" type="hinge" axis="1 0 0" pos="0 0 0" range="-1.5 1.7" damping="0.1"/>
          <body name="r_upper_arm_link" pos="0 0 0">
            <geom name="ua" type="capsule" size="0.06" fromto="0 0 0 0.4 0 0"/>
            <body name="r_elbow_flex_link" pos="0.4 0 0">
              <geom name="ef" type="capsule" size="0.06" fromto="0 -0.02 0 0.0 0.02 0"/>
              <joint name="r_elbow_flex_joint" type="hinge" axis="0 1 0" pos="0 0 0" range="-2.3213 0" damping="0.1"/>
              <body name="r_forearm_roll_link" pos="0 0 0">
                <geom name="fr" type="capsule" size="0.02" fromto="-0.1 0 0 0.1 0 0"/>
                <joint name="r_forearm_roll_joint" type="hinge" axis="1 0 0" pos="0 0 0" range="-1.5 1.5" damping=".1"/>
                <body name="r_forearm_link" pos="0 0 0">
                  <geom name="fa" type="capsule" size="0.05" fromto="0 0 0 0.291 0 0"/>
                  <body name="r_wrist_flex_link" pos="0.321 0 0">
                    <geom name="wf" type="capsule" size="0.01" fromto="0 -0.02 0 0 0.02 0"/>
                    <joint name="r_wrist_flex_joint" type="hinge" axis="0 1 0" pos="0 0 0" range="-1.094 0" damping=".1"/>
                    <body name="r_wrist_roll_link" pos="0 0 0">
                      <joint name="r_wrist_roll_joint" type="hinge" axis="1 0 0" pos="0 0 0" range="-1.5 1.5" damping="0.1"/>
                      <body name="tips_arm" pos="0 0 0">
                        <geom name="tip_arml" type="sphere" size="0.01" pos="0.1 -0.1 0."/>
                        <geom name="tip_armr" type="sphere" size="0.01" pos="0.1 0.1 0."/>
                      </body>
                      <geom type="capsule" size="0.02" fromto="0 -0.1 0. 0.0 +0.1 0" contype="1" conaffinity="1"/>
                      <geom type="capsule" size="0.02" fromto="0 -0.1 0. 0.1 -0.1 0" contype="1" conaffinity="1"/>
                      <geom type="capsule" size="0.02" fromto="0 +0.1 0. 0.1 +0.1 0." contype="1" conaffinity="1"/>
                    </body>
                  </body>
                </body>
              </body>
            </body>
          </body>
        </body>
      </body>
    </body>
    <body name="object" pos="0.45 -0.05 -0.275">
      <geom type="sphere" size="0.05 0.05 0.05" density="0.00001" conaffinity="0"/>
      <geom type="cylinder" size="0.05 0.05 0.05" density="0.00001" contype="1" conaffinity="0"/>
      <joint name="obj_slidey" type="slide" axis="0 1 0" pos="0 0 0" range="-10.3213 10.3" damping="0.5"/>
      <joint name="obj_slidex" type="slide" axis="1 0 0" pos="0 0 0" range="-10.3213 10.3" damping="0.5"/>
    </body>
    <body name="goal" pos="0.45 -0.05 -0.3230">
      <geom type="cylinder" size="0.08 0.001 0.1" density="0.00001" contype="0" conaffinity="0"/>
      <joint name="goal_slidey" type="slide" axis="0 1 0" pos="0 0 0" range="-10.3213 10.3" damping="0.5"/>
      <joint name="goal_slidex" type="slide" axis="1 0 0" pos="0 0 0" range="-10.3213 10.3" damping="0.5"/>
    </body>
  </worldbody>
  <actuator>
    <motor joint="r_shoulder_pan_joint" ctrllimited="true" ctrlrange="-2.0 2.0"/>
    <motor joint="r_shoulder_lift_joint" ctrllimited="true" ctrlrange="-2.0 2.0"/>
    <motor joint="r_upper_arm_roll_joint" ctrllimited="true" ctrlrange="-2.0 2.0"/>
    <motor joint="r_elbow_flex_joint" ctrllimited="true" ctrlrange="-2.0 2.0"/>
    <motor joint="r_forearm_roll_joint" ctrllimited="true" ctrlrange="-2.0 2.0"/>
    <motor joint="r_wrist_flex_joint" ctrllimited="true" ctrlrange="-2.0 2.0"/>
    <motor joint="r_wrist_roll_joint" ctrllimited="true" ctrlrange="-2.0 2.0"/>
  </actuator>
</mujoco>
)";

}  // namespace usbpo::mujoco::models
