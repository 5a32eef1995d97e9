"""Box: a Gymnasium-style continuous space (shape, low, high, dtype as plain attributes)."""
import numpy as np


class Box:
    """Values in [low, high] with a fixed shape, float32 like every array usbpo hands out."""

    def __init__(self, low, high, shape=None, dtype=np.float32, seed=None):
        self.dtype = np.dtype(dtype)
        if shape is None:
            shape = np.shape(low)
        self.shape = tuple(int(n) for n in shape)
        self.low = np.broadcast_to(np.asarray(low, dtype=self.dtype), self.shape).copy()
        self.high = np.broadcast_to(np.asarray(high, dtype=self.dtype), self.shape).copy()
        self._rng = np.random.default_rng(seed)

    def seed(self, seed=None):
        """Seed sample()."""
        self._rng = np.random.default_rng(seed)
        return [seed]

    def sample(self):
        """A uniform draw from the box (bounded dimensions; unbounded ones from a standard normal)."""
        bounded = np.isfinite(self.low) & np.isfinite(self.high)
        draw = self._rng.standard_normal(self.shape)
        uniform = self._rng.uniform(np.where(bounded, self.low, 0), np.where(bounded, self.high, 1))
        return np.where(bounded, uniform, draw).astype(self.dtype)

    def contains(self, x):
        """Whether x has the box's shape and lies inside it."""
        x = np.asarray(x)
        return x.shape == self.shape and bool(np.all(x >= self.low) and np.all(x <= self.high))

    def __contains__(self, x):
        return self.contains(x)

    def __repr__(self):
        return f"Box({self.low.min()}, {self.high.max()}, {self.shape}, {self.dtype})"
