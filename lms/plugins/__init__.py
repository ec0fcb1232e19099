"""The plugin system: hook specifications, the per-app plugin manager and the data plugins return."""

import pluggy

hookimpl = pluggy.HookimplMarker("lms")
hookspec = pluggy.HookspecMarker("lms")

__all__ = ["hookimpl", "hookspec"]
