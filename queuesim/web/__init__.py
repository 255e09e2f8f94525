"""The exercises' web services (FastAPI) and the pieces they share.

* :mod:`queuesim.web.common`: Redis access for handlers, JSON 503/500 handlers;
* :mod:`queuesim.web.clients`: Redis clients for servers (bounded timeouts);
* :mod:`queuesim.web.serve`: run an app with uvicorn, stop cleanly on SIGTERM;
* :mod:`queuesim.web.stock_app`: exercise 12, the stock service;
* :mod:`queuesim.web.commands`: ``queuesim serve …`` and ``queuesim reset …``.
"""

from __future__ import annotations

from queuesim.web.common import RedisRunner, install_error_handlers
from queuesim.web.serve import serve
from queuesim.web.stock_app import create_stock_app, serve_stock

__all__ = ["RedisRunner", "create_stock_app", "install_error_handlers", "serve", "serve_stock"]
