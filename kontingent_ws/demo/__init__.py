"""Generator of a coherent, deterministic demo region (``kontingent demo``)."""

from kontingent_ws.demo.config import DemoConfig, DemoResult
from kontingent_ws.demo.generator import generate, generate_demo

__all__ = ["DemoConfig", "DemoResult", "generate", "generate_demo"]
