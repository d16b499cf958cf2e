"""CLV models (being split into one module per model and step; see the next commit)."""

from tag_warehouse.clv import bgnbd as _module

globals().update({k: v for k, v in vars(_module).items() if not k.startswith("__")})
__all__ = _module.__all__
