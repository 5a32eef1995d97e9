#include "models/models.hpp"

namespace usbpo::mujoco::models {

// Cart on a 2 m rail (slider, +-1 m) carrying a 0.6 m pole (hinge, +-90 deg);
// one motor on the cart, gear 100, control +-3. RK4 at 20 ms.
const char* const kInvertedPendulum = R"(
<mujoco model="usbpo inverted pendulum">
  <compiler inertiafromgeom="true"/>
  <option timestep="0.02" integrator="RK4" gravity="0 0 -9.81"/>
  <size nstack="3000"/>
  <default>
    <joint limited="true" damping="1" armature="0"/>
    <geom contype="0" friction="1 0.1 0.1"/>
    <motor ctrlrange="-3 3"/>
  </default>
  <worldbody>
    <geom name="rail" type="capsule" size="0.02 1" pos="0 0 0" quat="0.707 0 0.707 0"/>
    <body name="cart" pos="0 0 0">
      <joint name="slider" type="slide" axis="1 0 0" pos="0 0 0" range="-1 1" limited="true"/>
      <geom name="cart" type="capsule" size="0.1 0.1" pos="0 0 0" quat="0.707 0 0.707 0"/>
      <body name="pole" pos="0 0 0">
        <joint name="hinge" type="hinge" axis="0 1 0" pos="0 0 0" range="-90 90"/>
        <geom name="cpole" type="capsule" size="0.049 0.3" fromto="0 0 0 0.001 0 0.6"/>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="slide" joint="slider" gear="100" ctrllimited="true" ctrlrange="-3 3"/>
  </actuator>
</mujoco>
)";

}  // namespace usbpo::mujoco::models
