"""Act with a usbpo policy exported to ONNX, in ONNX Runtime (pip install onnxruntime numpy).
usage: python3 act_with_onnxruntime.py policy.onnx"""
import sys

import numpy as np
import onnxruntime as ort

session = ort.InferenceSession(sys.argv[1])
meta = session.get_modelmeta().custom_metadata_map  # task, algorithm, env_steps, obs_dim, act_dim, bounds
observations = np.zeros((4, int(meta["obs_dim"])), np.float32)  # a batch of 4 (any batch size works)
(actions,) = session.run(["action"], {"observation": observations})
print(f"{meta['task']} policy ({meta['algorithm']}, {meta['env_steps']} env steps), actions in "
      f"[{meta['action_low']}, {meta['action_high']}]: {actions.tolist()}")
