"""ONNX export against the C++ runtime: the ONNX checker accepts the model, its
interface and metadata are as documented, and ONNX Runtime's actions equal
usbpo::Policy::act's within the tolerance on random observations.

usage: compare_with_onnxruntime.py MODEL.onnx POLICY.usbpo POLICY_REFERENCE WORK_DIR [--rows 1000] [--seed 0]
       [--tolerance 1e-5] [--normaliser yes|identity]
POLICY_REFERENCE is tests/onnx/policy_reference.cpp's program (Policy::act).
Prints FAIL: lines and exits 1 on any mismatch.
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import onnxruntime as ort

OPSET = 17


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def reference_actions(tool, policy, observations, work):
    obs_path = os.path.join(work, "observations.f32")
    act_path = os.path.join(work, "actions.f32")
    observations.astype(np.float32).tofile(obs_path)
    out = subprocess.run([tool, "act", policy, obs_path, act_path], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"policy_reference act exited {out.returncode}: {out.stderr.strip()}")
    info = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    actions = np.fromfile(act_path, dtype=np.float32).reshape(int(info["rows"]), int(info["act_dim"]))
    return actions, info


def check_model(path, info, normaliser):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)  # raises on any defect
    opsets = {o.domain: o.version for o in model.opset_import}
    if opsets != {"": OPSET}:
        fail(f"opset imports {opsets}, expected ai.onnx {OPSET} only")
    graph = model.graph

    def shape(value):
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]

    want_in, want_out = ["batch", int(info["obs_dim"])], ["batch", int(info["act_dim"])]
    if [v.name for v in graph.input] != ["observation"] or shape(graph.input[0]) != want_in:
        fail(f"inputs {[(v.name, shape(v)) for v in graph.input]}, expected observation {want_in}")
    if [v.name for v in graph.output] != ["action"] or shape(graph.output[0]) != want_out:
        fail(f"outputs {[(v.name, shape(v)) for v in graph.output]}, expected action {want_out}")
    for v in list(graph.input) + list(graph.output):
        if v.type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
            fail(f"{v.name} is not float32")
    meta = {p.key: p.value for p in model.metadata_props}
    for key in ("task", "algorithm", "env_steps", "obs_dim", "act_dim"):
        if meta.get(key) != info[key]:
            fail(f"metadata {key} = {meta.get(key)!r}, the policy says {info[key]!r}")
    has_normaliser = any(i.name == "obs_mean" for i in graph.initializer)
    if normaliser is not None and has_normaliser != (normaliser == "yes"):
        fail(f"normaliser in the graph: {has_normaliser}, expected {normaliser}")
    ops = sorted({n.op_type for n in graph.node})
    print(f"model: opset {OPSET}, {len(graph.node)} nodes ({', '.join(ops)}), observation {want_in} -> action "
          f"{want_out}, metadata {meta}")


def random_observations(model_path, rows, max_scale, rng):
    """Observations whose normalised values are N(0, 1) times a per-row scale
    from 0.1 to max_scale (log-uniform): the actor's linear range, partial and
    full tanh saturation, and the clamp into the bounds."""
    model = onnx.load(model_path)
    obs_dim = model.graph.input[0].type.tensor_type.shape.dim[1].dim_value
    constants = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    mean = constants.get("obs_mean", np.zeros(obs_dim, np.float32))
    std = 1.0 / constants.get("obs_inv_std", np.ones(obs_dim, np.float32))
    scales = 10.0 ** rng.uniform(-1, np.log10(max_scale), size=(rows, 1))
    return (mean + std * rng.standard_normal((rows, obs_dim)) * scales).astype(np.float32)


def float64_actions(model_path, observations):
    """The exported graph evaluated in double precision with NumPy (for the
    report only: it shows how much of the difference is float32 rounding)."""
    model = onnx.load(model_path)
    values = {"observation": observations.astype(np.float64)}
    values.update({i.name: onnx.numpy_helper.to_array(i).astype(np.float64) for i in model.graph.initializer})
    ops = {"Sub": np.subtract, "Mul": np.multiply, "Add": np.add, "Max": np.maximum, "Min": np.minimum,
           "Relu": lambda x: np.maximum(x, 0), "Sigmoid": lambda x: 1 / (1 + np.exp(-x)), "Tanh": np.tanh,
           "Gemm": lambda x, w, b: x @ w + b}
    for node in model.graph.node:
        values[node.output[0]] = ops[node.op_type](*(values[i] for i in node.input))
    return values["action"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("policy")
    parser.add_argument("reference")
    parser.add_argument("work")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tolerance", type=float, default=1e-5)
    parser.add_argument("--normaliser", choices=["yes", "identity"])
    parser.add_argument("--max-scale", type=float, default=30.0)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)

    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    observations = random_observations(args.model, args.rows, args.max_scale, np.random.default_rng(args.seed))
    expected, info = reference_actions(args.reference, args.policy, observations, args.work)
    check_model(args.model, info, args.normaliser)

    meta = session.get_modelmeta().custom_metadata_map
    low = np.array([float(v) for v in meta["action_low"].split(",")], dtype=np.float32)
    high = np.array([float(v) for v in meta["action_high"].split(",")], dtype=np.float32)
    batch = session.run(["action"], {"observation": observations})[0]
    singles = np.concatenate([session.run(["action"], {"observation": observations[i:i + 1]})[0]
                              for i in range(0, args.rows, 97)])
    if batch.shape != expected.shape or batch.dtype != np.float32:
        fail(f"ONNX Runtime gave {batch.dtype} {batch.shape}, Policy::act {expected.shape}")
    diff = np.abs(batch.astype(np.float64) - expected)
    single_diff = np.abs(singles.astype(np.float64) - expected[::97])
    worst = np.unravel_index(np.argmax(diff), diff.shape)
    # The comparison only means something if the actions vary and reach the bounds' interior and edges.
    spread = (expected.std(axis=0) / (high - low)).min()
    interior = np.mean((expected > low + 0.01 * (high - low)) & (expected < high - 0.01 * (high - low)))
    at_bounds = np.mean((expected == low) | (expected == high))
    print(f"{args.rows} observations: max |ONNX Runtime - Policy::act| = {diff.max():.3g} (row {worst[0]}, dim "
          f"{worst[1]}: {batch[worst]:.9g} vs {expected[worst]:.9g}), mean {diff.mean():.3g}; batch of 1: max "
          f"{single_diff.max():.3g}; actions: {100 * interior:.1f} % inside the bounds, {100 * at_bounds:.1f} % on "
          f"a bound, smallest std / range {spread:.3f}; onnxruntime {ort.__version__}")
    truth = float64_actions(args.model, observations)
    print(f"float32 rounding: max |Policy::act - float64| = {np.abs(expected - truth).max():.3g}, max |ONNX Runtime - "
          f"float64| = {np.abs(batch - truth).max():.3g} (the same graph evaluated in double precision)")
    if not np.all(np.isfinite(batch)):
        fail("ONNX Runtime returned non-finite actions")
    if np.any(batch < low) or np.any(batch > high):
        fail("ONNX Runtime returned actions outside the bounds")
    if diff.max() > args.tolerance or single_diff.max() > args.tolerance:
        fail(f"ONNX Runtime differs from Policy::act by {max(diff.max(), single_diff.max()):.3g} > {args.tolerance}")
    if spread < 0.05 or interior < 0.25 or at_bounds == 0:
        fail(f"the observations test too little: actions' std / range {spread:.3f}, {100 * interior:.1f} % inside "
             f"the bounds, {100 * at_bounds:.1f} % on a bound (saturated)")
    print("ok: ONNX Runtime equals Policy::act")


if __name__ == "__main__":
    main()
