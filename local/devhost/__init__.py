"""The dev host: runs a v2-model FunctionApp from its own binding metadata, where `func` is missing.

    python -m local.devhost --app function_app --port 7071 --settings local.settings.json

or in-process: `async with DevHost("function_app", port=0) as host: ...` (see `DevHost`).
"""

from local.devhost.errors import StartupError
from local.devhost.host import DevHost

__all__ = ["DevHost", "StartupError"]
