"""The reasoning module, one concept per module: `state` (call records), `router`, `reader`,
`execute` (the machine modes), `render` (output -> answer tokens), `writer` (gate and write plan),
and `module` (the orchestrator: route -> read -> execute -> render -> plan)."""

from ..configuration_ncllama import MachineMode
from .module import ReasoningModule
from .reader import NCReader
from .router import NCRouter
from .state import CallState, CallStatus, ListArg, NCCall, WritePlan
from .writer import NCWriter

__all__ = ["CallState", "CallStatus", "ListArg", "MachineMode", "NCCall", "NCReader", "NCRouter", "NCWriter", "ReasoningModule", "WritePlan"]
