"""The exercises' web services (FastAPI) and the pieces they share.

* :mod:`queuesim.web.common`: Redis access for handlers, JSON 503/500 handlers,
  replies rendered once and hot routes answered ahead of FastAPI;
* :mod:`queuesim.web.clients`: Redis clients for servers (bounded timeouts and pool);
* :mod:`queuesim.web.multiplex`: an asyncio client whose commands share one pipelined connection;
* :mod:`queuesim.web.serve`: run an app with uvicorn (one process or ``workers``), stop cleanly on SIGTERM;
* :mod:`queuesim.web.stock_app`: exercise 12, the stock service;
* :mod:`queuesim.web.seats_app`: exercise 13, the seat reservation service;
* :mod:`queuesim.web.dashboard`: the queue dashboard and Kue's JSON API
  (:mod:`~queuesim.web.kue_api`, :mod:`~queuesim.web.kue_ops`, :mod:`~queuesim.web.kue_models`,
  :mod:`~queuesim.web.api_errors`, :mod:`~queuesim.web.live`);
* :mod:`queuesim.web.commands`: ``queuesim serve …`` and ``queuesim reset …``.

The names below load on first use, so that ``queuesim`` commands that serve
nothing do not pay for importing FastAPI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from queuesim.web.common import RedisRunner, install_error_handlers
    from queuesim.web.dashboard import create_dashboard_app, serve_dashboard
    from queuesim.web.seats_app import create_seats_app, serve_seats
    from queuesim.web.serve import serve
    from queuesim.web.stock_app import create_stock_app, serve_stock

__all__ = [
    "RedisRunner",
    "create_dashboard_app",
    "create_seats_app",
    "create_stock_app",
    "install_error_handlers",
    "serve",
    "serve_dashboard",
    "serve_seats",
    "serve_stock",
]

_HOMES = {
    "RedisRunner": "queuesim.web.common",
    "install_error_handlers": "queuesim.web.common",
    "serve": "queuesim.web.serve",
    "create_seats_app": "queuesim.web.seats_app",
    "serve_seats": "queuesim.web.seats_app",
    "create_dashboard_app": "queuesim.web.dashboard",
    "serve_dashboard": "queuesim.web.dashboard",
    "create_stock_app": "queuesim.web.stock_app",
    "serve_stock": "queuesim.web.stock_app",
}


def __getattr__(name: str) -> Any:
    """Import ``name`` from its module on first use."""
    if name not in _HOMES:
        raise AttributeError(f"module 'queuesim.web' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
